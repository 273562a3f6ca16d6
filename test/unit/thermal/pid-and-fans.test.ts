import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pid } from '../../../src/thermal/pid.js';
import { FanController } from '../../../src/thermal/fan-control.js';
import { ThermalNode } from '../../../workshop/sim/sim-physics.js';
import { advance, startedSimBoard } from '../../helpers/sim-board.js';
import { FANS, LIMITS } from '../../helpers/thermal-fixtures.js';

test('PID: proportional response, output clamps, no wind-up while saturated', () => {
  const pid = new Pid({ kp: 2, ki: 0.5, kd: 0 }, 60, 10, 100);
  pid.reset(50);
  assert.equal(pid.update(60, 1), 50, 'zero error keeps the reset output');
  assert.equal(pid.update(65, 0), 60, 'kp × 5 on top of the integral');
  // Far above the target for a long time: saturates at 100 without winding the integral up.
  for (let i = 0; i < 100; i++) assert.equal(pid.update(90, 1), 100);
  // Back below target: the output leaves 100 at once instead of after a wind-up unwinds.
  const after = pid.update(55, 1);
  assert.ok(after < 100, `left saturation immediately (${after})`);
  // Derivative acts on the measurement.
  const d = new Pid({ kp: 0, ki: 0, kd: 10 }, 60, 0, 100);
  d.reset(50);
  d.update(60, 1);
  assert.equal(d.update(61, 1), 60);
  d.setpoint = 40; // a setpoint change alone does not kick the output
  assert.equal(d.update(61, 1), 50);
});

test('PID settles a thermal node at the setpoint (pure model)', () => {
  const node = new ThermalNode({ ambientC: 25, heatCapacity: 200, passiveConductance: 0.5, fanConductance: 5 });
  const pid = new Pid({ kp: 4, ki: 0.15, kd: 0 }, 60, 20, 100);
  pid.reset(100);
  let duty = 100;
  for (let t = 0; t < 1800; t++) {
    duty = pid.update(node.temperatureC, 1);
    node.step(1, 111, duty / 100);
  }
  assert.ok(Math.abs(node.temperatureC - 60) < 0.5, `${node.temperatureC}`);
  assert.ok(Math.abs(node.steadyStateC(111, duty / 100) - 60) < 1);
});

test('fan control: auto ramps, hot and unknown temperature override at once, manual and immersion', () => {
  const f = new FanController(FANS, LIMITS);
  assert.equal(f.current(), 100, 'starts at max until readings arrive');
  let d = f.running(40, false, 0);
  assert.equal(d, 100, 'the first step has no elapsed time, so the ramp allows no change yet');
  d = f.running(40, false, 1000);
  assert.equal(d, 95, 'ramp down 5 %/s');
  d = f.running(40, false, 2000);
  assert.equal(d, 90);
  assert.equal(f.running(40, true, 2500), 100, 'hot: 100 % immediately');
  assert.equal(f.running(null, false, 3000), 100, 'no temperature: 100 %');
  const m = new FanController({ ...FANS, mode: 'manual', manualDuty: 55 }, LIMITS);
  assert.equal(m.running(30, false, 0), 55);
  assert.equal(m.running(30, true, 100), 100, 'hot is enforced in manual mode');
  const i = new FanController({ ...FANS, mode: 'immersion', minDuty: 0 }, LIMITS);
  assert.equal(i.running(30, true, 0), 0);
  assert.equal(i.safe(false, 0), 0);
});

test('fan control: paused ramps from the last duty to the minimum on a timer; safe holds until cool', () => {
  const f = new FanController(FANS, LIMITS);
  f.running(80, true, 0); // 100 %
  assert.equal(f.paused(false, 0), 100);
  assert.equal(f.paused(false, 30_000), 60, 'half-way through a 60 s ramp from 100 to 20');
  assert.equal(f.paused(false, 60_000), 20);
  assert.equal(f.paused(false, 90_000), 20);
  assert.equal(f.safe(false, 0), 100);
  assert.equal(f.safe(true, 0), 20, 'then the minimum once cool, never 100 % forever');
});

test('the fan PID settles the simulated board within ±2 °C of the target (simulated clock)', async () => {
  const { clock, rt } = await startedSimBoard();
  await advance(clock, 10 * 60_000, 250);
  const readings: number[] = [];
  await advance(clock, 10 * 60_000, 250, () => {
    const c = rt.board.status().controlC;
    if (c !== null) readings.push(c);
    // The physical temperature, not only the sensor.
    readings.push(rt.sim?.thermal.temperatureC ?? Number.NaN);
  });
  assert.ok(readings.length > 1000);
  const worst = Math.max(...readings.map((c) => Math.abs(c - 60)));
  assert.ok(worst <= 2, `worst deviation ${worst.toFixed(2)} °C`);
  assert.equal(rt.board.getPhase(), 'running');
  const duty = rt.board.status().fanDutyPct;
  assert.ok(duty > 20 && duty < 100, `the fan is regulating (${duty} %), not pinned`);
  rt.close();
});
