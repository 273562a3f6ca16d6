/**
 * Job frames, host to chain (docs/bm13xx.md "Job frames"): `55 AA | 21 | LEN | payload | CRC16 (big-endian)`,
 * with CRC-16/CCITT-FALSE over HDR..payload. Two payload layouts exist:
 *
 * Midstate format (BM1397), LEN = 4 + 18 + 32·n:
 *   job_id, num_midstates, starting_nonce (LE), nbits (LE), ntime (LE), merkle root bytes 28..31
 *   (header order), then n midstates. A midstate is the SHA-256 state after the first 64 header bytes,
 *   written as words H7..H0, each big-endian.
 *
 * Full-header format (BM1362/66/68/70), 88-byte frame:
 *   job_id, num_midstates (1), starting_nonce, nbits (LE), ntime (LE), merkle root (32), prev hash (32),
 *   version (LE). Both hashes are sent as the header (internal) bytes with the eight 4-byte words in reverse
 *   order. Implementations disagree on LEN (ESP-Miner 0x56, bm13xx-rs 0x36, cgminer 0xFF); chips ignore it,
 *   so the decoder accepts any value and takes the length from the format.
 */
import { readU32LE, writeU32LE } from '../../../src/work/bytes.js';
import { reverseWords32 } from '../../../src/work/byte-order.js';
import { crc16CcittFalse } from './crc.js';
import { Bm13xxFrameError } from './errors.js';
import { HdrType, headerByte, HdrCmd, COMMAND_PREAMBLE } from './command-frame.js';

/** HDR of every job frame: type 1 (job), single, CC = 1 (docs/bm13xx.md "Command frames"). */
export const JOB_HDR = headerByte(HdrType.job, false, HdrCmd.write);
export const FULL_HEADER_FRAME_BYTES = 88;
/** Bytes of a midstate-format frame with n midstates. */
export const midstateFrameBytes = (n: number): number => 24 + 32 * n;

export type JobFormat = 'midstate' | 'full-header';

export interface MidstateJob {
  jobId: number;
  /** Value of the num_midstates byte; ESP-Miner sends 4 with unused slots zeroed. Defaults to midstates.length. */
  numMidstatesByte?: number;
  startingNonce: number;
  nbits: number;
  ntime: number;
  /** Header bytes 64..67 (the last 4 bytes of the merkle root, internal order). */
  merkleTail: Uint8Array;
  /** SHA-256 states H0..H7 after the first 64 header bytes (one per version). */
  midstates: Uint32Array[];
}

export interface FullHeaderJob {
  jobId: number;
  /** ESP-Miner and bm13xx-rs send 1, cgminer's BM1370 path 0. */
  numMidstatesByte?: number;
  startingNonce: number;
  nbits: number;
  ntime: number;
  /** Internal (header) byte order. */
  merkleRoot: Uint8Array;
  /** Internal (header) byte order. */
  prevHash: Uint8Array;
  version: number;
}

/** Midstate state words H0..H7 -> the 32 wire bytes (H7..H0, each big-endian). */
export function midstateToWire(state: Uint32Array, out: Uint8Array = new Uint8Array(32), offset = 0): Uint8Array {
  for (let i = 0; i < 8; i++) {
    const w = state[i] as number;
    const o = offset + 4 * (7 - i);
    out[o] = w >>> 24;
    out[o + 1] = (w >>> 16) & 0xff;
    out[o + 2] = (w >>> 8) & 0xff;
    out[o + 3] = w & 0xff;
  }
  return out;
}

/** The 32 wire bytes of a midstate -> state words H0..H7. */
export function midstateFromWire(b: Uint8Array, offset = 0): Uint32Array {
  const s = new Uint32Array(8);
  for (let i = 0; i < 8; i++) {
    const o = offset + 4 * (7 - i);
    s[i] = (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;
  }
  return s;
}

function finish(frame: Uint8Array, lengthByte: number): Uint8Array {
  frame[0] = COMMAND_PREAMBLE[0];
  frame[1] = COMMAND_PREAMBLE[1];
  frame[2] = JOB_HDR;
  frame[3] = lengthByte & 0xff;
  const crc = crc16CcittFalse(frame, 2, frame.length - 2);
  frame[frame.length - 2] = crc >>> 8;
  frame[frame.length - 1] = crc & 0xff;
  return frame;
}

export function encodeMidstateJob(j: MidstateJob, opts: { slots?: number; lengthByte?: number } = {}): Uint8Array {
  const slots = opts.slots ?? j.midstates.length;
  if (slots < 1 || slots > 4 || j.midstates.length > slots)
    throw new RangeError(`midstate jobs carry 1..4 midstates (got ${j.midstates.length} in ${slots} slots)`);
  if (j.merkleTail.length !== 4) throw new RangeError('merkle tail must be 4 bytes');
  const f = new Uint8Array(midstateFrameBytes(slots));
  f[4] = j.jobId & 0xff;
  f[5] = (j.numMidstatesByte ?? j.midstates.length) & 0xff;
  writeU32LE(f, 6, j.startingNonce);
  writeU32LE(f, 10, j.nbits);
  writeU32LE(f, 14, j.ntime);
  f.set(j.merkleTail, 18);
  j.midstates.forEach((m, k) => midstateToWire(m, f, 22 + 32 * k));
  return finish(f, opts.lengthByte ?? f.length - 2);
}

export function encodeFullHeaderJob(j: FullHeaderJob, opts: { lengthByte?: number } = {}): Uint8Array {
  if (j.merkleRoot.length !== 32 || j.prevHash.length !== 32) throw new RangeError('merkle root and prev hash must be 32 bytes');
  const f = new Uint8Array(FULL_HEADER_FRAME_BYTES);
  f[4] = j.jobId & 0xff;
  f[5] = (j.numMidstatesByte ?? 1) & 0xff;
  writeU32LE(f, 6, j.startingNonce);
  writeU32LE(f, 10, j.nbits);
  writeU32LE(f, 14, j.ntime);
  f.set(reverseWords32(j.merkleRoot), 18);
  f.set(reverseWords32(j.prevHash), 50);
  writeU32LE(f, 82, j.version);
  // ESP-Miner's LEN: the true count of bytes after the preamble (0x56).
  return finish(f, opts.lengthByte ?? f.length - 2);
}

export type DecodedJob =
  | { format: 'midstate'; job: MidstateJob; slots: number; lengthByte: number; crc: number; crcOk: boolean }
  | { format: 'full-header'; job: FullHeaderJob; lengthByte: number; crc: number; crcOk: boolean };

/** The frame length a job frame must have, from its format and (midstate format) its LEN byte. */
export function jobFrameLength(format: JobFormat, lengthByte: number, numMidstatesByte: number): number {
  if (format === 'full-header') return FULL_HEADER_FRAME_BYTES;
  // LEN is exact in every midstate-format source (0x36 for 1, 0x96 for 4); fall back on the count byte.
  if (lengthByte === 0x36) return midstateFrameBytes(1);
  if (lengthByte === 0x96) return midstateFrameBytes(4);
  const n = Math.min(4, Math.max(1, numMidstatesByte));
  return midstateFrameBytes(n);
}

/** Decodes a whole job frame in the given format (inferred from the length when omitted). */
export function decodeJobFrame(f: Uint8Array, format?: JobFormat): DecodedJob {
  if (f.length < 6) throw new Bm13xxFrameError(`job frame too short (${f.length} bytes)`);
  if (f[0] !== COMMAND_PREAMBLE[0] || f[1] !== COMMAND_PREAMBLE[1]) throw new Bm13xxFrameError('job frame must start with 55 AA');
  if (f[2] !== JOB_HDR) throw new Bm13xxFrameError(`header 0x${(f[2] as number).toString(16)} is not a job (0x21)`);
  const fmt: JobFormat = format ?? (f.length === FULL_HEADER_FRAME_BYTES ? 'full-header' : 'midstate');
  const lengthByte = f[3] as number;
  const expect = jobFrameLength(fmt, lengthByte, f[5] as number);
  if (f.length !== expect) throw new Bm13xxFrameError(`${fmt} job frame is ${f.length} bytes, expected ${expect}`);
  const crc = (((f[f.length - 2] as number) << 8) | (f[f.length - 1] as number)) >>> 0;
  const crcOk = crc === crc16CcittFalse(f, 2, f.length - 2);
  if (fmt === 'full-header') {
    return {
      format: 'full-header',
      lengthByte,
      crc,
      crcOk,
      job: {
        jobId: f[4] as number,
        numMidstatesByte: f[5] as number,
        startingNonce: readU32LE(f, 6),
        nbits: readU32LE(f, 10),
        ntime: readU32LE(f, 14),
        merkleRoot: reverseWords32(f.subarray(18, 50)),
        prevHash: reverseWords32(f.subarray(50, 82)),
        version: readU32LE(f, 82),
      },
    };
  }
  const slots = (f.length - 24) / 32;
  const midstates: Uint32Array[] = [];
  for (let k = 0; k < slots; k++) midstates.push(midstateFromWire(f, 22 + 32 * k));
  return {
    format: 'midstate',
    lengthByte,
    crc,
    crcOk,
    slots,
    job: {
      jobId: f[4] as number,
      numMidstatesByte: f[5] as number,
      startingNonce: readU32LE(f, 6),
      nbits: readU32LE(f, 10),
      ntime: readU32LE(f, 14),
      merkleTail: f.slice(18, 22),
      midstates,
    },
  };
}
