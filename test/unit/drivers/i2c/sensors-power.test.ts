import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../../src/clock.js';
import { Tmp1075, tmp1075RawToC } from '../../../../drivers/i2c/tmp1075.js';
import { Ina260, ina260Current, ina260Power, ina260Voltage } from '../../../../drivers/i2c/ina260.js';
import { Ds4432u, DS4432U_OUT0, ds4432uCodeForVoltage, ds4432uVoltageForCode } from '../../../../drivers/i2c/ds4432u.js';
import { Tmp1075Sim } from '../../../../workshop/sim/tmp1075-sim.js';
import { Ina260Sim } from '../../../../workshop/sim/ina260-sim.js';
import { Ds4432uSim } from '../../../../workshop/sim/ds4432u-sim.js';
import { SimI2cBus } from '../../../../workshop/sim/sim-i2c-bus.js';
import { Noise } from '../../../../workshop/sim/sim-physics.js';
import { I2cError } from '../../../../drivers/transport/i2c-bus.js';

test('TMP1075/TMP75: °C = (raw >> 4) × 0.0625, big-endian', () => {
  assert.equal(tmp1075RawToC(0x1900), 25); // 0x190 × 0.0625
  assert.equal(tmp1075RawToC(0x7ff0), 127.9375);
  assert.equal(tmp1075RawToC(0xfff0), -0.0625);
  assert.equal(tmp1075RawToC(0xe700), -25);
});

test('TMP1075 driver against the simulator, and a lost sensor NACKs', async () => {
  const bus = new SimI2cBus(new ManualClock());
  const faults = { lost: false, stuck: false };
  bus.attach(0x4a, new Tmp1075Sim({ update: () => undefined, temperatureC: () => 47.3, faults, noise: new Noise(3) }));
  const s = new Tmp1075(bus, 'board', 0x4a);
  const r = await s.read();
  assert.ok(Math.abs(r.c - 47.3) <= 0.07, String(r.c));
  assert.equal(s.kind, 'board');
  // A plain read without a command byte uses the pointer, as the part does.
  const raw = await bus.i2cRead(0x4a, 2);
  assert.ok(Math.abs(tmp1075RawToC(((raw[0] ?? 0) << 8) | (raw[1] ?? 0)) - 47.3) <= 0.07);
  faults.lost = true;
  await assert.rejects(s.read(), I2cError);
});

test('INA260: 1.25 mA, 1.25 mV and 10 mW per LSB, big-endian', async () => {
  assert.equal(ina260Current(0x0320), 1); // 800 × 1.25 mA
  assert.equal(ina260Current(0xfce0), -1);
  assert.equal(ina260Voltage(0x2580), 12); // 9600 × 1.25 mV
  assert.equal(ina260Power(0x04b0), 12); // 1200 × 10 mW
  const bus = new SimI2cBus(new ManualClock());
  bus.attach(0x40, new Ina260Sim({ update: () => undefined, inputVolts: () => 12, inputWatts: () => 111.5 }));
  const m = new Ina260(bus, 'power');
  await m.init();
  const r = await m.read();
  assert.ok(Math.abs(r.volts - 12) < 0.002);
  assert.ok(Math.abs(r.watts - 111.5) < 0.011);
  assert.ok(Math.abs(r.amps - 111.5 / 12) < 0.002);
});

test('DS4432U: code from the feedback network and back', async () => {
  // The network's own nominal (no current): 0.6 × (1 + 4750/3320) V needs code 0.
  const nominal = 0.6 * (1 + 4750 / 3320);
  assert.equal(ds4432uCodeForVoltage(nominal), 0);
  assert.ok(Math.abs(ds4432uVoltageForCode(0) - nominal) < 1e-12);
  // Below nominal the DAC sources current (bit 7 set); above it sinks.
  const low = ds4432uCodeForVoltage(1.2);
  assert.equal(low & 0x80, 0x80);
  const high = ds4432uCodeForVoltage(1.6);
  assert.equal(high & 0x80, 0);
  // ceil() puts the result at or just past the target, within one code step (~37 mV here).
  for (const v of [1.0, 1.1, 1.2, 1.3, 1.5, 1.7, 1.9]) {
    const got = ds4432uVoltageForCode(ds4432uCodeForVoltage(v));
    assert.ok(Math.abs(got - v) < 0.04, `${v} V -> ${got} V`);
  }
  assert.throws(() => ds4432uCodeForVoltage(0.5), RangeError);
  assert.throws(() => ds4432uCodeForVoltage(2.5), RangeError);
  const bus = new SimI2cBus(new ManualClock());
  const sim = new Ds4432uSim();
  bus.attach(0x48, sim);
  const trim = new Ds4432u(bus, 'trim');
  await trim.setVoltage(1.2);
  assert.equal(await trim.readCode(), ds4432uCodeForVoltage(1.2));
  assert.ok(Math.abs(sim.volts() - 1.2) < 0.04);
  await assert.rejects(bus.writeByte(0x48, DS4432U_OUT0 + 5, 1), I2cError);
});
