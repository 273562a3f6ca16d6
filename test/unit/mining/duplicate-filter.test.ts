// Duplicate detection of the nonce check: a repeated reply for the same unit, and a share found again on a
// re-issued copy of its job (pool + job id: the same job), remembered for a bounded number of recent jobs
// rather than a window of 65 536 share keys (issue 21 soak).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../src/clock.js';
import { DuplicateFilter } from '../../../src/mining/duplicate-filter.js';
import type { WorkUnit } from '../../../src/mining/work-unit.js';
import type { Job } from '../../../src/upstream/job.js';
import { BIP320_MASK } from '../../../src/work/version-rolling.js';
import { fakeFactory } from '../../helpers/fake-upstream.js';

let ids = 0;
function unitOf(job: Job, extranonce = new Uint8Array([1, 2, 3, 4])): WorkUnit {
  return {
    id: ids++,
    job,
    chain: 0,
    version: job.version,
    rollMask: BIP320_MASK,
    prevHash: job.prevHash,
    merkleRoot: new Uint8Array(32),
    ntime: job.ntime,
    nbits: job.nbits,
    extranonce,
    createdAt: 0,
  };
}

test('a repeated reply is a repeated nonce; a share found again on a copy of its job is a duplicate share; jobs long gone are forgotten', () => {
  const f = fakeFactory(new ManualClock());
  const up = f.factory({ id: 'p', url: 'stratum+tcp://p:1', user: 'u', password: 'x', group: 'g', rank: 0, index: 0 });
  up.ready();
  const job = up.job as Job;
  const d = new DuplicateFilter();
  const u1 = unitOf(job);
  assert.equal(d.seen(u1, job.version, 7, true), false);
  assert.equal(d.seen(u1, job.version, 7, true), 'nonce', 'the same reply for the same unit');
  assert.equal(d.seen(u1, (job.version | 0x2000) >>> 0, 7, false), false, 'another rolled version is another header');
  // A unit of a copy of the job (same pool, same job id) covering the same header: the same share.
  const u2 = unitOf({ ...job, clean: true });
  assert.equal(d.seen(u2, job.version, 7, true), 'share');
  assert.equal(d.seen(u2, job.version, 8, false), false, 'a ticket-only nonce is only remembered per unit');
  for (let i = 0; i < 300; i++) d.seen(unitOf(up.newJob(false)), job.version, 1, true);
  assert.equal(d.seen(unitOf(job), job.version, 7, true), false, 'after 300 newer jobs the first one is forgotten (a share for it is stale anyway)');
});
