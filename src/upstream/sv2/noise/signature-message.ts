/**
 * The pool's certificate: SIGNATURE_NOISE_MESSAGE (spec 04-Protocol-Security 4.5.2 and 4.7).
 *
 *   version U16 LE | valid_from U32 LE | not_valid_after U32 LE | signature 64 (BIP340)   = 74 bytes
 *
 * The authority signs m = SHA-256(version || valid_from || not_valid_after || server_static_xonly32),
 * where the x-only key is decoded from the server's 64-byte EllSwift static key (not the encoding
 * itself). m is then the 32-byte BIP340 message (docs/sv2.md "Values and their sources").
 * A client accepts when the signature verifies under the authority key it was configured with and
 * valid_from - leeway <= now <= not_valid_after + leeway (SRI: 10 s).
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { NoiseError } from './errors.js';
import { SIGNATURE_NOISE_MESSAGE_BYTES } from './handshake.js';

/** SRI sends version 0 and sv2-tp rejects anything above it. */
export const CERTIFICATE_VERSION = 0;
/** SRI's tolerance for clock skew on both ends of the validity window. */
export const CERTIFICATE_LEEWAY_SECONDS = 10;

export interface Certificate {
  version: number;
  /** Unix seconds. */
  validFrom: number;
  /** Unix seconds. */
  notValidAfter: number;
  signature: Uint8Array;
}

export function encodeCertificate(c: Certificate): Uint8Array {
  if (c.signature.length !== 64) throw new RangeError('certificate signature must be 64 bytes');
  const out = new Uint8Array(SIGNATURE_NOISE_MESSAGE_BYTES);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, c.version, true);
  dv.setUint32(2, c.validFrom, true);
  dv.setUint32(6, c.notValidAfter, true);
  out.set(c.signature, 10);
  return out;
}

export function decodeCertificate(b: Uint8Array): Certificate {
  if (b.length !== SIGNATURE_NOISE_MESSAGE_BYTES) throw new NoiseError('bad-handshake-length', `signature message must be 74 bytes, got ${b.length}`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { version: dv.getUint16(0, true), validFrom: dv.getUint32(2, true), notValidAfter: dv.getUint32(6, true), signature: b.slice(10, 74) };
}

/** m = SHA-256(version || valid_from || not_valid_after || server x-only key). */
export function certificateMessageHash(version: number, validFrom: number, notValidAfter: number, serverXOnly: Uint8Array): Uint8Array {
  if (serverXOnly.length !== 32) throw new RangeError('server x-only key must be 32 bytes');
  const pre = new Uint8Array(42);
  const dv = new DataView(pre.buffer);
  dv.setUint16(0, version, true);
  dv.setUint32(2, validFrom, true);
  dv.setUint32(6, notValidAfter, true);
  pre.set(serverXOnly, 10);
  return sha256(pre);
}

/** Signs a certificate for a server static key (the pool side, or our lab pool). */
export function signCertificate(
  authoritySecret: Uint8Array,
  serverXOnly: Uint8Array,
  validFrom: number,
  notValidAfter: number,
  auxRand: Uint8Array = randomBytes(32),
): Certificate {
  const m = certificateMessageHash(CERTIFICATE_VERSION, validFrom, notValidAfter, serverXOnly);
  return { version: CERTIFICATE_VERSION, validFrom, notValidAfter, signature: schnorr.sign(m, authoritySecret, auxRand) };
}

/**
 * Verifies a certificate; throws NoiseError with the failing check as `reason`. The order matters for
 * the message a miner sees: a forged certificate says "bad signature" even when it is also expired.
 */
export function verifyCertificate(
  c: Certificate,
  serverXOnly: Uint8Array,
  authorityXOnly: Uint8Array,
  nowSeconds: number,
  leewaySeconds = CERTIFICATE_LEEWAY_SECONDS,
): void {
  if (c.version !== CERTIFICATE_VERSION) throw new NoiseError('certificate-unsupported-version', `certificate version ${c.version} is not supported`);
  const m = certificateMessageHash(c.version, c.validFrom, c.notValidAfter, serverXOnly);
  let ok = false;
  try {
    ok = schnorr.verify(c.signature, m, authorityXOnly);
  } catch {
    ok = false;
  }
  if (!ok) throw new NoiseError('certificate-bad-signature', 'pool certificate is not signed by the configured authority key');
  if (nowSeconds + leewaySeconds < c.validFrom) {
    throw new NoiseError('certificate-not-yet-valid', `pool certificate is valid from ${c.validFrom}, now is ${nowSeconds} (check the clock)`);
  }
  if (nowSeconds - leewaySeconds > c.notValidAfter) {
    throw new NoiseError('certificate-expired', `pool certificate expired at ${c.notValidAfter}, now is ${nowSeconds} (check the clock)`);
  }
}
