import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../src/clock.js';
import { ChainHealth } from '../../../src/mining/chain-health.js';

test('a silent chip is marked after ten expected intervals, a silent chain is reported dead', () => {
  const clock = new ManualClock();
  // 4 chips at 2^32 × 256 H/s with ticket 256: one nonce per second per chip.
  const h = new ChainHealth({ chain: 0, chips: 4, chipHashrate: 256 * 2 ** 32, ticketDifficulty: 256, clock, minWindowMs: 1000 });
  assert.equal(h.chipIntervalMs(), 1000);
  for (let s = 0; s < 30; s++) {
    clock.advance(1000);
    for (const chip of [0, 1, 3]) h.nonce(chip); // chip 2 is dead
    const actions = h.check();
    if (s === 10) assert.deepEqual(actions.map((a) => a.kind), ['chip-silent']);
    else if (s > 10) assert.deepEqual(actions, []);
  }
  assert.deepEqual(h.silentChips(), [2]);
  assert.deepEqual(h.nonce(2), { kind: 'chip-recovered', chip: 2 });
  // Whole chain silent: 10 chain intervals of 250 ms are 2.5 s, bounded below by 1 s.
  clock.advance(2600);
  assert.deepEqual(h.check().map((a) => a.kind), ['chain-dead']);
  assert.equal(h.chainReinits, 1);
  h.reset();
  assert.deepEqual(h.check(), []);
});
