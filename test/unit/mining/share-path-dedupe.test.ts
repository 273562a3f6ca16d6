// Duplicate detection in the share path: per job (pool + job id, so a re-issued copy of a job is the same
// job), for a bounded number of recent jobs rather than a window of 65 536 share keys (issue 21 soak).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../src/clock.js';
import { logger } from '../../../src/log.js';
import { MiningStats } from '../../../src/mining/mining-stats.js';
import { SharePath } from '../../../src/mining/share-path.js';
import type { Job } from '../../../src/upstream/job.js';
import { fakeFactory, shareFor } from '../../helpers/fake-upstream.js';

test('a share found again on a copy of its job is a duplicate; jobs long gone are forgotten', async () => {
  const clock = new ManualClock();
  const stats = new MiningStats(clock);
  let submitted = 0;
  const path = new SharePath({ stats, log: logger('test'), submit: async () => (submitted++, { status: 'accepted' }), staleReason: () => undefined });
  const f = fakeFactory(clock);
  const up = f.factory({ id: 'p', url: 'stratum+tcp://p:1', user: 'u', password: 'x', group: 'g', rank: 0, index: 0 });
  up.ready();
  const job = up.job as Job;
  await path.handle(shareFor(job, 7));
  await path.handle(shareFor({ ...job, clean: true }, 7));
  assert.equal(stats.duplicates, 1, 'the copy (same pool, same job id) is the same job');
  assert.equal(submitted, 1);
  for (let i = 0; i < 300; i++) await path.handle(shareFor(up.newJob(false), 1));
  await path.handle(shareFor(job, 7));
  assert.equal(stats.duplicates, 1, 'after 300 newer jobs the first one is forgotten (a share for it is stale anyway)');
});
