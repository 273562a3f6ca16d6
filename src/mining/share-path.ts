/**
 * From a verified nonce to the pool: duplicate filter, stale check, submission, and accounting of
 * every outcome. Nothing that meets the pool target disappears without a counter saying why.
 */
import type { LocalShareCode } from '../upstream/share-code.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Share, ShareOutcome } from '../upstream/job.js';
import { toHex } from '../work/bytes.js';
import { reverseBytes } from '../work/byte-order.js';
import type { MiningStats } from './mining-stats.js';

/** Why a share's job can no longer be submitted, or undefined when it still can. */
export type StaleCheck = (share: Share) => LocalShareCode | undefined;

export interface SharePathOptions {
  stats: MiningStats;
  log: Logger;
  submit: (share: Share) => Promise<ShareOutcome>;
  staleReason: StaleCheck;
  /**
   * Called for a block candidate before anything else (JD: propagate through the own node); true when
   * the block went somewhere that publishes it.
   */
  onBlock?: (share: Share) => boolean | void;
}

/** Jobs whose shares are remembered for duplicate detection: far more than any pool keeps valid at once. */
const DEDUPE_JOBS = 256;

export class SharePath {
  /**
   * Share keys per job (pool and job id: a re-issued copy of a job is the same job), for duplicate
   * detection, for the last DEDUPE_JOBS jobs: memory follows the jobs still minable, not a window of the
   * last 65 536 shares that took a day to fill and several MB to hold (seen in the soak, issue 21).
   */
  private readonly seen = new Map<string, Set<string>>();
  /** Submitted shares whose outcome is not known yet. */
  inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: SharePathOptions) {}

  private isDuplicate(share: Share): boolean {
    const en = share.extranonce ? toHex(share.extranonce) : '';
    const key = `${en}|${share.ntime}|${share.version}|${share.nonce}`;
    const job = `${share.job.source.poolId}|${share.job.id}`;
    let keys = this.seen.get(job);
    if (!keys) {
      keys = new Set();
      this.seen.set(job, keys);
      // Maps iterate in insertion order: the first key is the oldest job.
      if (this.seen.size > DEDUPE_JOBS) this.seen.delete(this.seen.keys().next().value as string);
    }
    if (keys.has(key)) return true;
    keys.add(key);
    return false;
  }

  /**
   * Resolves once no share is waiting for its pool's answer, or after `timeoutMs` (a stop waits here so
   * that shares already sent are answered, not lost to the disconnect). Resolves true when drained.
   */
  drained(timeoutMs: number, clock: Clock): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = clock.setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clock.clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }

  /** Blocks count as found only when someone could publish them (no "blocks" nobody can submit). */
  private countBlock(share: Share, published: boolean, reachedPool: boolean): void {
    if (!share.isBlock) return;
    if (published || reachedPool) {
      this.o.stats.blocksFound++;
      return;
    }
    this.o.stats.blocksLost++;
    this.o.log.error({ pool: share.job.source.poolId, job: share.job.id, hash: toHex(reverseBytes(share.hash)) }, 'block found but nobody could take it (no pool connected, job gone): not published');
  }

  /** Handles one share; resolves when its outcome is recorded. Never rejects. */
  async handle(share: Share): Promise<ShareOutcome | undefined> {
    const { stats, log } = this.o;
    const pool = share.job.source.poolId;
    if (this.isDuplicate(share)) {
      stats.duplicates++;
      return undefined;
    }
    stats.recordShareFound(share.difficulty);
    let published = false;
    if (share.isBlock) {
      log.warn({ pool, job: share.job.id, hash: toHex(reverseBytes(share.hash)), difficulty: share.difficulty }, 'block found');
      try {
        published = this.o.onBlock?.(share) === true;
      } catch (err) {
        log.error({ err }, 'block handler failed');
      }
    }
    const stale = this.o.staleReason(share);
    if (stale !== undefined) {
      stats.recordShareOutcome(pool, 'stale', share.difficulty, stale);
      log.debug({ pool, job: share.job.id, reason: stale }, 'stale share not submitted');
      this.countBlock(share, published, false);
      return { status: 'stale', reason: stale };
    }
    this.inFlight++;
    let outcome: ShareOutcome;
    try {
      outcome = await this.o.submit(share);
    } catch (err) {
      outcome = { status: 'lost', reason: 'lost-to-disconnect' };
      log.warn({ pool, err: err instanceof Error ? err.message : String(err) }, 'share submission failed');
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
    const reason = outcome.status === 'accepted' ? undefined : outcome.reason;
    stats.recordShareOutcome(pool, outcome.status, share.difficulty, reason);
    // A share the pool answered reached a pool that can publish the block; a lost one reached nobody.
    this.countBlock(share, published, outcome.status !== 'lost');
    if (outcome.status === 'accepted') log.debug({ pool, difficulty: share.difficulty }, 'share accepted');
    else log.info({ pool, status: outcome.status, reason, difficulty: share.difficulty }, 'share not accepted');
    return outcome;
  }
}
