import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../../src/clock.js';
import { Emc2302, EMC2302, emc2302DutyToSetting, emc2302RangeMultiplier, emc2302TachToRpm } from '../../../../drivers/i2c/emc2302.js';
import { Emc2302Sim } from '../../../../workshop/sim/emc2302-sim.js';
import { SimI2cBus } from '../../../../workshop/sim/sim-i2c-bus.js';
import { SimFan } from '../../../../workshop/sim/sim-physics.js';

test('tach formula: count = (high << 5) | (low >> 3), RPM = 3,932,160 × m / count (docs/board.md "Values and their sources")', () => {
  // count 1920 (high 0x3C, low 0x00) with m = 2 → 7,864,320 / 1920 = 4096 RPM.
  assert.equal(emc2302TachToRpm(0x3c, 0x00, 2), 4096);
  // count 1966 (high 0x3D, low 0x70 → 0x3D << 5 | 0x70 >> 3) with m = 1 → 2000.08 RPM.
  assert.equal(emc2302TachToRpm(0x3d, 0x70, 1), 3_932_160 / 1966);
  assert.equal(emc2302TachToRpm(0xff, 0xf8, 2), 0, 'a high byte of 0xFF is a stalled fan');
  assert.equal(emc2302RangeMultiplier(0x2b), 2, 'reset value RNG = 01');
  assert.equal(emc2302RangeMultiplier(0x00), 1);
  assert.equal(emc2302RangeMultiplier(0x60), 8);
  assert.equal(emc2302DutyToSetting(100), 255);
  assert.equal(emc2302DutyToSetting(40), 102);
});

test('two fans against the simulator', async () => {
  const bus = new SimI2cBus(new ManualClock());
  const fans: [SimFan, SimFan] = [new SimFan(5000, 1), new SimFan(5000, 1)];
  const sim = new Emc2302Sim({ update: () => undefined, fans });
  bus.attach(0x2f, sim);
  const chip = new Emc2302(bus, 'fans');
  await chip.init();
  const [a, b] = chip.fans();
  assert.ok(a && b);
  await a.setDuty(40);
  await b.setDuty(80);
  assert.equal(sim.regs[EMC2302.FAN_SETTING[0]], 102);
  assert.equal(sim.regs[EMC2302.FAN_SETTING[1]], 204);
  fans[0].rpm = 2000;
  fans[1].rpm = 4000;
  assert.ok(Math.abs((await a.readRpm()) - 2000) < 2);
  assert.ok(Math.abs((await b.readRpm()) - 4000) < 5);
  fans[1].rpm = 0;
  assert.equal(await b.readRpm(), 0);
  b.setDutySync(0);
  assert.equal(fans[1].duty, 0);
});
