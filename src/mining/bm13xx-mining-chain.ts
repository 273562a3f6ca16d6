/**
 * Adapts a BM13xx chain (drivers/asic/bm13xx) to the scheduler's MiningChain: work units go out as the
 * driver's WorkUnit (header template + the version bits the chips may roll), nonce reports come back
 * resolved to the unit they belong to. It exists before the chain is brought up (the scheduler holds
 * every chain from the start) and learns the chain's figures from each bring-up.
 */
import type { Bm13xxChain, BringUpResult } from '../../drivers/asic/bm13xx/chain.js';
import type { ChipFamily } from '../../drivers/asic/bm13xx/family.js';
import { CHIP_ROLLABLE_MASK } from '../../drivers/asic/bm13xx/registers/version-mask.js';
import type { WorkUnit as DriverWork } from '../../drivers/asic/bm13xx/work-unit.js';
import type { Logger } from '../log.js';
import { TypedEmitter } from '../typed-emitter.js';
import { depositBits, popcount32 } from '../work/version-rolling.js';
import { nextPow2, workIntervalMs } from './job-interval.js';
import type { MiningChain, MiningChainEvents } from './mining-chain.js';
import type { WorkUnit } from './work-unit.js';

/** Node's timers fire at millisecond resolution at best. */
const MIN_UNIT_INTERVAL_MS = 1;

/** The driver's work unit carrying the agent's unit, so nonce reports lead back to it. */
export interface AgentDriverWork extends DriverWork {
  unit: WorkUnit;
}

export class Bm13xxMiningChain extends TypedEmitter<MiningChainEvents> implements MiningChain {
  chipCount = 0;
  ticketDifficulty = 256;
  workIntervalMs = 1000;
  nominalHashrate = 0;
  /** Work units not sent because the chain was not running, or the driver refused them. */
  sendFailures = 0;
  /**
   * Hashes per second over the chain's nonce space: the chips split it by power-of-two address and core
   * bits (job-interval.ts), so f · nextpow2(cores) · nextpow2(chips); a simulated chain's real rate.
   */
  private spaceRate = 0;
  private driver: Bm13xxChain<AgentDriverWork> | undefined;

  constructor(
    readonly index: number,
    readonly family: ChipFamily,
    private readonly log: Logger,
  ) {
    super();
  }

  /** Connects the driver's events (once per driver). */
  attach(driver: Bm13xxChain<AgentDriverWork>): void {
    this.driver = driver;
    driver.on('nonce', (r) => {
      this.emit('nonce', {
        unit: r.work.unit,
        version: r.version,
        nonce: r.nonce,
        chip: r.chipIndex,
        at: r.receivedAt,
        reportHwError: () => driver.reportHardwareError(r),
        ...(r.earlier ? { earlier: r.earlier.map((e) => ({ unit: e.work.unit, version: e.version })) } : {}),
        ...(r.historyCut ? { historyCut: true } : {}),
      });
    });
    driver.on('state', (s) => {
      if (s === 'failed') this.emit('fault', 'chain failed');
    });
  }

  /**
   * The figures of a fresh bring-up. `simHashrate` replaces the family's nominal hashrate for a
   * simulated chain (what the simulator really hashes), so that nominal and measured agree.
   */
  update(up: BringUpResult, simHashrate?: number): void {
    this.chipCount = up.chipCount;
    this.ticketDifficulty = up.effectiveTicketDifficulty;
    // A chip that did not answer keeps its address slot (chipCount) but hashes nothing.
    const hashing = up.chipCount - up.missing.filter((i) => i < up.chipCount).length;
    this.nominalHashrate = simHashrate ?? up.frequencyMhz * 1e6 * this.family.smallCores * hashing;
    this.workIntervalMs = workIntervalMs(this.family.name, { frequencyMhz: up.frequencyMhz, smallCores: this.family.smallCores, chips: up.chipCount });
    this.spaceRate = simHashrate ?? up.frequencyMhz * 1e6 * nextPow2(this.family.smallCores) * nextPow2(up.chipCount);
  }

  /**
   * A unit covers 2^32 nonces × the versions the chips roll (2^popcount(rollMask)); it must be replaced
   * by half its exhaustion time (as BM1397's interval, job-interval.ts), never less often than the
   * family's usual interval, and at most once a millisecond (the timer's resolution: faster than that
   * the chips do idle part of the time, which the scheduler's warning says).
   */
  workIntervalFor(rollMask: number): number {
    if (this.spaceRate <= 0) return this.workIntervalMs;
    const exhaustMs = ((2 ** 32 * 2 ** popcount32(rollMask >>> 0)) / this.spaceRate) * 1000;
    return Math.max(MIN_UNIT_INTERVAL_MS, Math.min(this.workIntervalMs, exhaustMs / 2));
  }

  rollMaskFor(jobMask: number): number {
    // BM1397 hashes four midstates (versions +0..+3 along the mask): the two lowest mask bits.
    if (this.family.jobFormat === 'midstate') return depositBits(this.family.parallelVersions - 1, jobMask);
    // Full-header families roll the bits register 0xA4 can express (13..28).
    return (jobMask & CHIP_ROLLABLE_MASK) >>> 0;
  }

  sendWork(unit: WorkUnit): void {
    const d = this.driver;
    if (!d || d.state !== 'running') {
      this.sendFailures++;
      return;
    }
    d.sendWork({ header: unit.header, versionMask: unit.rollMask, unit }).catch((err: unknown) => {
      this.sendFailures++;
      this.log.warn({ chain: this.index, err: err instanceof Error ? err.message : String(err) }, 'work not sent');
    });
  }
}
