/**
 * The three byte orders a 32-byte hash (prev block hash, merkle root, txid) takes in mining, spelled out once.
 *
 * - internal (header) order: the bytes exactly as they sit in the 80-byte header and as SHA-256d outputs
 *   them. Merkle branches in Stratum V1, and every SV2 U256 (prev_hash, merkle_root, merkle_path, target),
 *   are in this order.
 * - display order: the internal bytes reversed. Block explorers, bitcoind RPC and logs show hashes this way.
 * - Stratum V1 prevhash order: the internal bytes with each 4-byte word byte-reversed (word order kept).
 *   It is what `mining.notify` param 1 carries.
 *
 * BM1366/68/70 full-header job frames use a fourth order, the internal bytes with the eight 4-byte words in
 * reverse order; that one lives with the chip driver (drivers/asic/bm13xx) because only chips use it.
 */

/** Reverses a byte string (internal <-> display). */
export function reverseBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b[b.length - 1 - i] as number;
  return out;
}

/** Byte-reverses each 4-byte word, keeping word order (Stratum V1 prevhash <-> internal). */
export function swapWords32(b: Uint8Array): Uint8Array {
  if (b.length % 4 !== 0) throw new RangeError(`length ${b.length} is not a multiple of 4`);
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i += 4) {
    out[i] = b[i + 3] as number;
    out[i + 1] = b[i + 2] as number;
    out[i + 2] = b[i + 1] as number;
    out[i + 3] = b[i] as number;
  }
  return out;
}

/** Reverses the order of the 4-byte words, keeping bytes inside each word. */
export function reverseWords32(b: Uint8Array): Uint8Array {
  if (b.length % 4 !== 0) throw new RangeError(`length ${b.length} is not a multiple of 4`);
  const out = new Uint8Array(b.length);
  // Byte by byte: no subarray views (this runs for every job frame sent to a chip).
  const last = b.length - 4;
  for (let i = 0; i < b.length; i += 4) {
    const o = last - i;
    out[o] = b[i] as number;
    out[o + 1] = b[i + 1] as number;
    out[o + 2] = b[i + 2] as number;
    out[o + 3] = b[i + 3] as number;
  }
  return out;
}

/** Stratum V1 `mining.notify` prevhash -> internal order. */
export const prevHashFromStratumV1 = swapWords32;
/** Internal order -> Stratum V1 `mining.notify` prevhash. */
export const prevHashToStratumV1 = swapWords32;
/** Display (RPC/explorer) hex order -> internal order. */
export const fromDisplayOrder = reverseBytes;
/** Internal order -> display order. */
export const toDisplayOrder = reverseBytes;
