/**
 * The 80-byte Bitcoin block header (the thing every miner hashes):
 *   version u32 LE | prev block hash (32, internal order) | merkle root (32, internal order) |
 *   ntime u32 LE | nbits u32 LE | nonce u32 LE
 * Byte orders of the two hashes are explained in byte-order.ts.
 */
import { readU32LE, writeU32LE } from './bytes.js';
import { reverseBytes } from './byte-order.js';
import { sha256d } from './sha256d.js';

export const HEADER_BYTES = 80;
/** Offsets of each field in the header. */
export const HeaderOffset = { version: 0, prevHash: 4, merkleRoot: 36, ntime: 68, nbits: 72, nonce: 76 } as const;

export interface HeaderFields {
  version: number;
  /** Internal byte order. */
  prevHash: Uint8Array;
  /** Internal byte order. */
  merkleRoot: Uint8Array;
  ntime: number;
  nbits: number;
  nonce: number;
}

export function buildHeader(f: HeaderFields): Uint8Array {
  if (f.prevHash.length !== 32) throw new RangeError(`prev hash must be 32 bytes, got ${f.prevHash.length}`);
  if (f.merkleRoot.length !== 32) throw new RangeError(`merkle root must be 32 bytes, got ${f.merkleRoot.length}`);
  const h = new Uint8Array(HEADER_BYTES);
  writeU32LE(h, HeaderOffset.version, f.version);
  h.set(f.prevHash, HeaderOffset.prevHash);
  h.set(f.merkleRoot, HeaderOffset.merkleRoot);
  writeU32LE(h, HeaderOffset.ntime, f.ntime);
  writeU32LE(h, HeaderOffset.nbits, f.nbits);
  writeU32LE(h, HeaderOffset.nonce, f.nonce);
  return h;
}

export function parseHeader(h: Uint8Array): HeaderFields {
  if (h.length !== HEADER_BYTES) throw new RangeError(`header must be 80 bytes, got ${h.length}`);
  return {
    version: readU32LE(h, HeaderOffset.version),
    prevHash: h.slice(HeaderOffset.prevHash, HeaderOffset.prevHash + 32),
    merkleRoot: h.slice(HeaderOffset.merkleRoot, HeaderOffset.merkleRoot + 32),
    ntime: readU32LE(h, HeaderOffset.ntime),
    nbits: readU32LE(h, HeaderOffset.nbits),
    nonce: readU32LE(h, HeaderOffset.nonce),
  };
}

/** SHA-256d of the header, internal byte order (compare with targets as a little-endian integer). */
export function headerHash(h: Uint8Array): Uint8Array {
  return sha256d(h);
}

/** The block hash as explorers show it (display order). */
export function blockHashDisplay(h: Uint8Array): Uint8Array {
  return reverseBytes(sha256d(h));
}
