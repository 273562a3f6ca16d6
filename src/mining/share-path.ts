/**
 * Hop 7 of the share path (docs/architecture.md): a Share the nonce check built goes to the upstream
 * that issued its job, `share.job.upstream.submit(share)` (in the agent through the pool manager, which
 * checks that this very connection still runs and keeps the per-pool counts), and its outcome goes to
 * the one stats sink (MiningStats). A stale share is counted and never sent; a block goes to whoever can publish it first
 * (the job's upstream: JD's own node even when the job was replaced since). Nothing that meets a target
 * disappears without a counter saying why.
 */
import type { LocalShareCode } from '../upstream/share-code.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Share, ShareOutcome } from '../upstream/job.js';
import { toHex } from '../work/bytes.js';
import { reverseBytes } from '../work/byte-order.js';
import type { MiningStats } from './mining-stats.js';

export interface SharePathOptions {
  stats: MiningStats;
  log: Logger;
  /**
   * Where a share goes: the agent's pool manager (PoolManager.submit, which hands it to
   * `share.job.upstream` when that connection is still running). Default: `share.job.upstream.submit`.
   */
  submit?: (share: Share) => Promise<ShareOutcome>;
}

export class SharePath {
  /** Submitted shares whose outcome is not known yet. */
  inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: SharePathOptions) {}

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
    this.o.log.error(
      { pool: share.job.source.poolId, job: share.job.id, hash: toHex(reverseBytes(share.hash)) },
      'block found but nobody could take it (no pool connected, job gone): not published',
    );
  }

  /**
   * Sends one share (`stale`: why it can no longer be submitted, from the nonce check) and records what
   * became of it; resolves with that. Never rejects.
   */
  async handle(share: Share, stale?: LocalShareCode): Promise<ShareOutcome> {
    const { stats, log } = this.o;
    const pool = share.job.source.poolId;
    stats.recordShareFound(share.difficulty);
    let published = false;
    if (share.isBlock) {
      log.warn({ pool, job: share.job.id, hash: toHex(reverseBytes(share.hash)), difficulty: share.difficulty }, 'block found');
      try {
        // A block on our own template goes to our own node at once, even when its job was replaced.
        published = share.job.upstream.publishBlock?.(share) === true;
      } catch (err) {
        log.error({ err }, 'block handler failed');
      }
    }
    if (stale !== undefined) {
      stats.recordShareOutcome(pool, 'stale', share.difficulty, stale);
      log.debug({ pool, job: share.job.id, reason: stale }, 'stale share not submitted');
      this.countBlock(share, published, false);
      return { status: 'stale', reason: stale };
    }
    this.inFlight++;
    let outcome: ShareOutcome;
    try {
      outcome = await (this.o.submit ? this.o.submit(share) : share.job.upstream.submit(share));
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
