// The simulated board's reset lines reach the chain simulators: a chain's chips hear the line's level
// (held = asserted, active-low handled), and a write completes only once the simulator has reacted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openBoardParts } from '../../../src/board/board-parts.js';
import { SimBoard } from '../../../workshop/sim/sim-board.js';
import { simSpecFor } from '../../../workshop/sim/simulated-parts.js';
import { ManualClock } from '../../../src/clock.js';
import { simRunConfig } from '../../helpers/sim-board.js';

test('each chain hears its own reset line, from its present level on; a line write waits for the chips', async () => {
  const cfg = simRunConfig();
  const sim = new SimBoard(simSpecFor(cfg.board), new ManualClock());
  const heard: [number, boolean][] = [];
  let release: (() => void) | undefined;
  const slow = (held: boolean): Promise<void> | void => {
    heard.push([0, held]);
    if (!held) return new Promise<void>((r) => (release = r));
  };
  // Not opened yet: the pull level holds an active-low nRST asserted.
  assert.equal(await sim.wireChainReset(0, slow), true);
  assert.equal(await sim.wireChainReset(1, (held) => void heard.push([1, held])), true);
  assert.equal(await sim.wireChainReset(7, () => undefined), false, 'no such chain');
  assert.deepEqual(heard, [
    [0, true],
    [1, true],
  ]);
  const parts = await openBoardParts(cfg.board, sim.bus, sim.gpioOpener);
  const line0 = parts.chainResets[0];
  assert.ok(line0 && parts.chainResets[1] && parts.chainResets.length === 2);
  let done = false;
  const w = line0.write(0).then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(heard.at(-1), [0, false]);
  assert.equal(done, false, 'the write waits for the chain simulator');
  release?.();
  await w;
  assert.equal(done, true);
  await parts.chainResets[1]?.write(0);
  await parts.chainResets[1]?.write(1);
  assert.deepEqual(heard.slice(-2), [
    [1, false],
    [1, true],
  ]);
});
