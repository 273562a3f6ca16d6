// The on_censorship policy as a decision (src/upstream/jd/fallback-policy.ts): where the chains go after
// an alarm or a failed pair, what the alarm reports, and which pool left behind a recheck probes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alarmAction, type FallbackPosition, fallbackStep, recheckCandidate } from '../../../../src/upstream/jd/fallback-policy.js';

const at = (policy: FallbackPosition['policy'], pairIndex: number, pairCount: number, soloPayout: boolean): FallbackPosition => ({
  policy,
  pairIndex,
  pairCount,
  soloPayout,
});

test('next-pool goes down the list, then solo with a payout, else back to the first pair', () => {
  assert.deepEqual(fallbackStep(at('next-pool', 0, 3, true)), { to: 'pair', index: 1 });
  assert.deepEqual(fallbackStep(at('next-pool', 1, 3, false)), { to: 'pair', index: 2 });
  assert.deepEqual(fallbackStep(at('next-pool', 2, 3, true)), { to: 'solo' });
  assert.deepEqual(fallbackStep(at('next-pool', 2, 3, false)), { to: 'pair', index: 0 });
  // One pair and no payout: the same pair again (reconnected from scratch).
  assert.deepEqual(fallbackStep(at('next-pool', 0, 1, false)), { to: 'pair', index: 0 });
});

test('retry keeps the pair and solo leaves it, wherever the chains mine', () => {
  for (const i of [0, 1, 2]) {
    assert.deepEqual(fallbackStep(at('retry', i, 3, true)), { to: 'retry' });
    assert.deepEqual(fallbackStep(at('solo', i, 3, true)), { to: 'solo' });
  }
});

test('the alarm names where next-pool leads past the last pair', () => {
  assert.equal(alarmAction(at('next-pool', 0, 2, true)), 'next-pool');
  assert.equal(alarmAction(at('next-pool', 1, 2, true)), 'next-pool->solo');
  assert.equal(alarmAction(at('next-pool', 1, 2, false)), 'next-pool->first');
  assert.equal(alarmAction(at('retry', 1, 2, true)), 'retry');
  assert.equal(alarmAction(at('solo', 0, 2, true)), 'solo');
});

test('a recheck probes the most preferred pair left behind above the one mined now', () => {
  assert.equal(recheckCandidate(new Set([2, 0, 1]), 2), 0);
  assert.equal(recheckCandidate([3, 1], 2), 1);
  // Only pairs below in preference are left behind: nothing to probe.
  assert.equal(recheckCandidate([2, 3], 2), undefined);
  assert.equal(recheckCandidate([], 1), undefined);
  // Solo: any pair is better.
  assert.equal(recheckCandidate([4, 3], null), 3);
});
