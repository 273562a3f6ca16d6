// Outstanding shares and batched SubmitShares.Success (pitfall 10), including U32 wrap-around.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seqAtOrBefore, ShareTracker, type OutstandingShare } from '../../../../src/upstream/sv2/share-tracker.js';
import type { Share, ShareOutcome } from '../../../../src/upstream/job.js';

function entry(t: ShareTracker, outcomes: Map<number, ShareOutcome>, sentAt = 0): OutstandingShare {
  const seq = t.nextSequence();
  const e: OutstandingShare = { seq, share: {} as Share, targetDifficulty: 1, sentAt, resolve: (o) => outcomes.set(seq, o) };
  t.add(e);
  return e;
}

test('one Success acknowledges a batch; an Error takes out just its share', () => {
  const t = new ShareTracker();
  const got = new Map<number, ShareOutcome>();
  for (let i = 0; i < 5; i++) entry(t, got);
  t.reject(2)?.resolve({ status: 'rejected', reason: 'difficulty-too-low' });
  const acked = t.acknowledge(3);
  assert.deepEqual(
    acked.map((e) => e.seq),
    [0, 1, 3],
  );
  acked.forEach((e) => e.resolve({ status: 'accepted' }));
  assert.equal(t.size, 1);
  assert.equal(t.reject(2), undefined);
  assert.deepEqual(
    t.drain().map((e) => e.seq),
    [4],
  );
  assert.equal(t.size, 0);
  assert.deepEqual(got.get(2), { status: 'rejected', reason: 'difficulty-too-low' });
});

test('sequence numbers wrap at 2^32 and batches still cover the wrap', () => {
  assert.ok(seqAtOrBefore(0xfffffffe, 1));
  assert.ok(seqAtOrBefore(5, 5));
  assert.ok(!seqAtOrBefore(6, 5));
  assert.ok(!seqAtOrBefore(1, 0xfffffffe));
  const t = new ShareTracker(0xfffffffe);
  const got = new Map<number, ShareOutcome>();
  const seqs = [0, 1, 2, 3].map(() => entry(t, got).seq);
  assert.deepEqual(seqs, [0xfffffffe, 0xffffffff, 0, 1]);
  assert.deepEqual(
    t.acknowledge(0).map((e) => e.seq),
    [0xfffffffe, 0xffffffff, 0],
  );
});

test('expiry removes only the shares sent before the cutoff', () => {
  const t = new ShareTracker();
  const got = new Map<number, ShareOutcome>();
  entry(t, got, 10);
  entry(t, got, 20);
  assert.deepEqual(
    t.expire(15).map((e) => e.seq),
    [0],
  );
  assert.equal(t.size, 1);
});
