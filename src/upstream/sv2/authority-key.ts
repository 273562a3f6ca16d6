/**
 * Pool authority keys as miners see them (spec 04-Protocol-Security 4.7.1): base58check (Bitcoin
 * alphabet, 4-byte double-SHA-256 checksum) of `[0x01, 0x00] || x-only key (32)`, the two leading
 * bytes being a U16 LE version = 1. SRI writes the matching secret as base58check of the bare 32 bytes.
 */
import { createBase58check } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { fromHex, isHex } from '../../work/bytes.js';

const b58c = createBase58check(sha256);
/** Spec 4.7.1: key version 1 as U16 LE. */
const KEY_VERSION_PREFIX = Uint8Array.of(0x01, 0x00);

export class AuthorityKeyError extends Error {
  override readonly name = 'AuthorityKeyError';
}

/** x-only key -> the base58check string pools publish. */
export function encodeAuthorityKey(xOnly: Uint8Array): string {
  if (xOnly.length !== 32) throw new AuthorityKeyError(`authority key must be 32 bytes, got ${xOnly.length}`);
  const payload = new Uint8Array(34);
  payload.set(KEY_VERSION_PREFIX, 0);
  payload.set(xOnly, 2);
  return b58c.encode(payload);
}

/** The base58check string -> x-only key. Throws AuthorityKeyError on a bad checksum, version or length. */
export function decodeAuthorityKey(text: string): Uint8Array {
  let payload: Uint8Array;
  try {
    payload = b58c.decode(text.trim());
  } catch (err) {
    throw new AuthorityKeyError(`authority key is not valid base58check: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (payload.length !== 34) throw new AuthorityKeyError(`authority key payload must be 34 bytes, got ${payload.length}`);
  if (payload[0] !== 0x01 || payload[1] !== 0x00) throw new AuthorityKeyError(`unsupported authority key version ${payload[0]},${payload[1]} (expected 1)`);
  const key = payload.slice(2);
  // Must be a valid BIP340 x coordinate, or no signature could ever verify.
  try {
    schnorr.utils.lift_x(bytesToBigInt(key));
  } catch {
    throw new AuthorityKeyError('authority key is not a valid secp256k1 x coordinate');
  }
  return key;
}

function bytesToBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

/** SRI-style secret: base58check of the bare 32 bytes. */
export function encodeAuthoritySecret(secret: Uint8Array): string {
  if (secret.length !== 32) throw new AuthorityKeyError('authority secret must be 32 bytes');
  return b58c.encode(secret);
}

/** Accepts a 64-digit hex secret or SRI's base58check form. */
export function parseAuthoritySecret(text: string): Uint8Array {
  const t = text.trim();
  let secret: Uint8Array;
  if (isHex(t, 32)) secret = fromHex(t);
  else {
    try {
      secret = b58c.decode(t);
    } catch {
      throw new AuthorityKeyError('authority secret must be 64 hex digits or base58check');
    }
  }
  if (secret.length !== 32) throw new AuthorityKeyError('authority secret must be 32 bytes');
  try {
    schnorr.getPublicKey(secret);
  } catch {
    throw new AuthorityKeyError('authority secret is not a valid secp256k1 secret key');
  }
  return secret;
}

/** The x-only public key of an authority secret. */
export function authorityPublicKey(secret: Uint8Array): Uint8Array {
  return schnorr.getPublicKey(secret);
}
