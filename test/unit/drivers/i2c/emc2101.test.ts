import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../../src/clock.js';
import { Emc2101, EMC2101, emc2101DutyToSetting, emc2101ExternalTemp, emc2101TachToRpm } from '../../../../drivers/i2c/emc2101.js';
import { SensorFaultError } from '../../../../drivers/i2c/peripheral.js';
import { Emc2101Sim } from '../../../../workshop/sim/emc2101-sim.js';
import { SimI2cBus } from '../../../../workshop/sim/sim-i2c-bus.js';
import { Noise, SimFan, type SimSensorFaults } from '../../../../workshop/sim/sim-physics.js';
import { I2cError } from '../../../../drivers/transport/i2c-bus.js';

test('tach formula: RPM = 5,400,000 / count (docs/board.md "Values and their sources")', () => {
  assert.equal(emc2101TachToRpm(2700), 2000);
  assert.equal(emc2101TachToRpm(0x0a8c), 2000);
  assert.equal(emc2101TachToRpm(1080), 5000);
  assert.equal(emc2101TachToRpm(0xffff), 0, '0xFFFF means no tach pulses');
  assert.throws(() => emc2101TachToRpm(0), RangeError);
});

test("external diode formula: ((MSB<<8|LSB)>>5) as 11-bit two's complement / 8, fault codes", () => {
  assert.equal(emc2101ExternalTemp(0x3c, 0x00), 60);
  assert.equal(emc2101ExternalTemp(0x3c, 0xe0), 60.875);
  assert.equal(emc2101ExternalTemp(0x00, 0x20), 0.125);
  assert.equal(emc2101ExternalTemp(0xff, 0xe0), -0.125);
  assert.equal(emc2101ExternalTemp(0xc0, 0x00), -64);
  assert.throws(() => emc2101ExternalTemp(0x7f, 0x00), SensorFaultError, '0x3F8: open diode');
  assert.throws(() => emc2101ExternalTemp(0x7f, 0xe0), SensorFaultError, '0x3FF: short');
  assert.equal(emc2101ExternalTemp(0x7e, 0xe0), 126.875);
});

test('duty maps to the 6-bit fan setting', () => {
  assert.equal(emc2101DutyToSetting(0), 0);
  assert.equal(emc2101DutyToSetting(100), 63);
  assert.equal(emc2101DutyToSetting(50), 32);
  assert.equal(emc2101DutyToSetting(150), 63);
  assert.equal(emc2101DutyToSetting(-5), 0);
});

function rig(tempC = 55.3) {
  const clock = new ManualClock();
  const bus = new SimI2cBus(clock);
  const fan = new SimFan(6000, 1);
  const faults: SimSensorFaults = { lost: false, stuck: false };
  let t = tempC;
  const sim = new Emc2101Sim({ update: () => undefined, fan, externalC: () => t, internalC: () => 31.4, faults, noise: new Noise(7) });
  bus.attach(0x4c, sim);
  const chip = new Emc2101(bus, { id: 'fan', address: 0x4c });
  return { clock, bus, fan, faults, sim, chip, setT: (v: number) => (t = v) };
}

test('driver against the simulator: init, duty, tach, temperatures', async () => {
  const { chip, sim, fan, setT } = rig();
  await chip.init();
  assert.equal(sim.regs[EMC2101.CONFIG], 0x04);
  assert.equal(sim.regs[EMC2101.FAN_CONFIG], 0x23);
  await chip.setDuty(50);
  assert.equal(sim.regs[EMC2101.FAN_SETTING], 32);
  assert.ok(Math.abs(fan.duty - 32 / 63) < 1e-9);
  fan.rpm = 3000;
  const rpm = await chip.readRpm();
  assert.ok(Math.abs(rpm - 3000) < 3, `rpm ${rpm}`);
  fan.rpm = 0;
  assert.equal(await chip.readRpm(), 0);
  const ext = await chip.readExternal();
  assert.ok(Math.abs(ext.c - 55.3) <= 0.25, `external ${ext.c}`);
  assert.equal((await chip.readInternal()).c, 31);
  setT(-10.5);
  assert.ok(Math.abs((await chip.readExternal()).c + 10.5) <= 0.25);
  chip.setDutySync(100);
  assert.equal(sim.regs[EMC2101.FAN_SETTING], 63);
});

test('the MSB read latches the LSB, so a noisy reading never tears across a degree boundary', async () => {
  const { chip } = rig(59.99);
  for (let i = 0; i < 500; i++) {
    const r = await chip.readExternal();
    assert.ok(Math.abs(r.c - 59.99) <= 0.2, `torn reading ${r.c}`);
  }
});

test('sensor faults: open diode, stuck value, NACK', async () => {
  const { chip, faults, sim, setT } = rig(50);
  faults.lost = true;
  await assert.rejects(chip.readExternal(), SensorFaultError);
  faults.lost = false;
  faults.stuck = true;
  const first = await chip.readExternal();
  setT(90);
  const again = await chip.readExternal();
  assert.equal(again.raw, first.raw, 'stuck keeps the raw value');
  faults.stuck = false;
  assert.ok((await chip.readExternal()).c > 89);
  sim.nack = true;
  await assert.rejects(chip.readExternal(), I2cError);
});

test('identify refuses a different part', async () => {
  const { bus } = rig();
  const other = new Emc2101(bus, { id: 'x', address: 0x4c });
  bus.attach(0x2f, { read: () => Uint8Array.of(0x99), write: () => undefined });
  await other.identify();
  await assert.rejects(new Emc2101(bus, { id: 'y', address: 0x2f }).identify(), /not an EMC2101/);
});
