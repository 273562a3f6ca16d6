/**
 * Pieces the family files share: the two nonce-reply layouts and the ESP-Miner register writes common to
 * several families. Family files hold the data; these are the small encoders they pick from.
 */
import { readU32LE, writeU32LE } from '../../../../src/work/bytes.js';
import type { NonceIds, NonceReplyFields } from '../family.js';
import { encodeRawResponse, type RawResponse } from '../response-frame.js';
import { Bm13xxFrameError } from '../errors.js';

function nonceData(nonce: number): Uint8Array {
  const d = new Uint8Array(4);
  // Nonce bytes are in header order: the header nonce value little-endian (docs/bm13xx.md "Response frames").
  writeU32LE(d, 0, nonce);
  return d;
}

export function nonceOfReply(r: RawResponse): number {
  return readU32LE(r.data, 0);
}

/**
 * BM1397 (9 bytes): b7 = job id | midstate slot in the low 2 bits (ESP-Miner, verified with the real-chip
 * vector where slot 2 produced the nonce). bm13xx-rs instead reads b6 as the midstate and b7 & 3 as a small
 * core; a simulated chip writes the slot into b6 as well, so both readings agree on our frames.
 */
export const midstateReply = {
  decode(r: RawResponse): NonceIds {
    if (r.length !== 9) throw new Bm13xxFrameError(`BM1397 nonce replies are 9 bytes, got ${r.length}`);
    return { jobId: r.b7 & 0xfc, midstateIndex: r.b7 & 3, smallCore: undefined, versionBits: 0 };
  },
  encode(f: NonceReplyFields): Uint8Array {
    return encodeRawResponse({ length: 9, isNonce: true, data: nonceData(f.nonce), b6: f.b6, b7: (f.jobId & 0xfc) | (f.midstateIndex & 3) });
  },
  chipJobId: (byte: number): number => byte & 0xfc,
};

/**
 * Rolled version bits from bytes 8..9 (big-endian, shifted left 13; docs/bm13xx.md "Response frames" and the
 * BM1370 capture).
 */
const versionBitsOf = (r: RawResponse): number => ((r.extra16 ?? 0) << 13) >>> 0;

/**
 * BM1362/BM1366 (11 bytes): b7 = job id | small core (3 bits); the chip overwrites the low 3 bits, so ids
 * are multiples of 8.
 */
export const lowBitsReply = {
  decode(r: RawResponse): NonceIds {
    if (r.length !== 11) throw new Bm13xxFrameError(`nonce replies of this family are 11 bytes, got ${r.length}`);
    return { jobId: r.b7 & 0xf8, midstateIndex: 0, smallCore: r.b7 & 0x07, versionBits: versionBitsOf(r) };
  },
  encode(f: NonceReplyFields): Uint8Array {
    return encodeRawResponse({
      length: 11,
      isNonce: true,
      data: nonceData(f.nonce),
      b6: f.b6,
      b7: (f.jobId & 0xf8) | ((f.smallCore ?? 0) & 0x07),
      extra16: (f.versionBits >>> 13) & 0xffff,
    });
  },
  chipJobId: (byte: number): number => byte & 0xf8,
};

/**
 * BM1368/BM1370 (11 bytes): the chip hands the id back shifted left one bit with 4 small-core bits below:
 * job = (b7 & 0xF0) >> 1 (ESP-Miner and cgminer agree; the real BM1370 capture: job 0x68 -> b7 0xD2).
 * bm13xx-rs reads bit 0 of b6 as job bit 4 of its index; that matters only for ids >= 128, which the
 * +24 mod 128 stepping never uses.
 */
export const shiftedReply = {
  decode(r: RawResponse): NonceIds {
    if (r.length !== 11) throw new Bm13xxFrameError(`nonce replies of this family are 11 bytes, got ${r.length}`);
    return { jobId: (r.b7 & 0xf0) >>> 1, midstateIndex: 0, smallCore: r.b7 & 0x0f, versionBits: versionBitsOf(r) };
  },
  encode(f: NonceReplyFields): Uint8Array {
    return encodeRawResponse({
      length: 11,
      isNonce: true,
      data: nonceData(f.nonce),
      b6: f.b6,
      b7: ((f.jobId << 1) & 0xf0) | ((f.smallCore ?? 0) & 0x0f),
      extra16: (f.versionBits >>> 13) & 0xffff,
    });
  },
  // Bit 7 of the id falls out of b7 and the low 3 bits are never returned.
  chipJobId: (byte: number): number => byte & 0x78,
};

/** Steps `prev` by `step` modulo 128 (ESP-Miner's `id = (id + step) % 128`, first id = step). */
export function stepMod128(prev: number | undefined, step: number): number {
  return ((prev ?? 0) + step) % 128;
}
