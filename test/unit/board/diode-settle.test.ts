// Issue 15, point 6: the simulated chip diode reads garbage for a moment after a chain leaves reset, as
// mujina observed on silicon; the board ignores it (settle window, N readings in a row) and keeps running,
// while a real over-temperature still ends in the safe state within 1 s (board-faults.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advance, startedSimBoard } from '../../helpers/sim-board.js';

test('garbage from the chip diode right after a reset pulse does not stop the board', async () => {
  const h = await startedSimBoard();
  try {
    await advance(h.clock, 5_000, 50);
    assert.equal(h.rt.board.getPhase(), 'running');
    const dangerous = h.rt.config.limits.dangerousC;
    let garbage = 0;
    h.rt.board.on('sample', (st) => {
      const d = st.temps.find((t) => t.id === 'fan.external');
      if (d?.c != null && d.c >= dangerous) garbage++;
    });
    // A chain's bring-up pulses its reset line (chain.ts); do it at several phases of the 500 ms poll.
    const line = h.rt.parts.chainResets[0];
    assert.ok(line);
    for (let k = 0; k < 8; k++) {
      await line.write(1);
      await line.write(0);
      await advance(h.clock, 330, 10);
    }
    assert.ok(garbage > 0, 'the board did read the diode while it was unsettled');
    assert.equal(h.rt.board.getPhase(), 'running', `stopped: ${h.rt.board.status().reason} ${h.rt.board.status().detail}`);
  } finally {
    h.rt.close();
  }
});
