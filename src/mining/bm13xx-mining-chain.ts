/**
 * Adapts a brought-up BM13xx chain (drivers/asic/bm13xx) to the scheduler's MiningChain: work units go
 * out as the driver's WorkUnit (header template + the version bits the chips may roll), nonce reports
 * come back resolved to the unit they belong to.
 */
import type { Bm13xxChain, BringUpResult } from '../../drivers/asic/bm13xx/chain.js';
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
  readonly chipCount: number;
  readonly ticketDifficulty: number;
  readonly workIntervalMs: number;
  readonly nominalHashrate: number;
  /** Work units the driver refused (chain not running); the scheduler's next tick retries. */
  sendFailures = 0;

  constructor(
    readonly index: number,
    readonly driver: Bm13xxChain<AgentDriverWork>,
    up: BringUpResult,
    private readonly log: Logger,
  ) {
    super();
    this.chipCount = up.chipCount;
    this.ticketDifficulty = up.effectiveTicketDifficulty;
    const fam = driver.family;
    this.nominalHashrate = up.frequencyMhz * 1e6 * fam.smallCores * up.chipCount;
    this.workIntervalMs = workIntervalMs(fam.name, { frequencyMhz: up.frequencyMhz, smallCores: fam.smallCores, chips: up.chipCount });
    driver.on('nonce', (r) => {
      this.emit('nonce', {
        unit: r.work.unit,
        version: r.version,
        nonce: r.nonce,
        chip: r.chipIndex,
        at: r.receivedAt,
        reportHwError: () => driver.reportHardwareError(r),
      });
    });
    driver.on('state', (s) => {
      if (s === 'failed') this.emit('fault', 'chain failed');
    });
  }

  rollMaskFor(jobMask: number): number {
    // BM1397 hashes four midstates (versions +0..+3 along the mask): the two lowest mask bits.
    if (this.driver.family.jobFormat === 'midstate') return depositBits(this.driver.family.parallelVersions - 1, jobMask);
    // Full-header families roll the bits register 0xA4 can express (13..28).
    return (jobMask & CHIP_ROLLABLE_MASK) >>> 0;
  }

  sendWork(unit: WorkUnit): void {
    this.driver.sendWork({ header: unit.header, versionMask: unit.rollMask, unit }).catch((err: unknown) => {
      this.sendFailures++;
      this.log.warn({ chain: this.index, err: err instanceof Error ? err.message : String(err) }, 'work not sent');
    });
  }
}
