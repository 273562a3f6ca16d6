/**
 * The Noise NX responder: the pool's side of the handshake (spec 04-Protocol-Security 4.5), used by the
 * lab pool and, later, by our job declarator and template provider roles.
 *
 * It owns a static key and a certificate (signature message) signed by the pool authority for that
 * key. On act 1 it answers with act 2 (234 bytes) and is ready to talk.
 */
import { ACT1_BYTES, SymmetricState, type TransportKeys } from './handshake.js';
import { ellswiftEcdh, generateEllSwiftKeypair, type EllSwiftKeypair } from './ellswift-ecdh.js';
import { encodeCertificate, type Certificate } from './signature-message.js';
import { NoiseError } from './errors.js';

export interface ResponderOptions {
  staticKey: EllSwiftKeypair;
  certificate: Certificate;
  /** Fixed ephemeral key (regression tests only). */
  ephemeral?: EllSwiftKeypair;
}

export interface ResponderResult {
  act2: Uint8Array;
  keys: TransportKeys;
  handshakeHash: Uint8Array;
}

export class NoiseResponder {
  private readonly ss = new SymmetricState();
  private done = false;

  constructor(private readonly opts: ResponderOptions) {}

  /** Processes the initiator's act 1 and builds act 2. */
  respond(act1: Uint8Array): ResponderResult {
    if (this.done) throw new Error('handshake already answered');
    if (act1.length !== ACT1_BYTES) throw new NoiseError('bad-handshake-length', `act 1 must be ${ACT1_BYTES} bytes, got ${act1.length}`);
    this.done = true;
    const ie = act1.slice();
    this.ss.mixHash(ie);
    this.ss.encryptAndHash(new Uint8Array(0)); // MixHash(empty), mirroring the initiator
    const e = this.opts.ephemeral ?? generateEllSwiftKeypair();
    this.ss.mixHash(e.ellswift);
    this.ss.mixKey(ellswiftEcdh(e, ie, false)); // ee
    const encStatic = this.ss.encryptAndHash(this.opts.staticKey.ellswift);
    this.ss.mixKey(ellswiftEcdh(this.opts.staticKey, ie, false)); // es: our static, their ephemeral
    const encCert = this.ss.encryptAndHash(encodeCertificate(this.opts.certificate));
    const act2 = new Uint8Array(64 + encStatic.length + encCert.length);
    act2.set(e.ellswift, 0);
    act2.set(encStatic, 64);
    act2.set(encCert, 64 + encStatic.length);
    return { act2, keys: this.ss.split('responder'), handshakeHash: this.ss.h.slice() };
  }
}
