import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ThermalPolicy, type BoardSample, type FanSample, type SensorSample } from '../../../src/thermal/thermal-policy.js';
import type { RegulatorTelemetry } from '../../../drivers/i2c/peripheral.js';
import { FANS, LIMITS } from '../../helpers/thermal-fixtures.js';

const POWER = { voutToleranceV: 0.1, maxIoutA: 28 };

function chip(c: number | null, raw?: number): SensorSample {
  return c === null ? { id: 'chip', kind: 'chip', c: null, error: 'NACK' } : { id: 'chip', kind: 'chip', c, raw: raw ?? Math.round(c * 8) };
}
function fan(rpm: number | null, duty = 50, id = 'fan'): FanSample {
  return rpm === null ? { id, dutyPct: duty, rpm: null, error: 'NACK' } : { id, dutyPct: duty, rpm };
}
function tel(p: Partial<RegulatorTelemetry> = {}): RegulatorTelemetry {
  return { off: false, vin: 12, vout: 4.6, iout: 20, tempC: 50, status: 0, faults: [], ...p };
}
function sample(t: number, p: Partial<BoardSample> = {}): BoardSample {
  return {
    t,
    powered: true,
    temps: [chip(60)],
    fans: [fan(3000)],
    regulator: { commandedOn: true, expectedVout: 4.6, settled: true, telemetry: tel() },
    ...p,
  };
}

/** The same sample `n` times 100 ms apart (a dangerous reading must repeat to stop the board); the last verdict. */
function repeated(p: ThermalPolicy, t: number, patch: Partial<BoardSample>, n = 3) {
  let v = p.evaluate(sample(t, patch));
  for (let k = 1; k < n; k++) v = p.evaluate(sample(t + 100 * k, patch));
  return v;
}

test('normal, hot with hysteresis, dangerous', () => {
  const p = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  assert.equal(p.evaluate(sample(0)).level, 'normal');
  assert.equal(p.evaluate(sample(1, { temps: [chip(70)] })).level, 'hot');
  assert.equal(p.evaluate(sample(2, { temps: [chip(68.5)] })).level, 'hot', 'stays hot within the hysteresis');
  assert.equal(p.evaluate(sample(3, { temps: [chip(67.9)] })).level, 'normal');
  const v = repeated(p, 4, { temps: [chip(75)] });
  assert.equal(v.level, 'dangerous');
  assert.deepEqual(v.stop?.reason, 'overheat');
  assert.match(v.stop?.detail ?? '', /75\.0 °C is at or above dangerous 75 °C \(3 readings in a row\)/);
  // VR limits are separate.
  const r = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  assert.equal(r.evaluate(sample(0, { temps: [chip(50), { id: 'vr', kind: 'vr', c: 96 }] })).level, 'hot');
  assert.equal(repeated(r, 1, { temps: [chip(50), { id: 'vr', kind: 'vr', c: 105 }] }).stop?.reason, 'overheat');
  // Ambient readings never stop the board.
  assert.equal(new ThermalPolicy(LIMITS, FANS, POWER, 0).evaluate(sample(0, { temps: [chip(50), { id: 'amb', kind: 'ambient', c: 99 }] })).stop, undefined);
});

test('regulator: fault bits, output off while commanded, VOUT and IOUT ranges, no telemetry', () => {
  const p = (): ThermalPolicy => new ThermalPolicy(LIMITS, FANS, POWER, 0);
  const reg = (t: RegulatorTelemetry | null, settled = true) => ({ regulator: { commandedOn: true, expectedVout: 4.6, settled, telemetry: t } });
  assert.equal(p().evaluate(sample(0, reg(tel({ faults: ['IOUT_OC_FAULT'], status: 0x4050 })))).stop?.reason, 'regulator-fault');
  assert.equal(p().evaluate(sample(0, reg(tel({ off: true })))).stop?.reason, 'regulator-fault');
  assert.equal(p().evaluate(sample(0, reg(tel({ off: true }), false))).stop, undefined, 'not before the settle time');
  assert.equal(p().evaluate(sample(0, reg(tel({ vout: 4.75 })))).stop?.reason, 'vout-out-of-range');
  assert.equal(p().evaluate(sample(0, reg(tel({ vout: 4.65 })))).stop, undefined, 'within tolerance');
  assert.equal(p().evaluate(sample(0, reg(tel({ iout: 28.5 })))).stop?.reason, 'iout-out-of-range');
  const q = p();
  assert.equal(q.evaluate(sample(0, reg(null))).stop, undefined);
  assert.equal(q.evaluate(sample(9999, reg(null))).stop, undefined);
  assert.equal(q.evaluate(sample(10_000, reg(null))).stop?.reason, 'regulator-fault');
  // Not commanded on (paused, stopped): an off output is expected.
  assert.equal(
    p().evaluate(sample(0, { powered: false, regulator: { commandedOn: false, expectedVout: 4.6, settled: false, telemetry: tel({ off: true, vout: 0 }) } }))
      .stop,
    undefined,
  );
});

test('fans: a stall must last stall_timeout_s; fewer working fans than min_fans stops', () => {
  const p = new ThermalPolicy(LIMITS, { ...FANS, minFans: 2 }, POWER, 0);
  const two = (a: FanSample, b: FanSample) => ({ fans: [a, b] });
  assert.equal(p.evaluate(sample(0, two(fan(3000, 50, 'a'), fan(100, 50, 'b')))).stop, undefined);
  assert.equal(p.evaluate(sample(4999, two(fan(3000, 50, 'a'), fan(0, 50, 'b')))).stop, undefined);
  const v = p.evaluate(sample(5000, two(fan(3000, 50, 'a'), fan(0, 50, 'b'))));
  assert.equal(v.stop?.reason, 'fan-stall');
  assert.match(v.stop?.detail ?? '', /1 working fan, 2 required; failed: b \(0 rpm at 50 % duty\)/);
  // With min_fans = 1 one failed fan of two is tolerated (and reported).
  const q = new ThermalPolicy(LIMITS, { ...FANS, minFans: 1 }, POWER, 0);
  q.evaluate(sample(0, two(fan(3000, 50, 'a'), fan(0, 50, 'b'))));
  const w = q.evaluate(sample(6000, two(fan(3000, 50, 'a'), fan(0, 50, 'b'))));
  assert.equal(w.stop, undefined);
  assert.deepEqual(w.failedFans, ['b (0 rpm at 50 % duty)']);
  // A tach that cannot be read counts as not working: too-few-fans.
  const r = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  r.evaluate(sample(0, { fans: [fan(null)] }));
  assert.equal(r.evaluate(sample(5000, { fans: [fan(null)] })).stop?.reason, 'too-few-fans');
  // A recovering fan resets its timer.
  const s = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  s.evaluate(sample(0, { fans: [fan(0)] }));
  s.evaluate(sample(4000, { fans: [fan(2000)] }));
  assert.equal(s.evaluate(sample(8000, { fans: [fan(0)] })).stop, undefined);
  // Duty 0 is not a stall; immersion mode checks no fans at all.
  assert.equal(new ThermalPolicy(LIMITS, FANS, POWER, 0).evaluate(sample(9000, { fans: [fan(0, 0)] })).stop, undefined);
  const imm = new ThermalPolicy(LIMITS, { ...FANS, mode: 'immersion', minFans: 0 }, POWER, 0);
  imm.evaluate(sample(0, { fans: [fan(0)] }));
  assert.equal(imm.evaluate(sample(60_000, { fans: [fan(0)], temps: [chip(74)] })).stop, undefined);
  assert.equal(repeated(imm, 60_001, { fans: [fan(0)], temps: [chip(75)] }).stop?.reason, 'overheat', 'dangerous still applies in immersion');
  // Manual mode still enforces min_fans (the Braiins complaint).
  const man = new ThermalPolicy(LIMITS, { ...FANS, mode: 'manual' }, POWER, 0);
  man.evaluate(sample(0, { fans: [fan(0)] }));
  assert.equal(man.evaluate(sample(5000, { fans: [fan(0)] })).stop?.reason, 'fan-stall');
});

test('sensors: no valid reading for the timeout stops; a stuck raw value counts only while powered', () => {
  const p = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  assert.equal(p.evaluate(sample(5000, { temps: [chip(null)] })).stop, undefined);
  const v = p.evaluate(sample(10_000, { temps: [chip(null)] }));
  assert.equal(v.stop?.reason, 'sensor-loss');
  assert.match(v.stop?.detail ?? '', /no valid chip or board temperature for 10 s: chip \(NACK\)/);
  // A vr reading alone does not protect the chips.
  const q = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  assert.equal(q.evaluate(sample(10_000, { temps: [{ id: 'vr', kind: 'vr', c: 40 }] })).stop?.reason, 'sensor-loss');
  // Stuck: same raw value for stuck_timeout_s of powered time, then no valid reading for the timeout.
  const L = { ...LIMITS, stuckTimeoutS: 20 };
  const s = new ThermalPolicy(L, FANS, POWER, 0);
  let t = 0;
  for (; t <= 19_000; t += 1000) assert.equal(s.evaluate(sample(t, { temps: [chip(60, 480)] })).stop, undefined, `t=${t}`);
  // Unpowered time does not count.
  for (let k = 0; k < 100; k++, t += 1000) assert.equal(s.evaluate(sample(t, { powered: false, temps: [chip(60, 480)] })).stop, undefined);
  let reason: string | undefined;
  for (let k = 0; k < 15 && !reason; k++, t += 1000) reason = s.evaluate(sample(t, { temps: [chip(60, 480)] })).stop?.reason;
  assert.equal(reason, 'sensor-stuck');
  // A value that changes is not stuck.
  const ok = new ThermalPolicy(L, FANS, POWER, 0);
  for (let k = 0; k < 100; k++) assert.equal(ok.evaluate(sample(k * 1000, { temps: [chip(60, 480 + (k % 2))] })).stop, undefined);
});

test('precedence: overheat before regulator before fans before sensors', () => {
  const p = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  p.evaluate(sample(0, { fans: [fan(0)] }));
  const patch = {
    temps: [chip(80)],
    fans: [fan(0)],
    regulator: { commandedOn: true, expectedVout: 4.6, settled: true, telemetry: tel({ faults: ['VOUT'] }) },
  };
  // Two dangerous readings: the regulator fault stops first; with a confirmed overheat, overheat wins.
  assert.equal(repeated(p, 20_000, patch, 2).stop?.reason, 'regulator-fault');
  const q = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  q.evaluate(sample(0, { fans: [fan(0)] }));
  assert.equal(repeated(q, 20_000, patch).stop?.reason, 'overheat');
});

// Issue 15, point 6 (mujina bitaxe.rs monitor_tick): a settle window after reset release for the chip
// diode, N dangerous readings in a row, and readings outside 0..120 °C are failures, not temperatures.
test('one hot sample does not stop the board; three in a row do, with a quick re-sample asked for meanwhile', () => {
  const p = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  const first = p.evaluate(sample(0, { temps: [chip(90)] }));
  assert.equal(first.stop, undefined);
  assert.equal(first.confirming, true, 'the board is asked to sample again soon');
  assert.equal(first.level, 'hot', 'fans to 100 % meanwhile');
  assert.equal(p.evaluate(sample(100, { temps: [chip(60)] })).stop, undefined, 'a normal reading breaks the streak');
  assert.equal(p.evaluate(sample(200, { temps: [chip(90)] })).stop, undefined);
  assert.equal(p.evaluate(sample(300, { temps: [chip(90)] })).stop, undefined);
  assert.equal(p.evaluate(sample(400, { temps: [chip(90)] })).stop?.reason, 'overheat');
});

test('a chip diode is ignored for the settle window after a reset release; other sensors are not', () => {
  const p = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  const diode = (c: number): SensorSample => ({ id: 'fan.external', kind: 'chip', diode: true, c, raw: Math.round(c * 8) });
  for (let t = 1000; t < 1500; t += 100) {
    const v = p.evaluate(sample(t, { temps: [diode(110)], resetReleasedAt: 1000 }));
    assert.equal(v.stop, undefined, `${t - 1000} ms after release`);
    assert.equal(v.controlC, null, 'no reading taken from the diode while it settles');
  }
  assert.equal(repeated(p, 1500, { temps: [diode(110)], resetReleasedAt: 1000 }).stop?.reason, 'overheat', 'settled: a real over-temperature stops');
  const board = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  assert.equal(
    repeated(board, 1000, { temps: [{ id: 'tmp', kind: 'board', c: 90, raw: 1 }], resetReleasedAt: 1000 }).stop?.reason,
    'overheat',
    'a board sensor has nothing to settle',
  );
});

test('readings outside 0..120 °C are failed readings, not temperatures', () => {
  const p = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  const v = repeated(p, 0, { temps: [chip(126)] }, 5);
  assert.equal(v.stop, undefined);
  assert.equal(v.controlC, null);
  assert.match(v.failedSensors.join(), /chip \(implausible 126\.0 °C, outside 0\.\.120\)/);
  assert.equal(p.evaluate(sample(10_000, { temps: [chip(-3)] })).stop?.reason, 'sensor-loss', 'and for long enough they are a lost sensor');
  // The regulator's own sensor is not held to the chip range.
  assert.equal(repeated(new ThermalPolicy(LIMITS, FANS, POWER, 0), 0, { temps: [chip(50), { id: 'vr', kind: 'vr', c: 130 }] }).stop?.reason, 'overheat');
});

test('powerUpBlocker: only readings clear it; a stop, a missing or stuck chip temperature, a failed or suspect fan refuse', () => {
  const p = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  assert.match(p.powerUpBlocker()?.detail ?? '', /no readings yet/);
  p.evaluate(sample(0));
  assert.equal(p.powerUpBlocker(), undefined);
  // One of two chip sensors missing: the board runs on, but a power-up waits.
  const two = { temps: [chip(60), { id: 'chip2', kind: 'chip' as const, c: null, error: 'NACK' }] };
  assert.equal(p.evaluate(sample(1000, two)).stop, undefined);
  assert.deepEqual(p.powerUpBlocker(), { reason: 'sensor-loss', detail: 'temperature missing: chip2 (NACK)' });
  p.evaluate(sample(2000, { temps: [chip(null)] }));
  assert.deepEqual(p.powerUpBlocker(), { reason: 'sensor-loss', detail: 'no valid chip or board temperature: chip (NACK)' });
  p.evaluate(sample(3000));
  assert.equal(p.powerUpBlocker(), undefined, 'a valid reading clears it');
  // A fan below the floor refuses at once, before its stall timeout makes it a stop.
  p.evaluate(sample(4000, { fans: [fan(0)] }));
  assert.deepEqual(p.powerUpBlocker(), { reason: 'fan-stall', detail: 'fan not turning: fan' });
  p.evaluate(sample(9000, { fans: [fan(0)] }));
  assert.equal(p.powerUpBlocker()?.reason, 'fan-stall');
  p.evaluate(sample(9500, { temps: [chip(75)] }));
  assert.equal(p.powerUpBlocker()?.reason, 'overheat');
});

test("the timers are the policy's own: readings over a pause keep counting; regulator silence counts only while commanded on", () => {
  // No reading at 0..9 s, whatever happens to power in between: a stop at 10 s.
  const p = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  p.evaluate(sample(0, { temps: [chip(null)] }));
  p.evaluate(sample(4000, { powered: false, temps: [chip(null)] }));
  assert.equal(p.evaluate(sample(10_000, { temps: [chip(null)] })).stop?.reason, 'sensor-loss');
  // A regulator that was never switched on (driver not initialised, nothing to read) is no fault at power-up.
  const r = new ThermalPolicy(LIMITS, FANS, POWER, 0);
  const off = { commandedOn: false, expectedVout: 4.6, settled: false, telemetry: null };
  r.evaluate(sample(0, { powered: false, regulator: off }));
  r.evaluate(sample(60_000, { powered: false, regulator: off }));
  assert.equal(r.evaluate(sample(60_500, { regulator: { ...off, commandedOn: true } })).stop, undefined);
  assert.equal(r.evaluate(sample(70_500, { regulator: { ...off, commandedOn: true } })).stop?.reason, 'regulator-fault');
});
