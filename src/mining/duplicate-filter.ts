/**
 * The duplicate check of hop 6 (src/mining/nonce-check.ts): a chip may return the same (nonce, rolled
 * version) twice (a repeated reply, a chain glitch), and a pool may send a copy of a job it sent before
 * (same pool, same job id), whose units then cover the same headers again. Either way the nonce counts
 * once and its share is sent once.
 *
 * Every valid nonce is remembered with its unit (numbers, not strings: this runs for every nonce; the
 * memory goes with the unit); shares are also remembered by job (pool and job id) for the last
 * DEDUPE_JOBS jobs, far more than any pool keeps valid at once (issue 21: memory follows the jobs still
 * minable, not a window of shares that took a day to fill).
 */
import { toHex } from '../work/bytes.js';
import type { WorkUnit } from './work-unit.js';

/** Jobs whose shares are remembered. */
const DEDUPE_JOBS = 256;

/** Trailing zero bits of a version mask (0 for an empty mask): the shift of the rolled bits in unitKey. */
export function maskShift(mask: number): number {
  return mask === 0 ? 0 : 31 - Math.clz32(mask & -mask);
}

/**
 * A number naming (nonce, rolled version bits) exactly within one unit: the rolled bits (a subset of the
 * unit's mask) shifted down by the mask's trailing zeros, times 2^32, plus the nonce, when that stays
 * below 2^53 (any BIP320 mask: 16 bits); otherwise -1 and the caller uses a string key.
 */
export function unitKey(nonce: number, rolledBits: number, shift: number): number {
  const hi = rolledBits >>> shift;
  return hi < 0x200000 ? hi * 4294967296 + nonce : -1;
}

export class DuplicateFilter {
  private readonly units = new WeakMap<WorkUnit, Set<number | string>>();
  private readonly jobs = new Map<string, Set<string>>();

  /**
   * Whether this nonce was seen before: 'nonce' (the same reply for the same unit again: it counts
   * nowhere, as a chip's repeat), 'share' (a share of a re-issued copy of its job: a valid nonce, and a
   * duplicate share), or false (new; it is recorded).
   */
  seen(unit: WorkUnit, version: number, nonce: number, isShare: boolean): 'nonce' | 'share' | false {
    let keys = this.units.get(unit);
    if (!keys) {
      keys = new Set();
      this.units.set(unit, keys);
    }
    const n = unitKey(nonce, (version ^ unit.version) >>> 0, maskShift(unit.rollMask));
    const key = n < 0 ? `${nonce}:${version}` : n;
    if (keys.has(key)) return 'nonce';
    keys.add(key);
    return isShare && this.shareSeen(unit, version, nonce) ? 'share' : false;
  }

  private shareSeen(unit: WorkUnit, version: number, nonce: number): boolean {
    const job = `${unit.job.source.poolId}|${unit.job.id}`;
    const key = `${unit.extranonce ? toHex(unit.extranonce) : ''}|${unit.ntime}|${version}|${nonce}`;
    let keys = this.jobs.get(job);
    if (!keys) {
      keys = new Set();
      this.jobs.set(job, keys);
      // Maps iterate in insertion order: the first key is the oldest job.
      if (this.jobs.size > DEDUPE_JOBS) this.jobs.delete(this.jobs.keys().next().value as string);
    }
    if (keys.has(key)) return true;
    keys.add(key);
    return false;
  }
}
