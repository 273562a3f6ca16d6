/**
 * Response frames, chain to host (docs/bm13xx.md "Response frames"):
 *
 *   AA 55 | d0 d1 d2 d3 | b6 | b7 | [v0 v1, 11-byte families only] | last
 *
 * `last` has bit 7 = 1 for a nonce reply and 0 for a register reply, bits 6..5 zero and the CRC5 in bits
 * 4..0. The CRC covers every bit from byte 2 up to the top 3 bits of `last`, so CRC5 over bytes[2..end]
 * (last byte included) is 0 for a good frame.
 *
 * - Register reply: d0..d3 = value big-endian, b6 = chip address, b7 = register.
 * - Nonce reply: d0..d3 = the nonce in block-header byte order (read little-endian for the header value),
 *   b6/b7 = family-specific ids (see families/*), v0..v1 = rolled version bits >> 13, big-endian.
 * The family decides the length: 9 bytes (BM1397) or 11 (BM1362/66/68/70).
 */
import { crc5, crc5Bits } from './crc.js';
import { Bm13xxFrameError } from './errors.js';

export const RESPONSE_PREAMBLE = [0xaa, 0x55] as const;
export type ResponseLength = 9 | 11;
/** Bit 7 of the last byte marks a nonce (job) reply. */
export const RESPONSE_NONCE_FLAG = 0x80;

export interface RawResponse {
  length: ResponseLength;
  /** True for a nonce reply, false for a register reply (bit 7 of the last byte). */
  isNonce: boolean;
  /** Bytes 2..5 as they are on the wire. */
  data: Uint8Array;
  b6: number;
  b7: number;
  /** Bytes 8..9 read big-endian (11-byte frames), else undefined. */
  extra16: number | undefined;
  /** Low 5 bits of the last byte. */
  crc: number;
  crcOk: boolean;
  /** Bits 6..5 of the last byte; zero on every good frame. */
  reservedBits: number;
}

/** True when the frame's CRC5 residue is 0 and its reserved bits are clear. */
export function responseFrameValid(f: Uint8Array, offset: number, length: number): boolean {
  if (f[offset] !== RESPONSE_PREAMBLE[0] || f[offset + 1] !== RESPONSE_PREAMBLE[1]) return false;
  if (((f[offset + length - 1] as number) & 0x60) !== 0) return false;
  return crc5(f, offset + 2, offset + length) === 0;
}

/** Decodes one whole response frame. Throws Bm13xxFrameError unless it has the right preamble and length. */
export function decodeRawResponse(f: Uint8Array): RawResponse {
  if (f.length !== 9 && f.length !== 11) throw new Bm13xxFrameError(`response frame must be 9 or 11 bytes, got ${f.length}`);
  if (f[0] !== RESPONSE_PREAMBLE[0] || f[1] !== RESPONSE_PREAMBLE[1]) throw new Bm13xxFrameError('response frame must start with AA 55');
  const last = f[f.length - 1] as number;
  return {
    length: f.length,
    isNonce: (last & RESPONSE_NONCE_FLAG) !== 0,
    data: f.slice(2, 6),
    b6: f[6] as number,
    b7: f[7] as number,
    extra16: f.length === 11 ? ((f[8] as number) << 8) | (f[9] as number) : undefined,
    crc: last & 0x1f,
    crcOk: crc5(f, 2, f.length) === 0,
    reservedBits: (last >>> 5) & 3,
  };
}

/** Builds a response frame and its CRC5 (what a chip sends). */
export function encodeRawResponse(r: { length: ResponseLength; isNonce: boolean; data: Uint8Array; b6: number; b7: number; extra16?: number }): Uint8Array {
  if (r.data.length !== 4) throw new RangeError('response data must be 4 bytes');
  const f = new Uint8Array(r.length);
  f[0] = RESPONSE_PREAMBLE[0];
  f[1] = RESPONSE_PREAMBLE[1];
  f.set(r.data, 2);
  f[6] = r.b6 & 0xff;
  f[7] = r.b7 & 0xff;
  if (r.length === 11) {
    const v = r.extra16 ?? 0;
    f[8] = (v >>> 8) & 0xff;
    f[9] = v & 0xff;
  }
  const flags = r.isNonce ? RESPONSE_NONCE_FLAG : 0;
  f[r.length - 1] = flags;
  // CRC over bytes 2.. up to the 3 flag bits of the last byte.
  f[r.length - 1] = flags | crc5Bits(f, (r.length - 3) * 8 + 3, 2);
  return f;
}

/** A register reply: value big-endian in bytes 2..5, chip address in b6, register in b7. */
export interface RegisterReply {
  value: number;
  chipAddress: number;
  register: number;
}

export function registerReplyOf(r: RawResponse): RegisterReply {
  const d = r.data;
  return {
    value: (((d[0] as number) << 24) | ((d[1] as number) << 16) | ((d[2] as number) << 8) | (d[3] as number)) >>> 0,
    chipAddress: r.b6,
    register: r.b7,
  };
}

export function encodeRegisterReply(length: ResponseLength, reply: RegisterReply): Uint8Array {
  const v = reply.value >>> 0;
  const data = new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
  return encodeRawResponse({ length, isNonce: false, data, b6: reply.chipAddress, b7: reply.register, extra16: 0 });
}
