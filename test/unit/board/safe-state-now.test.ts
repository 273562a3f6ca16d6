/**
 * `asic-agent safe-state` (ExecStopPost=) on hardware an agent left powered: a simulated board is brought
 * up and then abandoned without any stop, as a watchdog SIGKILL would leave it; a second set of parts
 * opened on the same simulated hardware, as the fresh process opens the real bus and lines, drives it to
 * the safe state. ManualClock; nothing sleeps.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeStateNow } from '../../../src/board/safe-state-now.js';
import { advance, startedSimBoard } from '../../helpers/sim-board.js';

test('safeStateNow drives a powered, abandoned board to the safe state from new handles', async () => {
  const h = await startedSimBoard();
  await advance(h.clock, 5000, 250);
  const sim = h.rt.sim;
  assert.ok(sim);
  assert.equal(h.rt.board.getPhase(), 'running');
  assert.equal(sim.regulator?.outputOn(), true, 'powered before');
  assert.equal(sim.powerEnabled(), true);
  assert.deepEqual(sim.resetHeld(), [false, false]);
  // The agent "dies": its Board is never stopped. A new process opens the same hardware.
  const rec = await safeStateNow(h.rt.config, sim.bus, sim.gpioOpener, h.clock);
  assert.equal(rec.reason, 'service-failed');
  assert.equal(rec.complete, true, JSON.stringify(rec.steps));
  assert.deepEqual(sim.resetHeld(), [true, true], 'chains held in reset');
  assert.equal(sim.powerEnabled(), false, 'power-enable off');
  assert.equal(sim.regulator?.outputOn(), false, 'regulator output off');
  assert.equal(sim.outputVolts(), 0);
  assert.ok(Math.abs((sim.fans[0]?.duty ?? 0) * 100 - h.rt.config.fans.safeDuty) <= 1, 'fans at the safe duty');
});
