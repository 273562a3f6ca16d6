/**
 * Each simulated fault reaches the safe state within 1 s of simulated time after it becomes detectable,
 * with the safe state checked on the simulated hardware itself: chains in reset, power-enable off,
 * regulator output off, fans at the safe duty. ManualClock throughout; nothing sleeps.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunConfig } from '../../../src/config/run-config.js';
import type { SafeStateRecord } from '../../../src/board/board.js';
import type { SimFaultName } from '../../../src/config/sim-faults.js';
import { advance, advanceUntil, startedSimBoard, type SimHarness } from '../../helpers/sim-board.js';

const STEP = 50;

function watchSafe(h: SimHarness): { at: () => number | undefined; rec: () => SafeStateRecord | undefined } {
  let at: number | undefined;
  let rec: SafeStateRecord | undefined;
  h.rt.board.on('safe-state', (r) => {
    at ??= h.clock.now();
    rec ??= r;
  });
  return { at: () => at, rec: () => rec };
}

function assertHardwareSafe(h: SimHarness, fanDuty: number | undefined = 100): void {
  const sim = h.rt.sim;
  assert.ok(sim);
  assert.deepEqual(sim.resetHeld(), [true, true], 'chains held in reset');
  assert.equal(sim.powerEnabled(), false, 'power-enable off');
  assert.equal(sim.outputVolts(), 0, 'no voltage on the chains');
  assert.equal(sim.regulator?.outputOn(), false, 'regulator output off');
  // The EMC2101 has 64 duty steps, so 20 % lands on 13/63 = 20.6 %.
  if (fanDuty !== undefined) assert.ok(Math.abs((sim.fans[0]?.duty ?? 0) * 100 - fanDuty) <= 1, `fans at ${fanDuty} % (got ${(sim.fans[0]?.duty ?? 0) * 100})`);
}

async function injectAndWatch(
  fault: SimFaultName,
  detectable: (h: SimHarness, injectedAt: number) => boolean,
  patch?: (c: RunConfig) => RunConfig,
  warmupMs = 120_000,
): Promise<{ h: SimHarness; injectedAt: number; detectableAt: number; safeAt: number; rec: SafeStateRecord }> {
  const h = await startedSimBoard(patch);
  await advance(h.clock, warmupMs, 250);
  assert.equal(h.rt.board.getPhase(), 'running', 'warm and running before the fault');
  const w = watchSafe(h);
  const injectedAt = h.clock.now();
  h.rt.sim?.inject(fault);
  let detectableAt: number | undefined;
  await advanceUntil(
    h.clock,
    () => {
      if (detectableAt === undefined && detectable(h, injectedAt)) detectableAt = h.clock.now();
      return w.at() !== undefined && detectableAt !== undefined;
    },
    10 * 60_000,
    STEP,
  );
  const safeAt = w.at();
  const rec = w.rec();
  assert.ok(detectableAt !== undefined, `${fault}: never became detectable`);
  assert.ok(safeAt !== undefined && rec, `${fault}: never reached the safe state`);
  assert.ok(safeAt - detectableAt <= 1000, `${fault}: safe ${safeAt - detectableAt} ms after detectable`);
  assert.equal(h.rt.board.getPhase(), 'safe');
  return { h, injectedAt, detectableAt, safeAt, rec };
}

test('fan-stall: tach below the floor for stall_timeout_s, then safe within 1 s', async () => {
  let below: number | undefined;
  const { h, rec } = await injectAndWatch('fan-stall', (hh) => {
    const rpm = hh.rt.sim?.fans[0]?.rpm ?? 0;
    if (below === undefined && rpm < hh.rt.config.fans.stallRpm) below = hh.clock.now();
    return below !== undefined && hh.clock.now() - below >= hh.rt.config.fans.stallTimeoutS * 1000;
  });
  assert.equal(rec.reason, 'fan-stall');
  assert.match(rec.detail, /0 working fans, 1 required; failed: fan\.fan \(0 rpm/);
  assert.equal(rec.complete, true);
  assertHardwareSafe(h);
  assert.equal(h.rt.board.status().reason, 'fan-stall', 'the board state names the reason');
  h.rt.close();
});

test('overheat: a reading at dangerous, then safe within 1 s', async () => {
  const { h, rec } = await injectAndWatch('overheat', (hh) => (hh.rt.sim?.thermal.temperatureC ?? 0) >= hh.rt.config.limits.dangerousC + 0.25);
  assert.equal(rec.reason, 'overheat');
  assert.match(rec.detail, /at or above dangerous 75 °C/);
  assertHardwareSafe(h);
  h.rt.close();
});

test('sensor-loss: no valid temperature for no_reading_timeout_s, then safe within 1 s', async () => {
  const { h, rec, injectedAt, safeAt } = await injectAndWatch('sensor-loss', (hh, at) => hh.clock.now() - at >= hh.rt.config.limits.noReadingTimeoutS * 1000);
  assert.equal(rec.reason, 'sensor-loss');
  assert.match(rec.detail, /fan\.external \(EMC2101 external diode open/);
  assert.ok(safeAt - injectedAt >= 9_000, 'not before the timeout (one poll of slack)');
  assertHardwareSafe(h);
  h.rt.close();
});

test('sensor-stuck: a bit-identical reading for stuck_timeout_s, then no valid reading for the timeout', async () => {
  const patch = (c: RunConfig): RunConfig => ({ ...c, limits: { ...c.limits, stuckTimeoutS: 20 } });
  const { h, rec } = await injectAndWatch('sensor-stuck', (hh, at) => hh.clock.now() - at >= (20 + hh.rt.config.limits.noReadingTimeoutS) * 1000, patch);
  assert.equal(rec.reason, 'sensor-stuck');
  assertHardwareSafe(h);
  h.rt.close();
});

test('regulator-fault: STATUS_WORD fault bits at the next poll, then safe within 1 s', async () => {
  const { h, rec, injectedAt, safeAt } = await injectAndWatch('regulator-fault', () => true);
  assert.equal(rec.reason, 'regulator-fault');
  assert.match(rec.detail, /IOUT\/POUT, IOUT_OC_FAULT/);
  assert.ok(safeAt - injectedAt <= 1000);
  assertHardwareSafe(h);
  assert.equal(h.rt.sim?.regulator?.nvmWrites, 0, 'never wrote NVM');
  h.rt.close();
});

test('vout-drift and overcurrent: out-of-range VOUT / IOUT stop the board', async () => {
  const a = await injectAndWatch('vout-drift', () => true, undefined, 5_000);
  assert.equal(a.rec.reason, 'vout-out-of-range');
  assert.match(a.rec.detail, /VOUT 5\.\d+ V, set 4\.600 V/);
  assertHardwareSafe(a.h, undefined);
  a.h.rt.close();
  const b = await injectAndWatch('overcurrent', () => true, undefined, 5_000);
  assert.equal(b.rec.reason, 'iout-out-of-range');
  assertHardwareSafe(b.h, undefined);
  b.h.rt.close();
});

test('bus-timeout: the I2C bus is dead, yet the safe state is reached through the GPIO lines', async () => {
  // Tach, temperatures and regulator all go unreadable; the fan check (stall_timeout_s) is the first to expire.
  const { h, rec } = await injectAndWatch('bus-timeout', (hh, at) => hh.clock.now() - at >= hh.rt.config.fans.stallTimeoutS * 1000, undefined, 5_000);
  assert.equal(rec.reason, 'too-few-fans');
  assert.match(rec.detail, /fan\.fan \(tach unreadable: .*bus timeout/);
  assert.equal(rec.complete, false, 'the regulator and fan steps could not be done');
  assert.deepEqual(
    rec.steps.map((s) => [s.step, s.ok]),
    [
      ['chains held in reset', true],
      ['power-enable off', true],
      ['regulator off', false],
      ['fans at 100 %', false],
    ],
  );
  const sim = h.rt.sim;
  assert.ok(sim);
  assert.deepEqual(sim.resetHeld(), [true, true]);
  assert.equal(sim.powerEnabled(), false);
  assert.equal(sim.outputVolts(), 0, 'the CONTROL pin switched the regulator off');
  h.rt.close();
});

test('after a stop the fans hold the safe duty until the board is cool, then drop to the minimum', async () => {
  const h = await startedSimBoard();
  await advance(h.clock, 120_000, 250);
  h.rt.sim?.inject('regulator-fault');
  await advance(h.clock, 2_000, STEP);
  assert.equal(h.rt.board.getPhase(), 'safe');
  assert.equal(h.rt.board.status().fanDutyPct, 100);
  const coolAt = await advanceUntil(h.clock, () => h.rt.board.status().fanDutyPct === 20, 30 * 60_000, 500);
  assert.ok(coolAt !== undefined, 'fans dropped to the minimum');
  assert.ok((h.rt.board.status().controlC ?? 99) <= 45.5, `cool: ${h.rt.board.status().controlC}`);
  assert.equal(h.rt.board.getPhase(), 'safe', 'no restart after a regulator fault');
  h.rt.close();
});

test('hot: fans to 100 % and the miner is asked to reduce frequency before dangerous stops it', async () => {
  const h = await startedSimBoard();
  const calls: string[] = [];
  h.rt.board.attachMining({
    start: async () => void calls.push('start'),
    stopHashing: (r) => void calls.push(`stop:${r}`),
    reduceFrequency: () => void calls.push('reduce'),
  });
  await advance(h.clock, 120_000, 250);
  h.rt.sim?.inject('overheat');
  const hotAt = await advanceUntil(h.clock, () => h.rt.board.status().level === 'hot', 120_000, STEP);
  assert.ok(hotAt !== undefined);
  await advance(h.clock, 1000, STEP);
  assert.ok(calls.includes('reduce'), calls.join(','));
  assert.equal(h.rt.board.status().fanDutyPct, 100);
  await advanceUntil(h.clock, () => h.rt.board.getPhase() === 'safe', 120_000, STEP);
  assert.ok(calls.indexOf('reduce') < calls.indexOf('stop:overheat'), calls.join(','));
  h.rt.close();
});

test('restart after an overheat only when allowed, only once cool, only after the delay', async () => {
  const patch = (c: RunConfig): RunConfig => ({ ...c, limits: { ...c.limits, restart: true, restartDelayS: 120 } });
  const h = await startedSimBoard(patch);
  await advance(h.clock, 60_000, 250);
  h.rt.sim?.inject('overheat');
  const stoppedAt = await advanceUntil(h.clock, () => h.rt.board.getPhase() === 'safe', 120_000, STEP);
  assert.ok(stoppedAt !== undefined);
  // Clear the blockage so cooling is possible, as an operator would.
  const sim = h.rt.sim;
  assert.ok(sim);
  Object.assign(sim, { airflowBlocked: false, extraHeatW: 0 });
  const restartedAt = await advanceUntil(h.clock, () => h.rt.board.getPhase() === 'running', 30 * 60_000, 250);
  assert.ok(restartedAt !== undefined, 'restarted');
  assert.ok(restartedAt - stoppedAt >= 120_000, 'not before restart_delay_s');
  assert.deepEqual(sim.resetHeld(), [false, false]);
  assert.ok(sim.outputVolts() > 4);
  h.rt.close();

  const n = await startedSimBoard();
  await advance(n.clock, 60_000, 250);
  n.rt.sim?.inject('overheat');
  await advanceUntil(n.clock, () => n.rt.board.getPhase() === 'safe', 120_000, STEP);
  Object.assign(n.rt.sim ?? {}, { airflowBlocked: false, extraHeatW: 0 });
  await advance(n.clock, 30 * 60_000, 1000);
  assert.equal(n.rt.board.getPhase(), 'safe', 'restart = false keeps it stopped');
  n.rt.close();
});

test('pause (curtailment): hashing and power off, fans ramp down on a timer; resume powers up again', async () => {
  const h = await startedSimBoard();
  await advance(h.clock, 10 * 60_000, 250);
  const sim = h.rt.sim;
  assert.ok(sim);
  const before = h.rt.board.status().fanDutyPct;
  assert.ok(before > 40, `warm board, fan regulating (${before} %)`);
  const pausing = h.rt.board.pause();
  await advance(h.clock, 100, STEP);
  await pausing;
  assert.equal(h.rt.board.getPhase(), 'paused');
  assert.deepEqual(sim.resetHeld(), [true, true]);
  assert.equal(sim.outputVolts(), 0);
  await advance(h.clock, 30_000, 250);
  const mid = h.rt.board.status().fanDutyPct;
  assert.ok(mid < before && mid > 20, `half-way down: ${before} -> ${mid}`);
  await advance(h.clock, 31_000, 250);
  assert.equal(h.rt.board.status().fanDutyPct, 20, 'at the minimum after pause_ramp_down_s, not 100 %');
  const resuming = h.rt.board.resume();
  await advanceUntil(h.clock, () => h.rt.board.getPhase() === 'running', 5_000, STEP);
  await resuming;
  assert.deepEqual(sim.resetHeld(), [false, false]);
  assert.ok(Math.abs(sim.outputVolts() - 4.6) < 0.01);
  h.rt.close();
});

test('power-up order: regulator configured and on, then the reset lines released; start refuses without a temperature', async () => {
  const h = await startedSimBoard(undefined, [], false);
  const sim = h.rt.sim;
  assert.ok(sim);
  const order: string[] = [];
  h.rt.board.on('chains-released', () => order.push(`released (vout ${sim.outputVolts().toFixed(2)})`));
  h.rt.board.on('state', (s) => order.push(s.phase));
  assert.deepEqual(sim.resetHeld(), [true, true], 'lines open held in reset');
  assert.equal(sim.powerEnabled(), false);
  const starting = h.rt.board.start();
  await advanceUntil(h.clock, () => h.rt.board.getPhase() === 'running', 10_000, 10);
  await starting;
  assert.deepEqual(order, ['starting', 'released (vout 4.60)', 'running']);

  const dead = await startedSimBoard(undefined, [], false);
  dead.rt.sim?.inject('sensor-loss');
  const p = dead.rt.board.start().then(
    () => 'started',
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
  await advance(dead.clock, 1000, STEP);
  assert.match(await p, /refusing to power up: no valid chip or board temperature/);
  assert.equal(dead.rt.board.getPhase(), 'safe');
  assert.equal(dead.rt.sim?.powerEnabled(), false);
  assert.equal(dead.rt.sim?.regulator?.outputOn(), false);
  h.rt.close();
  dead.rt.close();
});

test('a stop during power-up wins: the chains are never released', async () => {
  const h = await startedSimBoard(undefined, [], false);
  const sim = h.rt.sim;
  assert.ok(sim);
  let released = false;
  h.rt.board.on('chains-released', () => (released = true));
  const starting = h.rt.board.start();
  await advance(h.clock, 200, 10); // inside the settle time
  assert.equal(h.rt.board.getPhase(), 'starting');
  const stop = h.rt.board.safeStop('stop', 'operator');
  await advance(h.clock, 2_000, STEP);
  await stop;
  await starting;
  assert.equal(released, false);
  assert.equal(h.rt.board.getPhase(), 'safe');
  assert.deepEqual(sim.resetHeld(), [true, true]);
  assert.equal(sim.outputVolts(), 0);
  h.rt.close();
});

test('shutdown waits for cool, leaves the fans at the minimum, closes; emergency stop is synchronous', async () => {
  const h = await startedSimBoard();
  await advance(h.clock, 120_000, 250);
  const done = h.rt.board.shutdown('sigterm', 'test');
  await advanceUntil(h.clock, () => h.rt.board.getPhase() === 'closed', 10 * 60_000, 500);
  const rec = await done;
  assert.equal(rec.reason, 'sigterm');
  assertHardwareSafe(h, 20);
  assert.ok((h.rt.sim?.thermal.temperatureC ?? 99) <= 46);

  const e = await startedSimBoard();
  await advance(e.clock, 5_000, 250);
  e.rt.board.emergencyStopSync('exit');
  assertHardwareSafe(e, 100);
  assert.equal(e.rt.board.lastSafeState()?.reason, 'exit');
  assert.equal(e.rt.board.getPhase(), 'closed');
  h.rt.close();
  e.rt.close();
});

test('configure (SIGHUP reload) moves the setpoint without stopping', async () => {
  const h = await startedSimBoard();
  await advance(h.clock, 10 * 60_000, 250);
  const cfg = h.rt.config;
  h.rt.board.configure({ ...cfg.limits, targetC: 55 }, cfg.fans, cfg.power);
  await advance(h.clock, 15 * 60_000, 250);
  assert.equal(h.rt.board.getPhase(), 'running');
  const t = h.rt.sim?.thermal.temperatureC ?? 0;
  assert.ok(Math.abs(t - 55) < 2, `settled near the new target: ${t}`);
  h.rt.close();
});

test('faults from the board-config [sim] section and from the caller are both scheduled from start', async () => {
  const patch = (c: RunConfig): RunConfig => {
    const sim = c.board.sim;
    assert.ok(sim);
    return { ...c, board: { ...c.board, sim: { ...sim, faults: ['regulator-fault@20'] } } };
  };
  const h = await startedSimBoard(patch, [{ name: 'sensor-stuck', atS: 5 }]);
  await advance(h.clock, 6_000, 250);
  assert.deepEqual(h.rt.sim?.injected, ['sensor-stuck@5']);
  assert.equal(h.rt.board.getPhase(), 'running');
  await advance(h.clock, 15_000, STEP);
  assert.deepEqual(h.rt.sim?.injected, ['sensor-stuck@5', 'regulator-fault@20']);
  assert.equal(h.rt.board.status().reason, 'regulator-fault');
  assertHardwareSafe(h, 20); // 20 s after a cold start the board is below `cool`: minimum duty at once
  h.rt.close();
});
