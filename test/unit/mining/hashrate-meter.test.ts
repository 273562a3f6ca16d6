import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../src/clock.js';
import { HashrateMeter } from '../../../src/mining/hashrate-meter.js';

test('hashrate from nonces × ticket difficulty × 2^32 over 5 s, 1 min and 15 min windows', () => {
  const clock = new ManualClock(0);
  const m = new HashrateMeter(clock);
  // 10 nonces per second at difficulty 256 for 120 s = 10 × 256 × 2^32 H/s.
  for (let s = 0; s < 120; s++) {
    for (let i = 0; i < 10; i++) m.record(256);
    clock.advance(1000);
  }
  const expected = 10 * 256 * 2 ** 32;
  for (const w of [5, 60]) assert.ok(Math.abs(m.rate(w) - expected) / expected < 1e-9, `window ${w}: ${m.rate(w)}`);
  assert.ok(Math.abs(m.rate(900) - expected) / expected < 0.02);
  assert.ok(Math.abs(m.average() - expected) / expected < 0.01);
  // Silence: the 5 s window drops to zero, the 15 min window keeps the history.
  clock.advance(10_000);
  assert.equal(m.rate(5), 0);
  assert.ok(m.rate(900) > 0);
  assert.equal(m.diff1Work(), 1200 * 256);
});
