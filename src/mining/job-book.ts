/**
 * The staleness check of hop 6 (src/mining/nonce-check.ts): the recent jobs of each pool, newest last.
 * A clean job (new prev hash) makes only that pool's earlier jobs stale; a non-clean update keeps the
 * KEEP_JOBS most recent ones valid. Shares for another pool's jobs (after a switch) are not stale here:
 * their own upstream decides whether it can still take them (src/upstream/pools.ts: lost-to-switch).
 */
import type { LocalShareCode } from '../upstream/share-code.js';
import { equalBytes } from '../work/bytes.js';
import type { Job } from '../upstream/job.js';

/** Jobs older than the current one that shares may still be submitted for (non-clean updates). */
const KEEP_JOBS = 8;

export class JobBook {
  private readonly recent = new Map<string, Job[]>();

  /** A job the chains mine from now on. */
  add(job: Job): void {
    const pool = job.source.poolId;
    let list = this.recent.get(pool) ?? [];
    if (job.clean) list = [];
    list.push(job);
    if (list.length > KEEP_JOBS) list.shift();
    this.recent.set(pool, list);
  }

  /** Why a share of `job` can no longer be submitted, or undefined. */
  staleReason(job: Job): LocalShareCode | undefined {
    const list = this.recent.get(job.source.poolId);
    if (list?.includes(job)) return undefined;
    const newest = list?.[list.length - 1];
    return newest && !equalBytes(newest.prevHash, job.prevHash) ? 'prev-hash-changed' : 'job-replaced';
  }
}
