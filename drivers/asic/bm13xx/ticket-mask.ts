/**
 * Register 0x14, ticket mask (docs/bm13xx.md "Registers"): the chip reports only nonces whose hash has
 * 32 + log2(D) leading zero bits, D a power of two. mask = D - 1 with each of its 4 bytes bit-reversed in
 * place, sent big-endian: D = 256 -> 0x000000FF, 512 -> 0x000080FF, 64 -> 0x000000FC.
 *
 * "Leading zero bits" is the chip's own measure: a nonce it returns for D hashes below 2^224 / D (hash read
 * as a little-endian 256-bit integer), which is pool difficulty >= D · 0xFFFF/0x10000.
 */
import { Bm13xxConfigError } from './errors.js';

/** Largest ticket difficulty the 32-bit mask can express. */
export const MAX_TICKET_DIFFICULTY = 2 ** 32;

function reverseByteBits(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >>> i) & 1) << (7 - i);
  return r;
}

function reverseBitsPerByte(v: number): number {
  return (
    ((reverseByteBits((v >>> 24) & 0xff) << 24) |
      (reverseByteBits((v >>> 16) & 0xff) << 16) |
      (reverseByteBits((v >>> 8) & 0xff) << 8) |
      reverseByteBits(v & 0xff)) >>>
    0
  );
}

/**
 * The power-of-two difficulty a requested ticket difficulty becomes (ESP-Miner: round up to an integer,
 * then the largest power of two not above it). Throws for values the register cannot hold.
 */
export function ticketDifficultyForRegister(requested: number): number {
  if (!Number.isFinite(requested) || requested < 1) throw new Bm13xxConfigError(`ticket difficulty must be >= 1 on hardware, got ${requested}`);
  const d = Math.ceil(requested);
  if (d > MAX_TICKET_DIFFICULTY) throw new Bm13xxConfigError(`ticket difficulty ${requested} exceeds ${MAX_TICKET_DIFFICULTY}`);
  return 2 ** Math.floor(Math.log2(d));
}

/** Register 0x14 value for difficulty `d` (rounded as ticketDifficultyForRegister). */
export function ticketMaskRegister(d: number): number {
  const p = ticketDifficultyForRegister(d);
  const mask = p === MAX_TICKET_DIFFICULTY ? 0xffffffff : p - 1;
  return reverseBitsPerByte(mask);
}

/** The difficulty a register 0x14 value selects, or undefined when it is not of the form 2^k - 1. */
export function ticketDifficultyFromRegister(value: number): number | undefined {
  const mask = reverseBitsPerByte(value);
  if (mask === 0xffffffff) return MAX_TICKET_DIFFICULTY;
  if ((mask & (mask + 1)) !== 0) return undefined;
  return mask + 1;
}

/** The chip's acceptance bound: a hash (little-endian integer) is reported when it is below this. */
export function chipTicketBound(difficulty: number): bigint {
  if (!(difficulty > 0) || !Number.isFinite(difficulty)) throw new Bm13xxConfigError(`ticket difficulty must be positive, got ${difficulty}`);
  // 2^224 / D, exact for any double D: D = m / 2^e.
  let m = difficulty;
  let e = 0n;
  while (!Number.isInteger(m)) {
    m *= 2;
    e++;
  }
  const bound = ((1n << 224n) << e) / BigInt(m);
  const max = 1n << 256n;
  return bound > max ? max : bound;
}
