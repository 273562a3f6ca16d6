/**
 * Keys and ECDH for the SV2 handshake (spec 04-Protocol-Security 4.4): secp256k1 keys sent as 64-byte
 * ElligatorSwift encodings (BIP324), and ECDH = BIP324's x-only `v2_ecdh`:
 *   SHA256_tagged("bip324_ellswift_xonly_ecdh", ell_initiator || ell_responder || x(d * P))
 * The two encodings are always ordered initiator first (docs/sv2.md "Values and their sources"), so callers
 * say which role they play. ElligatorSwift comes from @scure/btc-signer's p2p module (verified in our tests
 * against BIP324's decode and packet-encoding vectors); curve arithmetic from @noble/curves.
 */
import { elligatorSwift } from '@scure/btc-signer/p2p.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { NoiseError } from './errors.js';

export interface EllSwiftKeypair {
  /** 32-byte secret scalar in [1, n-1]. */
  secret: Uint8Array;
  /** 64-byte ElligatorSwift encoding of x(secret * G) (randomised: many encodings per key). */
  ellswift: Uint8Array;
}

export const ELLSWIFT_BYTES = 64;

/** A fresh random key pair. */
export function generateEllSwiftKeypair(): EllSwiftKeypair {
  const { privateKey, publicKey } = elligatorSwift.keygen();
  return { secret: privateKey, ellswift: publicKey };
}

/** A key pair for a given secret (the encoding is still random). */
export function ellSwiftKeypairFromSecret(secret: Uint8Array): EllSwiftKeypair {
  if (secret.length !== 32) throw new RangeError('secret key must be 32 bytes');
  const x = secp256k1.Point.BASE.multiply(secp256k1.Point.Fn.fromBytes(secret)).x;
  return { secret: secret.slice(), ellswift: elligatorSwift.encode(x) };
}

/** The 32-byte x coordinate (= BIP340 x-only key) an ElligatorSwift encoding stands for. */
export function ellswiftDecode(ellswift: Uint8Array): Uint8Array {
  if (ellswift.length !== ELLSWIFT_BYTES) throw new NoiseError('bad-key', `EllSwift key must be 64 bytes, got ${ellswift.length}`);
  try {
    return elligatorSwift.decode(ellswift);
  } catch {
    // BIP324: every 64-byte string decodes; this only guards against a library surprise.
    throw new NoiseError('bad-key', 'EllSwift key does not decode to a curve point');
  }
}

/** x-only secret of a key pair (BIP340 form of its public key). */
export function xOnlyOf(secret: Uint8Array): Uint8Array {
  return secp256k1.Point.BASE.multiply(secp256k1.Point.Fn.fromBytes(secret)).toBytes(true).slice(1);
}

/**
 * SV2 ECDH: BIP324 v2_ecdh between our key pair and their 64-byte encoding. `initiating` is true on the
 * Noise initiator (the client): it decides the order of the two encodings in the tagged hash.
 */
export function ellswiftEcdh(ours: EllSwiftKeypair, theirEllswift: Uint8Array, initiating: boolean): Uint8Array {
  if (theirEllswift.length !== ELLSWIFT_BYTES) throw new NoiseError('bad-key', `EllSwift key must be 64 bytes, got ${theirEllswift.length}`);
  try {
    return elligatorSwift.getSharedSecretBip324(ours.secret, theirEllswift, ours.ellswift, initiating);
  } catch (err) {
    throw new NoiseError('bad-key', `ECDH failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
