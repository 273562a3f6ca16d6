/**
 * Issue 21 D1: an authorised restart, or pause then resume, must not re-arm the thermal policy. The
 * commands are the ones the APIs call (src/agent/board-commands.ts) against the simulated board on a
 * ManualClock; the checks read the simulated hardware.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boardCommands } from '../../../src/agent/board-commands.js';
import { ManualClock } from '../../../src/clock.js';
import { simulatedLoad } from '../../../workshop/sim/sim-load.js';
import type { ControlResult } from '../../../src/api/agent-control.js';
import { advance, advanceUntil, flush, startedSimBoard, type SimHarness } from '../../helpers/sim-board.js';

const STEP = 50;

/** Runs a command while simulated time moves, and returns its result. */
async function run(h: SimHarness, p: Promise<ControlResult>): Promise<ControlResult> {
  let r: ControlResult | undefined;
  void p.then((x) => (r = x));
  await advanceUntil(h.clock, () => r !== undefined, 30_000, STEP);
  await flush();
  assert.ok(r, 'the command finished');
  return r;
}

const powered = (h: SimHarness): boolean => (h.rt.sim?.outputVolts() ?? 0) > 0;

test('the issue 21 reproduction: sensor lost and fan stalled, restart sent every 3 s, yet the board stops within the window', async () => {
  const h = await startedSimBoard();
  await advance(h.clock, 60_000, 250);
  const cmd = boardCommands(h.rt.board);
  const faultAt = h.clock.now();
  h.rt.sim?.inject('sensor-loss');
  h.rt.sim?.inject('fan-stall');
  const results: ControlResult[] = [];
  let safeAt: number | undefined;
  h.rt.board.on('safe-state', () => (safeAt ??= h.clock.now()));
  while (h.clock.now() - faultAt < 60_000) {
    results.push(await run(h, cmd.restart()));
    await advance(h.clock, 3_000, STEP);
    if (safeAt === undefined) continue;
    assert.equal(powered(h), false, `powered again at ${h.clock.now() - faultAt} ms after the fault`);
  }
  assert.ok(safeAt !== undefined, 'reached the safe state');
  const window = Math.min(h.rt.config.fans.stallTimeoutS + 2, h.rt.config.limits.noReadingTimeoutS) * 1000 + 1000;
  assert.ok(safeAt - faultAt <= window, `safe ${safeAt - faultAt} ms after the fault (window ${window} ms)`);
  // The first restart went out with the fault, before any reading showed it; every later one is refused.
  assert.ok(
    results.slice(1).every((r) => !r.ok),
    JSON.stringify(results),
  );
  assert.match(
    results[1]?.ok === false ? results[1].message : '',
    /refusing to power up: (no valid chip or board temperature|fan not turning|the last power-up)/,
  );
  assert.match(results.at(-1)?.ok === false ? (results.at(-1) as { message: string }).message : '', /board is safe/);
  assert.equal(h.rt.board.getPhase(), 'safe');
  h.rt.close();
});

test('resume is refused with the reason while the temperature is missing; the board stays paused, then the policy stops it at its window', async () => {
  const h = await startedSimBoard();
  await advance(h.clock, 60_000, 250);
  const cmd = boardCommands(h.rt.board);
  assert.deepEqual(await run(h, cmd.pause()), { ok: true, message: 'paused: hashing off, power off, fans ramp down' });
  const lostAt = h.clock.now();
  h.rt.sim?.inject('sensor-loss');
  await advance(h.clock, 3_000, STEP);
  const r = await run(h, cmd.resume());
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.message, /refusing to power up: no valid chip or board temperature: fan\.external \(.*open.*\) \(sensor-loss\)/);
  assert.equal(h.rt.board.getPhase(), 'paused');
  assert.equal(powered(h), false);
  const stopped = await advanceUntil(h.clock, () => h.rt.board.getPhase() === 'safe', 30_000, STEP);
  assert.ok(
    stopped !== undefined && stopped - lostAt <= h.rt.config.limits.noReadingTimeoutS * 1000 + 1000,
    `stopped at ${stopped === undefined ? '-' : stopped - lostAt} ms`,
  );
  assert.equal(h.rt.board.status().reason, 'sensor-loss', 'the no-reading timer ran on through the pause and the refused resume');
  h.rt.close();
});

test('the fan-stall timer survives pause and resume: a fan that stalls while paused stops the board at its window', async () => {
  const h = await startedSimBoard();
  await advance(h.clock, 60_000, 250);
  const cmd = boardCommands(h.rt.board);
  await run(h, cmd.pause());
  await advance(h.clock, 30_000, 250); // past the restart rate limit
  const stallAt = h.clock.now();
  h.rt.sim?.inject('fan-stall');
  await advance(h.clock, 2_000, STEP);
  const r = await run(h, cmd.resume());
  assert.equal(r.ok, false, 'refused: the fan is not turning');
  assert.match(r.ok ? '' : r.message, /fan not turning: fan\.fan \(fan-stall\)/);
  const stopped = await advanceUntil(h.clock, () => h.rt.board.getPhase() === 'safe', 30_000, STEP);
  assert.ok(stopped !== undefined && stopped - stallAt <= (h.rt.config.fans.stallTimeoutS + 3) * 1000);
  assert.equal(h.rt.board.status().reason, 'fan-stall');
  h.rt.close();
});

test('a frozen sensor is still caught through pause and resume: stuck time counts all powered time, not since the last power-up', async () => {
  const h = await startedSimBoard((c) => ({ ...c, limits: { ...c.limits, stuckTimeoutS: 20 } }));
  await advance(h.clock, 60_000, 250);
  const cmd = boardCommands(h.rt.board);
  h.rt.sim?.inject('sensor-stuck');
  // 8 s powered, then a pause long enough for the restart rate limit, again and again.
  let poweredMs = 0;
  for (let i = 0; i < 10 && h.rt.board.getPhase() !== 'safe'; i++) {
    await advance(h.clock, 8_000, STEP, () => (poweredMs += powered(h) ? STEP : 0));
    if (h.rt.board.getPhase() !== 'running') break;
    await run(h, cmd.pause());
    await advance(h.clock, 31_000, 250);
    if (h.rt.board.getPhase() === 'paused') await run(h, cmd.resume());
  }
  await advanceUntil(h.clock, () => h.rt.board.getPhase() === 'safe', 20_000, STEP);
  assert.equal(h.rt.board.status().reason, 'sensor-stuck');
  const limit = (20 + 10 + 2) * 1000;
  assert.ok(poweredMs <= limit, `powered ${poweredMs} ms with a frozen sensor (stuck ${20} s + no reading 10 s)`);
  h.rt.close();
});

test('the hot step-down survives pause and resume: the policy stays hot and the clock stays stepped down', async () => {
  const h = await startedSimBoard();
  const sim = h.rt.sim;
  assert.ok(sim);
  const load = simulatedLoad(sim, 525, 525, 25, 50);
  h.rt.board.attachMining(load);
  await advance(h.clock, 60_000, 250);
  sim.inject('overheat');
  await advanceUntil(h.clock, () => h.rt.board.status().level === 'hot', 120_000, STEP);
  await advance(h.clock, 1_000, STEP);
  const stepped = load.frequencyMhz();
  assert.ok(stepped < 525, `stepped down to ${stepped} MHz`);
  sim.clear('overheat');
  const cmd = boardCommands(h.rt.board);
  await run(h, cmd.pause());
  await advance(h.clock, 1_000, STEP);
  assert.equal(h.rt.board.status().level, 'hot', 'still hot while paused (the board has not cooled below hot − hysteresis)');
  assert.deepEqual(await run(h, cmd.resume()), { ok: true, message: 'resumed' });
  assert.equal(h.rt.board.getPhase(), 'running');
  assert.ok(load.frequencyMhz() <= stepped, `resumed at ${load.frequencyMhz()} MHz, not back at 525`);
  assert.equal(h.rt.board.status().fanDutyPct, 100, 'fans at 100 % while hot');
  h.rt.close();
});

test('restarts are rate-limited: a second restart within 30 s is refused with the reason and leaves the board running', async () => {
  const h = await startedSimBoard();
  await advance(h.clock, 60_000, 250);
  const cmd = boardCommands(h.rt.board);
  assert.equal(cmd.restartRefusal(), undefined);
  assert.deepEqual(await run(h, cmd.restart()), { ok: true, message: 'restarted: chains re-initialised' });
  await advance(h.clock, 5_000, 250);
  assert.match(cmd.restartRefusal() ?? '', /at most one per 30 s/);
  const r = await run(h, cmd.restart());
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.message, /refusing to power up: the last power-up was \d+ s ago; at most one per 30 s, next in \d+ s \(rate-limit\)/);
  assert.equal(h.rt.board.getPhase(), 'running', 'a refused restart does not pause');
  assert.ok(powered(h));
  await advance(h.clock, 30_000, 250);
  assert.equal((await run(h, cmd.restart())).ok, true);
  h.rt.close();
});

test('a config reload resets no timer and cannot switch the fan checks off', async () => {
  const h = await startedSimBoard();
  await advance(h.clock, 60_000, 250);
  const cfg = h.rt.config;
  const stallAt = h.clock.now();
  h.rt.sim?.inject('fan-stall');
  for (let i = 0; i < 10; i++) {
    h.rt.board.configure(cfg.limits, { ...cfg.fans, mode: 'immersion', minDuty: 0 }, cfg.power);
    await advance(h.clock, 1_000, STEP);
  }
  assert.equal(h.rt.board.getPhase(), 'safe');
  assert.equal(h.rt.board.status().reason, 'fan-stall');
  assert.ok((h.rt.board.lastSafeState()?.at ?? Infinity) - stallAt <= (cfg.fans.stallTimeoutS + 3) * 1000);
  h.rt.close();
});

test('a resume within the power-up rate limit is kept, not lost: it happens once the limit allows, unless the policy says no by then', async () => {
  const h = await startedSimBoard();
  const cmd = boardCommands(h.rt.board);
  // Paused and resumed right after the boot's power-up: the second power-up must wait.
  assert.equal((await run(h, cmd.pause())).ok, true);
  const r = await run(h, cmd.resume());
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.match(r.ok ? (r.message ?? '') : '', /^resuming in \d+ s \(at most one power-up per 30 s\)$/);
  assert.equal(h.rt.board.getPhase(), 'paused');
  await advanceUntil(h.clock, () => h.rt.board.getPhase() === 'running', 40_000, STEP);
  assert.equal(h.rt.board.getPhase(), 'running');
  // Deferred again, then the temperature goes missing: the deferred resume is refused when it is due.
  await advance(h.clock, 1_000, STEP);
  assert.equal((await run(h, cmd.pause())).ok, true);
  const again = await run(h, cmd.resume());
  assert.match(again.ok ? (again.message ?? '') : '', /^resuming in/);
  h.rt.sim?.inject('sensor-loss');
  await advance(h.clock, 35_000, STEP);
  assert.notEqual(h.rt.board.getPhase(), 'running');
  assert.equal(powered(h), false);
  h.rt.close();
});

test('a deferred resume whose timer comes due before the rate limit has passed (as Node timers do under load) still happens', async () => {
  // Every one-shot timer fires 40 ms early against the clock, as after a long synchronous stretch.
  const h = await startedSimBoard(undefined, [], true, new ManualClock(0, 1_700_000_000, { timersEarlyMs: 40 }));
  const cmd = boardCommands(h.rt.board);
  assert.equal((await run(h, cmd.pause())).ok, true);
  const r = await run(h, cmd.resume());
  assert.match(r.ok ? (r.message ?? '') : '', /^resuming in \d+ s/);
  await advanceUntil(h.clock, () => h.rt.board.getPhase() === 'running', 40_000, STEP);
  assert.equal(h.rt.board.getPhase(), 'running');
  assert.equal(powered(h), true);
  h.rt.close();
});
