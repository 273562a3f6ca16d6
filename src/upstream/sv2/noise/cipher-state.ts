/**
 * Noise CipherState (Noise Protocol Framework rev 34 section 5.1) with ChaCha20-Poly1305 (RFC 8439)
 * as SV2 uses it (spec 04-Protocol-Security 4.3): 32-byte key, 96-bit nonce = 4 zero bytes || U64 LE
 * counter, output ciphertext || 16-byte tag. The counter advances on every successful encrypt or
 * decrypt; a failed decrypt leaves it alone and the session must be dropped.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { NoiseError } from './errors.js';

export const MAC_BYTES = 16;
const KEY_BYTES = 32;
/** Noise reserves 2^64-1; we stop at 2^53 (a JS number), which no connection will ever reach. */
const MAX_NONCE = Number.MAX_SAFE_INTEGER;

export class CipherState {
  private key: Uint8Array | null;
  private n = 0;
  private readonly nonceBuf = new Uint8Array(12);
  private readonly nonceView = new DataView(this.nonceBuf.buffer);

  constructor(key: Uint8Array | null = null) {
    if (key && key.length !== KEY_BYTES) throw new RangeError(`cipher key must be ${KEY_BYTES} bytes`);
    this.key = key ? key.slice() : null;
  }

  hasKey(): boolean {
    return this.key !== null;
  }

  /** Noise InitializeKey: a new key and n = 0. */
  initializeKey(key: Uint8Array): void {
    if (key.length !== KEY_BYTES) throw new RangeError(`cipher key must be ${KEY_BYTES} bytes`);
    this.key = key.slice();
    this.n = 0;
  }

  /** The next nonce counter (for tests and logs). */
  get nonce(): number {
    return this.n;
  }

  private nonce12(): Uint8Array {
    if (this.n >= MAX_NONCE) throw new NoiseError('nonce-exhausted', 'cipher nonce exhausted; the session must be re-established');
    // Bytes 0..3 stay zero; bytes 4..11 are the counter little-endian (spec 4.3).
    this.nonceView.setBigUint64(4, BigInt(this.n), true);
    return this.nonceBuf;
  }

  /** ENCRYPT(k, n++, ad, plaintext); the plaintext itself when no key is set (Noise EncryptWithAd). */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (!this.key) return plaintext.slice();
    const out = chacha20poly1305(this.key, this.nonce12(), ad).encrypt(plaintext);
    this.n++;
    return out;
  }

  /** DECRYPT(k, n++, ad, ciphertext); throws NoiseError('decrypt-failed') and keeps n on a bad tag. */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (!this.key) return ciphertext.slice();
    if (ciphertext.length < MAC_BYTES) throw new NoiseError('decrypt-failed', `ciphertext of ${ciphertext.length} bytes is shorter than its tag`);
    let out: Uint8Array;
    try {
      out = chacha20poly1305(this.key, this.nonce12(), ad).decrypt(ciphertext);
    } catch (err) {
      if (err instanceof NoiseError) throw err;
      throw new NoiseError('decrypt-failed', `ChaCha20-Poly1305 authentication failed at nonce ${this.n}`);
    }
    this.n++;
    return out;
  }
}
