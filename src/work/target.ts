/**
 * Targets and difficulty.
 *
 * A hash meets a target when the hash, read as a 256-bit little-endian integer, is <= the target.
 * Difficulty D means target = DIFF1 / D with DIFF1 = 0x00000000ffff0000…0000 = 0xffff · 2^208 (the
 * "pool difficulty 1" / bdiff convention every pool and ESP-Miner use). nbits is Bitcoin's compact form
 * (Bitcoin Core arith_uint256::SetCompact). SV2 sends targets as U256 little-endian.
 */
import { readU32LE } from './bytes.js';

export const DIFF1_TARGET = 0xffffn << 208n;
export const MAX_TARGET = (1n << 256n) - 1n;

export class TargetError extends Error {
  override readonly name = 'TargetError';
}

/** nbits (compact) -> target. Negative or overflowing encodings are rejected (Core treats them as invalid). */
export function nbitsToTarget(nbits: number): bigint {
  const exponent = nbits >>> 24;
  const mantissa = nbits & 0x007fffff;
  if (nbits & 0x00800000 && mantissa !== 0) throw new TargetError(`nbits ${nbits.toString(16)} encodes a negative target`);
  const target = exponent <= 3 ? BigInt(mantissa >>> (8 * (3 - exponent))) : BigInt(mantissa) << BigInt(8 * (exponent - 3));
  if (target > MAX_TARGET) throw new TargetError(`nbits ${nbits.toString(16)} overflows 256 bits`);
  return target;
}

/** target -> nbits (compact), as Core's GetCompact. */
export function targetToNbits(target: bigint): number {
  if (target < 0n || target > MAX_TARGET) throw new TargetError('target out of range');
  let size = 0;
  for (let t = target; t > 0n; t >>= 8n) size++;
  let compact = size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)));
  // The mantissa's top bit is a sign bit: shift one byte to keep the value positive.
  if (compact & 0x00800000) {
    compact >>>= 8;
    size++;
  }
  return ((size << 24) | compact) >>> 0;
}

/** Difficulty of a target (a float; exact enough for display, stats and share weighting). */
export function targetToDifficulty(target: bigint): number {
  if (target <= 0n) return Number.POSITIVE_INFINITY;
  return Number(DIFF1_TARGET) / Number(target);
}

/** Splits a finite positive double into an exact rational m / 2^e (both bigint, e >= 0). */
function exactRational(x: number): { num: bigint; shift: bigint } {
  let shift = 0n;
  let v = x;
  while (!Number.isInteger(v)) {
    v *= 2;
    shift++;
  }
  return { num: BigInt(v), shift };
}

/**
 * Target for a (possibly fractional) difficulty: floor(DIFF1 / D) computed exactly from the double D.
 * Difficulties below DIFF1/2^256 clamp to the maximum target.
 */
export function difficultyToTarget(difficulty: number): bigint {
  if (!Number.isFinite(difficulty) || difficulty <= 0) throw new TargetError(`difficulty must be a positive finite number, got ${difficulty}`);
  const { num, shift } = exactRational(difficulty);
  const t = (DIFF1_TARGET << shift) / num;
  return t > MAX_TARGET ? MAX_TARGET : t;
}

/** U256 little-endian bytes (SV2 wire form of a target) -> bigint. */
export function u256LeToBigInt(b: Uint8Array): bigint {
  if (b.length !== 32) throw new TargetError(`U256 must be 32 bytes, got ${b.length}`);
  let v = 0n;
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  return v;
}

/** bigint -> U256 little-endian bytes. */
export function bigIntToU256Le(v: bigint): Uint8Array {
  if (v < 0n || v > MAX_TARGET) throw new TargetError('value does not fit in U256');
  const out = new Uint8Array(32);
  let x = v;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** A hash in internal byte order, as the little-endian integer it is compared by. */
export const hashToBigInt = u256LeToBigInt;

/** hash <= target, comparing 32-byte little-endian values from the most significant byte down. */
export function hashMeetsTarget(hash: Uint8Array, targetLe: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const h = hash[i] as number;
    const t = targetLe[i] as number;
    if (h !== t) return h < t;
  }
  return true;
}

/** Difficulty of a hash in internal byte order: DIFF1 / hash. */
export function difficultyOfHash(hash: Uint8Array): number {
  // Use the top 96 bits; a double keeps 53 of them.
  const v = readU32LE(hash, 28) * 65536 + readU32LE(hash, 24) / 65536 + readU32LE(hash, 20) / 281474976710656;
  return v === 0 ? Number.POSITIVE_INFINITY : 0xffff / v;
}

/** The most significant 32 bits of a target, for the engine's early-reject comparison. */
export function targetTopWord(target: bigint): number {
  return Number(target >> 224n) >>> 0;
}

/**
 * A target as eight 32-bit limbs, most significant first, for comparisons on the hot path without
 * BigInt arithmetic.
 */
export function targetLimbs(target: bigint): Uint32Array {
  if (target < 0n || target > MAX_TARGET) throw new TargetError('target out of range');
  const out = new Uint32Array(8);
  let t = target;
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(t & 0xffffffffn);
    t >>= 32n;
  }
  return out;
}

const bswap = (x: number): number => (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;

/**
 * hash <= target for a hash given as the 8 SHA-256 state words the engine produces (the hash bytes are
 * those words big-endian; read as a little-endian integer its limb i, most significant first, is
 * bswap(H[7-i])), against limbs from `targetLimbs`.
 */
export function hashWordsMeetTarget(words: Uint32Array, limbs: Uint32Array): boolean {
  for (let i = 0; i < 8; i++) {
    const h = bswap(words[7 - i] as number);
    const t = limbs[i] as number;
    if (h !== t) return h < t;
  }
  return true;
}
