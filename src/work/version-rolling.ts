/**
 * Version rolling (overt AsicBoost).
 * BIP320 reserves bits 13..28 (mask 0x1fffe000) for miners; BIP323 widens that to bits 5..28
 * (mask 0x1fffffe0). BIP310 (`mining.configure`) negotiates the mask a pool accepts. A rolled header
 * version may differ from the job version only under the mask.
 */

/** BIP320 general-purpose bits, the mask nearly every ASIC firmware and pool uses. */
export const BIP320_MASK = 0x1fffe000;
/** BIP323 extended mask (SRI since 2026-08). BIP320's mask is a subset of it. */
export const BIP323_MASK = 0x1fffffe0;

export class VersionRollingError extends Error {
  override readonly name = 'VersionRollingError';
}

/** Header version from a job version and rolled bits: bits outside the mask come from the job. */
export function applyVersionBits(jobVersion: number, bits: number, mask: number): number {
  return ((jobVersion & ~mask) | (bits & mask)) >>> 0;
}

/** The rolled bits of a header version (what Stratum V1 submits as version_bits). */
export function versionBitsOf(headerVersion: number, mask: number): number {
  return (headerVersion & mask) >>> 0;
}

/** True when `rolled` equals `jobVersion` outside `mask`. */
export function versionWithinMask(jobVersion: number, rolled: number, mask: number): boolean {
  return ((jobVersion ^ rolled) & ~mask) === 0;
}

/** Throws unless `rolled` equals `jobVersion` outside `mask`. */
export function assertVersionWithinMask(jobVersion: number, rolled: number, mask: number): void {
  if (!versionWithinMask(jobVersion, rolled, mask)) {
    const bad = ((jobVersion ^ rolled) & ~mask) >>> 0;
    throw new VersionRollingError(`version ${rolled.toString(16)} changes bits ${bad.toString(16)} outside mask ${(mask >>> 0).toString(16)}`);
  }
}

/** Number of set bits. */
export function popcount32(x: number): number {
  let v = x >>> 0;
  let n = 0;
  while (v) {
    v &= v - 1;
    n++;
  }
  return n;
}

/** Scatters the low bits of `value` into the set bits of `mask`, lowest first (PDEP). */
export function depositBits(value: number, mask: number): number {
  let out = 0;
  let m = mask >>> 0;
  let v = value >>> 0;
  while (m) {
    const low = m & -m;
    if (v & 1) out |= low;
    v >>>= 1;
    m &= m - 1;
  }
  return out >>> 0;
}

/** Gathers the bits of `x` under `mask` into the low bits (PEXT). */
export function extractBits(x: number, mask: number): number {
  let out = 0;
  let bit = 0;
  let m = mask >>> 0;
  while (m) {
    const low = m & -m;
    if (x & low) out |= 1 << bit;
    bit++;
    m &= m - 1;
  }
  return out >>> 0;
}

/**
 * The version `steps` increments after `version` when the masked field is treated as a counter
 * (what ESP-Miner does to fill BM1397 midstate slots 1..3). Wraps within the mask.
 */
export function incrementVersion(version: number, mask: number, steps = 1): number {
  const field = extractBits(version, mask);
  const width = popcount32(mask);
  const next = width >= 32 ? (field + steps) >>> 0 : (field + steps) % 2 ** width;
  return applyVersionBits(version, depositBits(next, mask), mask);
}
