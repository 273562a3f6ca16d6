/**
 * The scheduler: hops 3 and 6 of the share path (docs/architecture.md). The job to mine (from the pool
 * manager) -> work units per chain at the interval each chain needs (work-generator.ts) -> the chains'
 * nonce reports, checked once each for mask, hash, ticket, target, duplicate and staleness
 * (nonce-check.ts) -> shares, which go to their own job's upstream (share-path.ts). Every outcome is
 * recorded in one stats sink (MiningStats); nothing is called back up the stack.
 *
 * On a clean job (new prev hash) it sends fresh work to every chain at once; a non-clean update (same
 * prev hash, new transactions, a new target) waits for each chain's next unit, due within its work
 * interval, as ESP-Miner queues mining.notify: a pool sending thousands of updates a second would
 * otherwise have the chips abandon their work thousands of times a second and cycle the chip job ids
 * faster than nonces come back (issue 21 D5). Between jobs each chain gets a new unit every
 * `workIntervalMs`, or faster when the job leaves the chips fewer version bits to roll
 * (`workIntervalFor`: a fixed version means a new extranonce before the chips run out of nonces). Nonces
 * are checked in software against the unit they belong to (or, for a chip job id reused moments
 * before, an earlier unit: a late nonce); hardware errors are counted per chip; valid nonces feed the
 * hashrate; those meeting the job's own target become shares. A job the chains cannot split
 * stops the work (the chips must not keep hashing the previous job) and is reported.
 */
import type { LocalShareCode } from '../upstream/share-code.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import type { Job } from '../upstream/job.js';
import { popcount32, depositBits } from '../work/version-rolling.js';
import { DuplicateFilter } from './duplicate-filter.js';
import { JobBook } from './job-book.js';
import type { MiningChain } from './mining-chain.js';
import type { MiningStats } from './mining-stats.js';
import { NonceCheck } from './nonce-check.js';
import type { SharePath } from './share-path.js';
import { JobWorkGenerator } from './work-generator.js';
import type { NonceReport } from './work-unit.js';

export interface SchedulerOptions {
  chains: MiningChain[];
  clock: Clock;
  log: Logger;
  stats: MiningStats;
  shares: SharePath;
  /** Called when a job cannot be mined (no way to split it among the chains): the work stopped. */
  onUnusableJob?: (job: Job, reason: string) => void;
}

interface ActiveJob {
  job: Job;
  gen: JobWorkGenerator;
  /** Unit interval per chain for this job (its roll mask). */
  intervals: Map<number, number>;
}

export class Scheduler {
  private current?: ActiveJob;
  /** Recent jobs per pool, for the staleness check. */
  private readonly jobs = new JobBook();
  private readonly duplicates = new DuplicateFilter();
  private readonly timers = new Map<number, TimerHandle>();
  private readonly checks = new Map<number, NonceCheck>();
  private stopped = false;
  /** Latency of the last job switch (job received -> last chain written), ms. */
  lastSwitchMs = 0;

  constructor(private readonly o: SchedulerOptions) {
    for (const chain of o.chains) {
      this.checks.set(chain.index, new NonceCheck(this.duplicates, this.jobs));
      chain.on('nonce', (n) => this.onNonce(chain, n));
    }
  }

  get job(): Job | undefined {
    return this.current?.job;
  }

  /** Why a share of `job` can no longer be submitted, or undefined. */
  staleReason(job: Job): LocalShareCode | undefined {
    return this.jobs.staleReason(job);
  }

  /**
   * The rolling mask the chips use for this job. For header-only work with several chains, the chips'
   * mask gives up its top bits so that chains can be told apart by version (see work-generator.ts).
   */
  private rollMaskFor(job: Job): number {
    const chains = this.o.chains;
    let mask = job.versionMask;
    for (const c of chains) mask &= c.rollMaskFor(job.versionMask);
    if (job.work.kind === 'header' && chains.length > 1) {
      const need = Math.ceil(Math.log2(chains.length)) + 2;
      const free = popcount32(job.versionMask & ~mask);
      if (free < need) {
        // Keep the low (popcount - need) bits of the mask for the chips.
        const keep = Math.max(0, popcount32(mask) - (need - free));
        mask = keep === 0 ? 0 : depositBits(2 ** keep - 1, mask);
      }
    }
    return mask >>> 0;
  }

  /** A new job from upstream: fresh work to every chain now. */
  setJob(job: Job): void {
    if (this.stopped) return;
    const t0 = this.o.clock.now();
    const pool = job.source.poolId;
    this.jobs.add(job);
    let gen: JobWorkGenerator;
    const rollMask = this.rollMaskFor(job);
    try {
      gen = new JobWorkGenerator(job, this.o.chains.length, this.o.clock, rollMask);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.o.log.error({ err: reason, pool, job: job.id }, 'cannot split job among chains: no work for the chains');
      // The chips must not go on with the previous job as if nothing happened.
      this.idle();
      this.o.onUnusableJob?.(job, reason);
      return;
    }
    const update = !job.clean && this.current !== undefined && this.current.job.source.poolId === pool;
    const intervals = new Map<number, number>();
    for (const c of this.o.chains) {
      const ms = c.workIntervalFor?.(rollMask) ?? c.workIntervalMs;
      intervals.set(c.index, ms);
      if (ms < c.workIntervalMs && this.current?.intervals.get(c.index) !== ms) {
        this.o.log.warn(
          { chain: c.index, pool, job: job.id, rollMask: rollMask.toString(16), intervalMs: Number(ms.toFixed(3)), usualMs: c.workIntervalMs },
          'few version bits to roll: new extranonce every unit, units sent faster',
        );
      }
    }
    this.current = { job, gen, intervals };
    let fed = 0;
    // A non-clean update goes out with each chain's next unit (a chain with none due gets it now).
    for (const chain of this.o.chains) if ((!update || !this.timers.has(chain.index)) && this.feed(chain, true)) fed++;
    this.lastSwitchMs = this.o.clock.now() - t0;
    this.o.log[job.clean ? 'info' : 'debug']({ pool, job: job.id, clean: job.clean, chains: fed, ms: Number(this.lastSwitchMs.toFixed(3)) }, 'new work');
  }

  /** Sends `chain` its next unit now (a chain that just came back up). */
  kick(chain: number): void {
    const c = this.o.chains.find((x) => x.index === chain);
    if (c && this.current) this.feed(c, true);
  }

  /** Stops sending work (pool gone, board paused). Chips keep their last unit until reset. */
  idle(): void {
    this.current = undefined;
    for (const t of this.timers.values()) this.o.clock.clearTimeout(t);
    this.timers.clear();
  }

  stop(): void {
    this.stopped = true;
    this.idle();
  }

  /** Sends the chain its next unit and schedules the one after; true when a unit went out. */
  private feed(chain: MiningChain, now: boolean): boolean {
    const cur = this.current;
    const old = this.timers.get(chain.index);
    if (old) this.o.clock.clearTimeout(old);
    this.timers.delete(chain.index);
    if (!cur || this.stopped) return false;
    const unit = cur.gen.next(chain.index);
    if (unit) {
      chain.sendWork(unit);
      this.o.stats.recordWorkSent(chain.index);
    } else if (!now) {
      this.o.stats.workExhausted++;
    }
    this.timers.set(
      chain.index,
      this.o.clock.setTimeout(() => this.feed(chain, false), cur.intervals.get(chain.index) ?? chain.workIntervalMs),
    );
    return unit !== undefined;
  }

  /** Hop 6: one nonce report, checked once for each rule; every outcome goes to the stats sink. */
  private onNonce(chain: MiningChain, n: NonceReport): void {
    const check = this.checks.get(chain.index) as NonceCheck;
    // A re-initialised chain may report at another ticket difficulty.
    check.setTicketDifficulty(chain.nonceDifficulty);
    const stats = this.o.stats;
    const v = check.check(n, chain.index);
    switch (v.kind) {
      case 'hw-error':
        if (n.historyCut) {
          // Older units of this chip job id were forgotten (a job flood): possibly late, not the chip's fault.
          stats.lateUnmatched++;
          return;
        }
        stats.recordHwError(chain.index, n.chip);
        this.o.log.debug({ chain: chain.index, chip: n.chip, reason: v.reason }, 'hardware error');
        return;
      case 'duplicate':
        // A chip's repeated reply counts nowhere; a share of a re-issued job copy is a valid nonce whose
        // share is not sent again.
        if (v.of === 'nonce') {
          stats.repeatedNonces++;
          return;
        }
        if (v.late) stats.lateNonces++;
        stats.recordValidNonce(chain.index, n.chip, chain.nonceDifficulty);
        stats.duplicates++;
        return;
      default:
        if (v.late) stats.lateNonces++;
        stats.recordValidNonce(chain.index, n.chip, chain.nonceDifficulty);
        if (v.kind === 'share') void this.o.shares.handle(v.share, v.stale);
    }
  }
}
