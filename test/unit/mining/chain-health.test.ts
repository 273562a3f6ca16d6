import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../src/clock.js';
import { ChainHealth } from '../../../src/mining/chain-health.js';

test('a silent chip is marked after ten expected intervals, a silent chain is reported dead', () => {
  const clock = new ManualClock();
  // 4 chips at 2^32 × 256 H/s with ticket 256: one nonce per second per chip.
  const h = new ChainHealth({ chain: 0, chips: 4, chipHashrate: 256 * 2 ** 32, ticketDifficulty: 256, clock, minWindowMs: 1000 });
  assert.equal(h.chipIntervalMs(), 1000);
  h.workSent();
  for (let s = 0; s < 30; s++) {
    clock.advance(1000);
    h.workSent();
    for (const chip of [0, 1, 3]) h.nonce(chip); // chip 2 is dead
    const actions = h.check();
    if (s === 10)
      assert.deepEqual(
        actions.map((a) => a.kind),
        ['chip-silent'],
      );
    else if (s > 10) assert.deepEqual(actions, []);
  }
  assert.deepEqual(h.silentChips(), [2]);
  assert.deepEqual(h.nonce(2), { kind: 'chip-recovered', chip: 2 });
  // Whole chain silent while it gets work: 10 chain intervals of 250 ms are 2.5 s, bounded below by 1 s.
  for (let t = 0; t < 13; t++) {
    clock.advance(200);
    h.workSent();
  }
  assert.deepEqual(
    h.check().map((a) => a.kind),
    ['chain-dead'],
  );
  assert.equal(h.chainReinits, 1);
  h.reset();
  assert.deepEqual(h.check(), []);
});

test('no work, no silence: checks pause while no unit goes to the chain, and count again from the first new unit (issue 21 D4)', () => {
  const clock = new ManualClock();
  const h = new ChainHealth({ chain: 0, chips: 4, chipHashrate: 256 * 2 ** 32, ticketDifficulty: 256, clock, minWindowMs: 1000 });
  // Never any work: however long, never silent, never dead.
  for (let s = 0; s < 60; s++) {
    clock.advance(1000);
    assert.deepEqual(h.check(), []);
  }
  assert.equal(h.paused(), true);
  // Work for a while with nonces, then the pool goes away: units stop, the chips fall silent.
  for (let s = 0; s < 5; s++) {
    clock.advance(100);
    h.workSent();
    for (const chip of [0, 1, 2, 3]) h.nonce(chip);
  }
  for (let s = 0; s < 60; s++) {
    clock.advance(1000);
    assert.deepEqual(h.check(), [], `second ${s}: no work sent for a window, so no verdict`);
  }
  assert.equal(h.chainReinits, 0);
  assert.equal(h.chipsMarked, 0);
  // Work resumes: the long silence before it does not count; a chain that then stays silent is dead.
  h.workSent();
  assert.equal(h.paused(), false);
  assert.deepEqual(h.check(), []);
  for (let s = 0; s < 30 && h.chainReinits === 0; s++) {
    clock.advance(100);
    h.workSent();
    h.check();
  }
  assert.equal(h.chainReinits, 1, 'silent while it has work: re-initialised');
});
