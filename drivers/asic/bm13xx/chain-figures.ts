/**
 * What the scheduler needs to know about a brought-up chain (src/mining/mining-chain.ts): the difficulty
 * its nonces meet, its nominal hashrate, how often it needs fresh work, and which version bits its chips
 * roll on their own. Pure functions of the family and the bring-up, so that they are tested without a
 * chain.
 */
import { nextPow2, workIntervalMs } from '../../../src/mining/job-interval.js';
import { depositBits, popcount32 } from '../../../src/work/version-rolling.js';
import type { ChipFamily } from './family.js';
import { CHIP_ROLLABLE_MASK } from './registers/version-mask.js';

/** Node's timers fire at millisecond resolution at best. */
const MIN_UNIT_INTERVAL_MS = 1;

/** What a bring-up found (a subset of BringUpResult). */
export interface BringUpFigures {
  chipCount: number;
  /** Chips that did not answer (they keep their address slot but hash nothing). */
  missing: number[];
  frequencyMhz: number;
  /** The register's ticket difficulty. */
  ticketDifficulty: number;
}

/** What the chips behind the port really do when it is not what the registers say (a simulated chain). */
export interface ChipFigures {
  ticketDifficulty: number;
  /** H/s of the whole chain; without it, the silicon's nominal figure. */
  hashrate?: number;
}

export interface ChainFigures {
  /** The difficulty every returned nonce meets. */
  nonceDifficulty: number;
  /** Nominal hashrate in H/s (frequency × small cores × answering chips). */
  nominalHashrate: number;
  /** The family's usual unit interval (job-interval.ts). */
  workIntervalMs: number;
  /**
   * Hashes per second over the chain's nonce space: the chips split it by power-of-two address and core
   * bits (job-interval.ts), so f · nextpow2(cores) · nextpow2(chips); a simulated chain's real rate.
   */
  spaceRate: number;
}

export function chainFigures(family: ChipFamily, up: BringUpFigures, chips?: ChipFigures): ChainFigures {
  const hashing = up.chipCount - up.missing.filter((i) => i < up.chipCount).length;
  return {
    nonceDifficulty: chips?.ticketDifficulty ?? up.ticketDifficulty,
    nominalHashrate: chips?.hashrate ?? up.frequencyMhz * 1e6 * family.smallCores * hashing,
    workIntervalMs: workIntervalMs(family.name, { frequencyMhz: up.frequencyMhz, smallCores: family.smallCores, chips: up.chipCount }),
    spaceRate: chips?.hashrate ?? up.frequencyMhz * 1e6 * nextPow2(family.smallCores) * nextPow2(up.chipCount),
  };
}

/**
 * A unit covers 2^32 nonces × the versions the chips roll (2^popcount(rollMask)); it must be replaced by
 * half its exhaustion time (as BM1397's interval, job-interval.ts), never less often than the family's
 * usual interval, and at most once a millisecond (the timer's resolution: faster than that the chips do
 * idle part of the time, which the scheduler's warning says).
 */
export function unitIntervalMs(f: Pick<ChainFigures, 'workIntervalMs' | 'spaceRate'>, rollMask: number): number {
  if (f.spaceRate <= 0) return f.workIntervalMs;
  const exhaustMs = ((2 ** 32 * 2 ** popcount32(rollMask >>> 0)) / f.spaceRate) * 1000;
  return Math.max(MIN_UNIT_INTERVAL_MS, Math.min(f.workIntervalMs, exhaustMs / 2));
}

/**
 * Version bits the chips roll on their own for a job allowing `jobMask`: BM1397 hashes four midstates
 * (versions +0..+3 along the mask: its two lowest bits); full-header families roll the bits register
 * 0xA4 can express (13..28).
 */
export function chipRollMask(family: ChipFamily, jobMask: number): number {
  if (family.jobFormat === 'midstate') return depositBits(family.parallelVersions - 1, jobMask);
  return (jobMask & CHIP_ROLLABLE_MASK) >>> 0;
}
