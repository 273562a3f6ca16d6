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
import { depositBits } from '../work/version-rolling.js';
import { workIntervalMs } from './job-interval.js';
import type { MiningChain, MiningChainEvents } from './mining-chain.js';
import type { WorkUnit } from './work-unit.js';

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
    this.nominalHashrate = simHashrate ?? up.frequencyMhz * 1e6 * this.family.smallCores * up.chipCount;
    this.workIntervalMs = workIntervalMs(this.family.name, { frequencyMhz: up.frequencyMhz, smallCores: this.family.smallCores, chips: up.chipCount });
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
