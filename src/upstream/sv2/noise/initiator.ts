/**
 * The Noise NX initiator: the mining client's side of the handshake (spec 04-Protocol-Security 4.5).
 *
 *   -> e                                      act 1: 64 bytes, unframed
 *   <- e, ee, s, es, SIGNATURE_NOISE_MESSAGE  act 2: 234 bytes, unframed
 *
 * The client has no static key. After act 2 it verifies the pool's certificate against the authority
 * key it was configured with (from the pool URL); without one (an explicitly allowed unauthenticated
 * pool on a private network) the certificate is decoded and reported but cannot be checked.
 */
import { ACT1_BYTES, ACT2_BYTES, SymmetricState, type TransportKeys } from './handshake.js';
import { ellswiftDecode, ellswiftEcdh, generateEllSwiftKeypair, type EllSwiftKeypair } from './ellswift-ecdh.js';
import { decodeCertificate, verifyCertificate, CERTIFICATE_LEEWAY_SECONDS, type Certificate } from './signature-message.js';
import { NoiseError } from './errors.js';

export interface InitiatorOptions {
  /** BIP340 x-only authority key; null = do not verify (unauthenticated pool, private network only). */
  authorityKey: Uint8Array | null;
  /** Wall-clock Unix seconds for the certificate window. */
  nowSeconds: () => number;
  leewaySeconds?: number;
  /** Fixed ephemeral key (regression tests only). */
  ephemeral?: EllSwiftKeypair;
}

export interface HandshakeResult {
  keys: TransportKeys;
  /** The pool's static key, x-only. */
  serverStaticXOnly: Uint8Array;
  certificate: Certificate;
  /** True when the certificate was verified against an authority key. */
  authenticated: boolean;
  /** Final handshake hash (channel binding; for tests and logs). */
  handshakeHash: Uint8Array;
}

export class NoiseInitiator {
  private readonly ss = new SymmetricState();
  private readonly e: EllSwiftKeypair;
  private state: 'new' | 'sent' | 'done' = 'new';

  constructor(private readonly opts: InitiatorOptions) {
    this.e = opts.ephemeral ?? generateEllSwiftKeypair();
  }

  /** Handshake hash so far (tests compare it with the transcript). */
  get h(): Uint8Array {
    return this.ss.h;
  }

  /** Act 1: our ephemeral key. */
  act1(): Uint8Array {
    if (this.state !== 'new') throw new Error('act 1 already sent');
    this.ss.mixHash(this.e.ellswift);
    // EncryptAndHash(empty payload) with no key yet is MixHash(empty): it changes h (pitfall 2).
    this.ss.encryptAndHash(new Uint8Array(0));
    this.state = 'sent';
    return this.e.ellswift.slice();
  }

  /** Processes act 2 and verifies the certificate. Throws NoiseError on any failure. */
  act2(msg: Uint8Array): HandshakeResult {
    if (this.state !== 'sent') throw new Error('act 2 before act 1');
    if (msg.length !== ACT2_BYTES) throw new NoiseError('bad-handshake-length', `act 2 must be ${ACT2_BYTES} bytes, got ${msg.length}`);
    this.state = 'done';
    const re = msg.subarray(0, 64);
    this.ss.mixHash(re);
    this.ss.mixKey(ellswiftEcdh(this.e, re, true)); // ee
    const rs = this.ss.decryptAndHash(msg.subarray(64, 144));
    this.ss.mixKey(ellswiftEcdh(this.e, rs, true)); // es: their static, our ephemeral
    const certBytes = this.ss.decryptAndHash(msg.subarray(144, 234));
    const keys = this.ss.split('initiator');
    const certificate = decodeCertificate(certBytes);
    const serverStaticXOnly = ellswiftDecode(rs);
    if (this.opts.authorityKey) {
      verifyCertificate(certificate, serverStaticXOnly, this.opts.authorityKey, this.opts.nowSeconds(), this.opts.leewaySeconds ?? CERTIFICATE_LEEWAY_SECONDS);
    }
    return { keys, serverStaticXOnly, certificate, authenticated: this.opts.authorityKey !== null, handshakeHash: this.ss.h.slice() };
  }
}

export { ACT1_BYTES, ACT2_BYTES };
