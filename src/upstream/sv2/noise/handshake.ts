/**
 * Noise SymmetricState (Noise rev 34 section 5.2) for SV2's handshake
 * `Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256` (spec 04-Protocol-Security 4.4-4.5):
 * HASH = SHA-256, HKDF = RFC 5869 with salt = ck, empty info, 64 bytes split into two keys.
 * The initiator and responder (initiator.ts / responder.ts) drive it through the NX pattern.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { CipherState } from './cipher-state.js';

/** Spec 4.5.1: the protocol name, 46 ASCII bytes. */
export const NOISE_PROTOCOL_NAME = 'Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256';
/** Spec 4.5.1 / SRI noise-sv2: act 1 is the initiator's 64-byte EllSwift ephemeral key, unframed. */
export const ACT1_BYTES = 64;
/**
 * Act 2: responder ephemeral (64) || ENC(static 64) + MAC (80) || ENC(signature message 74) + MAC (90).
 * The spec text says 170 (from 32-byte keys); SRI and sv2-tp use 234 (spec issue #215; docs/sv2.md "Values
 * and their sources").
 */
export const ACT2_BYTES = 64 + 80 + 90;
/** The 74-byte SIGNATURE_NOISE_MESSAGE (spec 4.5.2). */
export const SIGNATURE_NOISE_MESSAGE_BYTES = 74;

const EMPTY = new Uint8Array(0);

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** HKDF(ck, ikm) -> (out1, out2), 32 bytes each. */
export function hkdf2(ck: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const okm = hkdf(sha256, ikm, ck, EMPTY, 64);
  return [okm.slice(0, 32), okm.slice(32, 64)];
}

/** The pair of transport ciphers the handshake ends with (Noise Split). */
export interface TransportKeys {
  /** Encrypts what this side sends. */
  send: CipherState;
  /** Decrypts what this side receives. */
  recv: CipherState;
}

export class SymmetricState {
  /** Chaining key. */
  ck: Uint8Array;
  /** Handshake hash. */
  h: Uint8Array;
  readonly cipher = new CipherState();

  constructor() {
    // Spec 4.5.1: the name is longer than 32 bytes, so ck = SHA-256(name); h = SHA-256(ck) (SRI does the
    // same: h is the hash of the hashed name, not the name itself).
    this.ck = sha256(new TextEncoder().encode(NOISE_PROTOCOL_NAME));
    this.h = sha256(this.ck);
  }

  mixHash(data: Uint8Array): void {
    this.h = sha256(concat2(this.h, data));
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf2(this.ck, ikm);
    this.ck = ck;
    this.cipher.initializeKey(k);
  }

  /** Encrypts (when a key is set) with ad = h, then mixes the ciphertext into h. */
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const c = this.cipher.encryptWithAd(this.h, plaintext);
    this.mixHash(c);
    return c;
  }

  /** Decrypts (when a key is set) with ad = h, then mixes the ciphertext (not the plaintext) into h. */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const p = this.cipher.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return p;
  }

  /**
   * Noise Split: (k1, k2) = HKDF(ck, empty). k1 encrypts initiator -> responder, k2 responder ->
   * initiator (spec 4.5.3); both nonces start at 0.
   */
  split(role: 'initiator' | 'responder'): TransportKeys {
    const [k1, k2] = hkdf2(this.ck, EMPTY);
    const c1 = new CipherState(k1);
    const c2 = new CipherState(k2);
    return role === 'initiator' ? { send: c1, recv: c2 } : { send: c2, recv: c1 };
  }
}
