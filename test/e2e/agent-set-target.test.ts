// Issue 14, defect 1, end to end: the real agent process on a simulated board mining to the lab SV2
// pool while the pool changes the share target (SetTarget) in both directions. The lab pool judges each
// share by the target its job was activated with (sv2-spec 5.3.21): a SetTarget applies to jobs
// received afterwards, never to the jobs being mined. So:
//  - after an easier SetTarget the agent keeps the harder target for the jobs already active (a share
//    meeting only the new target would be `difficulty-too-low`), and uses the easier one for new jobs;
//  - after a harder SetTarget the agent still sends the shares that meet an active job's easier target.
// The test waits for share events; nothing is timed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import type { ShareEvent } from '../../workshop/lab/sv2-pool-core.js';
import { startAgentProcess } from '../helpers/agent-process.js';
import { writeSimAgentConfig } from '../helpers/sim-agent-config.js';

interface Seen extends ShareEvent {
  n: number;
}

test('SetTarget in both directions: every share is sent and judged with its own job target; the pool rejects none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-settarget-'));
  const hashrate = 100_000;
  // About 2 shares/s at the hard target and 16/s at the easy one, for the whole board.
  const hard = hashrate / 2 ** 32;
  const easy = hard / 8;
  const pool = new Sv2Pool({ port: 0, difficulty: hard, prevHashIntervalSeconds: 0, shareBatchSize: 4, ackFlushMs: 200 });
  const { url } = await pool.start();
  const seen: Seen[] = [];
  const waiters: { pred: (e: Seen) => boolean; count: number; resolve: () => void }[] = [];
  pool.on('share', (e) => {
    seen.push({ ...e, n: seen.length });
    for (const w of waiters.slice()) {
      if (seen.filter(w.pred).length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  /** Resolves once `count` share events satisfy `pred` (a generous guard turns a hang into a failure). */
  const shares = (pred: (e: Seen) => boolean, count: number, what: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (seen.filter(pred).length >= count) return resolve();
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${count} × ${what}; pool counters ${JSON.stringify(pool.stats().rejected)}`)), 90_000);
      waiters.push({ pred, count, resolve: () => (clearTimeout(t), resolve()) });
    });
  const agent = startAgentProcess(['run', '--config', writeSimAgentConfig(dir, [{ name: 'lab', url }], { hashrate: hashrate / 2, noncesPerS: 40 })]);
  try {
    await shares((e) => e.ok, 2, 'accepted shares at the first target');

    // Easier: the jobs active now keep the hard target.
    const oldJobs = pool.core.lastJobId;
    let mark = seen.length;
    pool.core.setDifficulty(easy);
    const m1 = mark;
    await shares((e) => e.n >= m1 && (e.jobId ?? 0) <= oldJobs, 4, 'shares on the jobs active at the easier SetTarget');
    // New jobs carry the easier target: accepted shares below the hard difficulty.
    pool.core.newJobs();
    const newFrom = oldJobs;
    await shares(
      (e) => e.ok && (e.jobId ?? 0) > newFrom && (e.difficulty ?? Infinity) < hard,
      4,
      'accepted shares below the old difficulty on jobs sent after the SetTarget',
    );

    // Harder: shares that meet the active job's easier target are still sent, and accepted.
    const activeJobs = pool.core.lastJobId;
    mark = seen.length;
    pool.core.setDifficulty(hard);
    const m2 = mark;
    await shares(
      (e) => e.n >= m2 && e.ok && (e.jobId ?? 0) <= activeJobs && (e.difficulty ?? Infinity) < hard,
      3,
      'accepted shares meeting only the easier target of the job active at the harder SetTarget',
    );
    // And jobs sent after it take the hard target again.
    pool.core.newJobs();
    const hardFrom = pool.core.lastJobId - 1;
    await shares((e) => e.ok && (e.jobId ?? 0) > hardFrom, 2, 'accepted shares on jobs sent after the harder SetTarget');
    const after = seen.filter((e) => e.ok && (e.jobId ?? 0) > hardFrom);
    assert.ok(
      after.every((e) => (e.difficulty ?? 0) >= hard),
      'jobs after the harder SetTarget carry the hard target',
    );

    const rejected = pool.stats().rejected;
    assert.deepEqual(rejected, {}, `the pool rejected shares: ${JSON.stringify(rejected)}`);
    const { code } = await agent.stop('SIGTERM');
    assert.equal(code, 0);
  } finally {
    await agent.stop('SIGKILL');
    await pool.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
