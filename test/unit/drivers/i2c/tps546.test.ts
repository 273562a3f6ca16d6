import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../../src/clock.js';
import type { RegulatorLimits } from '../../../../drivers/i2c/peripheral.js';
import { decodeLinear11, decodeUlinear16, PMBUS, STATUS } from '../../../../drivers/i2c/pmbus.js';
import { Tps546, Tps546Error } from '../../../../drivers/i2c/tps546.js';
import { SimI2cBus } from '../../../../workshop/sim/sim-i2c-bus.js';
import { Tps546Sim, TPS546_SIM_NVM, TPS546_SIM_VOUT_MODE } from '../../../../workshop/sim/tps546-sim.js';
import { I2cError } from '../../../../drivers/transport/i2c-bus.js';

const LIMITS: RegulatorLimits = {
  voutMin: 1.0,
  voutMax: 2.0,
  vinOn: 4.8,
  vinOff: 4.5,
  vinOvFault: 6.5,
  ioutOcWarn: 25,
  ioutOcFault: 30,
  otWarn: 105,
  otFault: 145,
  switchingKhz: 650,
  voutScaleLoop: 0.25,
  controlPin: false,
  stackConfig: 0x0000,
  syncConfig: 0x10,
  phase: 0x00,
};

function rig(loadOhms = 0.1) {
  const bus = new SimI2cBus(new ManualClock());
  let temp = 40;
  let pin = true;
  const sim = new Tps546Sim({
    update: () => undefined,
    vin: () => 5,
    controlPin: () => pin,
    loadAmps: (v) => v / loadOhms,
    temperatureC: () => temp,
  });
  bus.attach(0x24, sim);
  const reg = new Tps546(bus, 'vreg');
  return { bus, sim, reg, setTemp: (t: number) => (temp = t), setPin: (p: boolean) => (pin = p) };
}

test('init identifies the part and writes the limits to volatile memory only', async () => {
  const { sim, reg } = rig();
  await reg.init(LIMITS);
  const written = new Map(sim.writes.map((w) => [w.command, w.data]));
  assert.deepEqual(written.get(PMBUS.OPERATION), [0x00], 'off first');
  assert.deepEqual(written.get(PMBUS.ON_OFF_CONFIG), [0x1b], 'CONTROL pin ignored when not wired');
  const word = (c: number): number => {
    const d = written.get(c) ?? [];
    return (d[0] ?? 0) | ((d[1] ?? 0) << 8);
  };
  assert.equal(decodeLinear11(word(PMBUS.IOUT_OC_FAULT_LIMIT)), 30);
  assert.equal(decodeLinear11(word(PMBUS.IOUT_OC_WARN_LIMIT)), 25);
  assert.equal(decodeLinear11(word(PMBUS.OT_FAULT_LIMIT)), 145);
  assert.equal(decodeLinear11(word(PMBUS.FREQUENCY_SWITCH)), 650);
  assert.equal(decodeUlinear16(word(PMBUS.VOUT_MAX), TPS546_SIM_VOUT_MODE), 2);
  assert.equal(decodeUlinear16(word(PMBUS.VOUT_MIN), TPS546_SIM_VOUT_MODE), 1);
  assert.deepEqual(written.get(PMBUS.IOUT_OC_FAULT_RESPONSE), [0xc0]);
  assert.deepEqual(written.get(PMBUS.OT_FAULT_RESPONSE), [0xff]);
  assert.ok(sim.writes.some((w) => w.command === PMBUS.CLEAR_FAULTS));
  assert.equal(sim.nvmWrites, 0);
  assert.ok(!sim.writes.some((w) => w.command === PMBUS.STORE_USER_ALL || w.command === PMBUS.STORE_DEFAULT_ALL));
});

test('the driver refuses to write non-volatile memory', async () => {
  const { sim, reg } = rig();
  await assert.rejects(reg.sendCommand(PMBUS.STORE_USER_ALL), Tps546Error);
  await assert.rejects(reg.sendCommand(PMBUS.STORE_DEFAULT_ALL), Tps546Error);
  assert.equal(sim.nvmWrites, 0);
});

test('the regulator reports what it was told: VOUT, IOUT from the load, VIN, temperature, OFF', async () => {
  const { sim, reg } = rig(0.1);
  await reg.init(LIMITS);
  await reg.setVoltage(1.2);
  let t = await reg.read();
  assert.equal(t.off, true);
  assert.equal(t.vout, 0);
  assert.deepEqual(t.faults, []);
  await reg.enable();
  assert.equal(sim.outputOn(), true);
  t = await reg.read();
  assert.equal(t.off, false);
  assert.ok(Math.abs(t.vout - 1.2) < 0.002, `vout ${t.vout}`);
  assert.ok(Math.abs(t.iout - 12) < 0.02, `iout ${t.iout}`);
  assert.ok(Math.abs(t.vin - 5) < 0.01);
  assert.equal(t.tempC, 40);
  await assert.rejects(reg.setVoltage(2.5), Tps546Error, 'outside VOUT_MAX');
  await reg.disable();
  assert.equal(sim.outputOn(), false);
  await reg.enable();
  reg.disableSync();
  assert.equal(sim.outputOn(), false);
});

test('protections: over-current latches off until CLEAR_FAULTS, over-temperature retries after cooling', async () => {
  const { sim, reg, setTemp } = rig(0.03); // 1.2 V / 0.03 Ω = 40 A > 30 A fault limit
  await reg.init(LIMITS);
  await reg.setVoltage(1.2);
  await reg.enable();
  sim.protect();
  let t = await reg.read();
  assert.equal(t.off, true);
  assert.ok((t.status & STATUS.IOUT_OC_FAULT) !== 0);
  assert.ok(t.faults.includes('IOUT_OC_FAULT'), t.faults.join(','));
  await reg.clearFaults();
  assert.equal(sim.outputOn(), true, 'cleared, the output comes back while OPERATION is on');
  await reg.disable();
  const ok = rig(1);
  await ok.reg.init(LIMITS);
  await ok.reg.setVoltage(1.1);
  await ok.reg.enable();
  ok.setTemp(150);
  ok.sim.protect();
  t = await ok.reg.read();
  assert.ok(t.faults.includes('TEMPERATURE'));
  assert.equal(t.off, true);
  ok.setTemp(100);
  ok.sim.protect();
  t = await ok.reg.read();
  assert.equal(t.off, false, 'OT response 0xFF: retries once below OT_WARN');
  assert.deepEqual(t.faults, []);
  void setTemp;
});

test('CONTROL pin: with ON_OFF_CONFIG 0x1F the output needs the pin as well as OPERATION', async () => {
  const { sim, reg, setPin } = rig();
  await reg.init({ ...LIMITS, controlPin: true });
  await reg.setVoltage(1.2);
  setPin(false);
  await reg.enable();
  assert.equal(sim.outputOn(), false);
  setPin(true);
  assert.equal(sim.outputOn(), true);
});

test('identify fails on a different device; unsupported commands NACK and set CML', async () => {
  const { bus, sim } = rig();
  bus.attach(0x25, { read: (_c, n) => new Uint8Array(n).fill(3), write: () => undefined });
  await assert.rejects(new Tps546(bus, 'x', 0x25).identify(), /not a TPS546D24/);
  await assert.rejects(bus.writeByte(0x24, 0xd0, 1), I2cError);
  assert.ok((sim.statusWord() & STATUS.CML) !== 0);
  await assert.rejects(bus.writeWord(0x24, PMBUS.READ_VOUT, 1), I2cError, 'read-only');
  await assert.rejects(bus.writeWord(0x24, PMBUS.OPERATION, 0x8080), I2cError, 'wrong length');
  await assert.rejects(new Tps546(bus, 'vreg').setVoltage(1.1), Tps546Error, 'init first');
});

// Issue 15, point 4: the whole configuration ESP-Miner and mujina write, against a part whose NVM was set
// up for another board (TPS546_SIM_NVM): nothing the driver leaves out keeps an NVM value.
test('init writes the full set: every protection register ends at our value, none at the NVM default', async () => {
  const { sim, reg } = rig();
  await reg.init(LIMITS);
  const ulin = (v: number): number => Math.round(v / 2 ** -9);
  const want: [number, number, string][] = [
    [PMBUS.STACK_CONFIG, 0x0000, 'STACK_CONFIG'],
    [PMBUS.SYNC_CONFIG, 0x10, 'SYNC_CONFIG'],
    [PMBUS.PHASE, 0x00, 'PHASE'],
    [PMBUS.VIN_OV_FAULT_RESPONSE, 0xb7, 'VIN_OV_FAULT_RESPONSE'],
    [PMBUS.VOUT_OV_FAULT_LIMIT, ulin(1.25), 'VOUT_OV_FAULT_LIMIT'],
    [PMBUS.VOUT_OV_WARN_LIMIT, ulin(1.16), 'VOUT_OV_WARN_LIMIT'],
    [PMBUS.VOUT_MARGIN_HIGH, ulin(1.1), 'VOUT_MARGIN_HIGH'],
    [PMBUS.VOUT_MARGIN_LOW, ulin(0.9), 'VOUT_MARGIN_LOW'],
    [PMBUS.VOUT_UV_WARN_LIMIT, ulin(0.9), 'VOUT_UV_WARN_LIMIT'],
    [PMBUS.VOUT_UV_FAULT_LIMIT, ulin(0.75), 'VOUT_UV_FAULT_LIMIT'],
    [PMBUS.TON_MAX_FAULT_RESPONSE, 0x3b, 'TON_MAX_FAULT_RESPONSE'],
    [PMBUS.PIN_DETECT_OVERRIDE, 0xffff, 'PIN_DETECT_OVERRIDE'],
  ];
  for (const [cmd, v, name] of want) {
    assert.equal(sim.register(cmd), v, name);
    assert.notEqual(TPS546_SIM_NVM[cmd], v, `${name}: the simulated NVM holds something else`);
  }
  for (const [cmd, ms, name] of [
    [PMBUS.TON_DELAY, 0, 'TON_DELAY'],
    [PMBUS.TON_RISE, 3, 'TON_RISE'],
    [PMBUS.TON_MAX_FAULT_LIMIT, 0, 'TON_MAX_FAULT_LIMIT'],
    [PMBUS.TOFF_DELAY, 0, 'TOFF_DELAY'],
    [PMBUS.TOFF_FALL, 0, 'TOFF_FALL'],
  ] as const) {
    assert.equal(decodeLinear11(sim.register(cmd) ?? -1), ms, name);
  }
  const clearAt = sim.writes.findIndex((w) => w.command === PMBUS.CLEAR_FAULTS);
  assert.equal(clearAt, sim.writes.length - 1, 'CLEAR_FAULTS last');
  assert.equal(sim.nvmWrites, 0);
});

test("the NVM's two-module STACK_CONFIG keeps the output off; our single-module one lets it on", async () => {
  const { sim, reg } = rig();
  await reg.init(LIMITS);
  await reg.setVoltage(1.2);
  await reg.enable();
  assert.equal(sim.outputOn(), true);
  await reg.disable();
  await sim.write(PMBUS.STACK_CONFIG, Uint8Array.of(0x01, 0x00));
  await reg.enable();
  assert.equal(sim.outputOn(), false, 'waiting for a stack partner');
});

test('PMBus answers ~10 ms after power-up: init waits 15 ms and retries the ID read', async () => {
  const clock = new ManualClock();
  const bus = new SimI2cBus(clock);
  const sim = new Tps546Sim({
    update: () => undefined,
    vin: () => 5,
    controlPin: () => true,
    loadAmps: () => 1,
    temperatureC: () => 40,
    now: () => clock.now(),
  });
  bus.attach(0x24, sim);
  await assert.rejects(new Tps546(bus, 'early').identify(), I2cError, 'not ready at power-up');
  const reg = new Tps546(bus, 'vreg', 0x24, clock);
  let done = false;
  const init = reg.init(LIMITS).then(() => (done = true));
  for (let t = 0; t < 100 && !done; t++) {
    clock.advance(1);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }
  await init;
  assert.ok(clock.now() >= 15, `waited ${clock.now()} ms`);
  assert.equal(sim.register(PMBUS.STACK_CONFIG), 0);
});
