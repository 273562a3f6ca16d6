/**
 * The scheduler: the job to mine (from the pool manager) -> work units per chain at the interval each
 * chain needs -> verified nonces -> shares.
 *
 * On a clean job (new prev hash) it sends fresh work to every chain at once; a non-clean update (same
 * prev hash, new transactions, a new target) waits for each chain's next unit, due within its work
 * interval, as ESP-Miner queues mining.notify: a pool sending thousands of updates a second would
 * otherwise have the chips abandon their work thousands of times a second and cycle the chip job ids
 * faster than nonces come back (issue 21 D5). Between jobs each chain gets a new unit every
 * `workIntervalMs`, or faster when the job leaves the chips fewer version bits to roll
 * (`workIntervalFor`: a fixed version means a new extranonce before the chips run out of nonces). Nonces
 * are verified in software against the unit they belong to (or, for a chip job id reused moments
 * before, an earlier unit: a late nonce); hardware errors are counted per chip; valid nonces feed the
 * hashrate; those meeting the job's own target go through the share path. A job the chains cannot split
 * stops the work (the chips must not keep hashing the previous job) and is reported.
 */
import type { LocalShareCode } from '../upstream/share-code.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import type { Job, Share } from '../upstream/job.js';
import { equalBytes } from '../work/bytes.js';
import { popcount32, depositBits } from '../work/version-rolling.js';
import type { ChainNonce, MiningChain } from './mining-chain.js';
import type { MiningStats } from './mining-stats.js';
import { NonceVerifier } from './nonce-verifier.js';
import { JobWorkGenerator } from './work-generator.js';
import type { SharePath } from './share-path.js';

export interface SchedulerOptions {
  chains: MiningChain[];
  clock: Clock;
  log: Logger;
  stats: MiningStats;
  shares: SharePath;
  /** Called for every valid nonce (chain health). */
  onValidNonce?: (chain: number, chip: number) => void;
  /** Called for every unit sent to a chain (chain health: silence only counts while there is work). */
  onWorkSent?: (chain: number) => void;
  /** Called when a job cannot be mined (no way to split it among the chains): the work stopped. */
  onUnusableJob?: (job: Job, reason: string) => void;
}

interface ActiveJob {
  job: Job;
  gen: JobWorkGenerator;
  /** Unit interval per chain for this job (its roll mask). */
  intervals: Map<number, number>;
}

/** Jobs older than the current one that shares may still be submitted for (non-clean updates). */
const KEEP_JOBS = 8;

export class Scheduler {
  private current?: ActiveJob;
  /**
   * Recent jobs per pool, newest last. A clean job (new prev hash) makes only that pool's earlier jobs
   * stale; shares for another pool's jobs (after a switch) still go to that pool, whose upstream decides
   * whether it can take them (the pool manager counts lost-to-switch otherwise).
   */
  private readonly recent = new Map<string, Job[]>();
  private readonly timers = new Map<number, TimerHandle>();
  private readonly verifiers = new Map<number, NonceVerifier>();
  private stopped = false;
  /** Latency of the last job switch (job received -> last chain written), ms. */
  lastSwitchMs = 0;

  constructor(private readonly o: SchedulerOptions) {
    for (const chain of o.chains) {
      this.verifiers.set(chain.index, new NonceVerifier(chain.ticketDifficulty));
      chain.on('nonce', (n) => this.onNonce(chain, n));
    }
  }

  get job(): Job | undefined {
    return this.current?.job;
  }

  /** Why a share can no longer be submitted, or undefined. */
  staleReason(share: Share): LocalShareCode | undefined {
    const list = this.recent.get(share.job.source.poolId);
    if (list?.includes(share.job)) return undefined;
    const newest = list?.[list.length - 1];
    return newest && !equalBytes(newest.prevHash, share.job.prevHash) ? 'prev-hash-changed' : 'job-replaced';
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
    let list = this.recent.get(pool) ?? [];
    if (job.clean) list = [];
    list.push(job);
    if (list.length > KEEP_JOBS) list.shift();
    this.recent.set(pool, list);
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
        this.o.log.warn({ chain: c.index, pool, job: job.id, rollMask: rollMask.toString(16), intervalMs: Number(ms.toFixed(3)), usualMs: c.workIntervalMs }, 'few version bits to roll: new extranonce every unit, units sent faster');
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
      this.o.stats.workSent++;
      this.o.onWorkSent?.(chain.index);
    } else if (!now) {
      this.o.stats.workExhausted++;
    }
    this.timers.set(
      chain.index,
      this.o.clock.setTimeout(() => this.feed(chain, false), cur.intervals.get(chain.index) ?? chain.workIntervalMs),
    );
    return unit !== undefined;
  }

  private onNonce(chain: MiningChain, n: ChainNonce): void {
    const verifier = this.verifiers.get(chain.index) as NonceVerifier;
    // A re-initialised chain may report at another ticket difficulty.
    verifier.setTicketDifficulty(chain.ticketDifficulty);
    const origin = { chain: chain.index, chip: n.chip };
    let v = verifier.verify(n.unit, n.version, n.nonce, n.at, origin);
    const stats = this.o.stats;
    if (v.kind === 'hw-error' && n.earlier) {
      // The chip job id was reused shortly before: the nonce may be a late one of an older unit.
      for (const e of n.earlier) {
        const late = verifier.verify(e.unit, e.version, n.nonce, n.at, origin);
        if (late.kind === 'hw-error') continue;
        stats.lateNonces++;
        v = late;
        break;
      }
    }
    if (v.kind === 'hw-error' && n.historyCut) {
      stats.lateUnmatched++;
      return;
    }
    if (v.kind === 'hw-error') {
      stats.recordHwError(chain.index, n.chip);
      n.reportHwError?.();
      this.o.log.debug({ chain: chain.index, chip: n.chip, reason: v.reason }, 'hardware error');
      return;
    }
    stats.recordValidNonce(chain.index, n.chip, chain.ticketDifficulty);
    this.o.onValidNonce?.(chain.index, n.chip);
    if (v.kind === 'share') void this.o.shares.handle(v.share);
  }
}
