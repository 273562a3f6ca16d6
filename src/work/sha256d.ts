/**
 * General SHA-256 / SHA-256d over byte strings (txids, merkle nodes, checksums), from @noble/hashes.
 * The per-nonce header path uses the specialised engine in sha256-engine.ts instead.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export { sha256 };

/** SHA256(SHA256(data)), the Bitcoin hash (txid, block hash, merkle node), in internal byte order. */
export function sha256d(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}
