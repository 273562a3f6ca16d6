import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ManualClock } from '../../../../src/clock.js';
import { SimI2cBus } from '../../../../workshop/sim/sim-i2c-bus.js';
import { SimGpioChip, simGpioOpener } from '../../../../workshop/sim/sim-gpio.js';
import { I2cError, I2cTimeoutError } from '../../../../drivers/transport/i2c-bus.js';
import { GpioError, GpioUnavailableError } from '../../../../drivers/transport/gpio-line.js';
import { listSysfsGpioChips, resolveSysfsGpio } from '../../../../drivers/transport/sysfs-gpio.js';
import { LinuxI2cBus } from '../../../../drivers/transport/linux-i2c-bus.js';

function fakeSysfs(chips: { dir: string; label: string; base: number; ngpio: number }[]): string {
  const root = mkdtempSync(join(tmpdir(), 'asic-agent-gpio-'));
  writeFileSync(join(root, 'export'), '');
  for (const c of chips) {
    mkdirSync(join(root, c.dir));
    writeFileSync(join(root, c.dir, 'label'), `${c.label}\n`);
    writeFileSync(join(root, c.dir, 'base'), `${c.base}\n`);
    writeFileSync(join(root, c.dir, 'ngpio'), `${c.ngpio}\n`);
  }
  return root;
}

test('sysfs: a label + offset resolves through the controller base (512 on Pi kernels 6.6+)', (t) => {
  const root = fakeSysfs([
    { dir: 'gpiochip512', label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
    { dir: 'gpiochip570', label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
  ]);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.equal(resolveSysfsGpio({ chip: 'pinctrl-bcm2711', line: 17 }, root), 529);
  assert.equal(resolveSysfsGpio({ chip: 'raspberrypi-exp-gpio', line: 2 }, root), 572);
  assert.deepEqual(
    listSysfsGpioChips(root).map((c) => c.label),
    ['pinctrl-bcm2711', 'raspberrypi-exp-gpio'],
  );
  assert.throws(() => resolveSysfsGpio({ chip: 'pinctrl-bcm2711', line: 58 }, root), GpioUnavailableError);
  assert.throws(
    () => resolveSysfsGpio({ chip: 'pinctrl-rp1', line: 4 }, root),
    (e: unknown) => e instanceof GpioUnavailableError && /present: "pinctrl-bcm2711"/.test(e.message),
  );
});

test('sysfs: an old kernel base (0) and an ambiguous label', (t) => {
  const root = fakeSysfs([
    { dir: 'gpiochip0', label: 'pinctrl-bcm2835', base: 0, ngpio: 54 },
    { dir: 'gpiochip100', label: 'dup', base: 100, ngpio: 4 },
    { dir: 'gpiochip104', label: 'dup', base: 104, ngpio: 4 },
  ]);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.equal(resolveSysfsGpio({ chip: 'pinctrl-bcm2835', line: 17 }, root), 17);
  assert.throws(() => resolveSysfsGpio({ chip: 'dup', line: 1 }, root), /ambiguous/);
});

test('sysfs: a kernel without sysfs GPIO gives a clear error', () => {
  assert.throws(
    () => resolveSysfsGpio({ chip: 'pinctrl-rp1', line: 4 }, join(tmpdir(), 'no-such-sysfs-gpio-dir')),
    (e: unknown) => e instanceof GpioUnavailableError && /sysfs GPIO is not available/.test(e.message) && /Pi 5/.test(e.message),
  );
});

test('simulated GPIO: logical values, active-low on the wire, no double use', async () => {
  const chip = new SimGpioChip('sim-gpio');
  const open = simGpioOpener([chip]);
  const reset = await open('reset0', { chip: 'sim-gpio', line: 3, activeLow: true }, 1);
  assert.equal(chip.level(3), 0, 'asserted active-low line is low on the pin');
  assert.equal(await reset.read(), 1);
  await reset.write(0);
  assert.equal(chip.level(3), 1);
  const pe = await open('power_enable', { chip: 'sim-gpio', line: 4, activeLow: false }, 0);
  assert.equal(chip.level(4), 0);
  pe.writeSync(1);
  assert.equal(chip.level(4), 1);
  await assert.rejects(open('again', { chip: 'sim-gpio', line: 3, activeLow: false }, 0), GpioError);
  await assert.rejects(open('x', { chip: 'nope', line: 1, activeLow: false }, 0), GpioUnavailableError);
  await assert.rejects(open('x', { chip: 'sim-gpio', line: 64, activeLow: false }, 0), GpioUnavailableError);
  await reset.release();
  assert.equal(chip.level(3), 0, 'a released line floats to the pull level');
});

test('simulated bus: NACK for a missing device, SMBus block framing, timeouts on the clock', async () => {
  const clock = new ManualClock();
  const bus = new SimI2cBus(clock);
  await assert.rejects(bus.readByte(0x50, 0), (e: unknown) => e instanceof I2cError && e.code === 'EREMOTEIO' && e.address === 0x50);
  let last: { c: number; d: number[] } | undefined;
  bus.attach(0x50, {
    read: (c, n) => {
      const out = new Uint8Array(n);
      out.set([3, 0xaa, 0xbb, 0xcc].slice(0, n));
      return c === 0x10 ? out : new Uint8Array(n).fill(c);
    },
    write: (c, d) => {
      last = { c, d: Array.from(d) };
    },
  });
  assert.deepEqual(Array.from(await bus.readBlock(0x50, 0x10, 6)), [0xaa, 0xbb, 0xcc]);
  await assert.rejects(bus.readBlock(0x50, 0x10, 2), (e: unknown) => e instanceof I2cError && e.code === 'EPROTO');
  await bus.writeBlock(0x50, 0x20, Uint8Array.of(1, 2));
  assert.deepEqual(last, { c: 0x20, d: [2, 1, 2] }, 'count byte first');
  await bus.writeWord(0x50, 0x21, 0x1234);
  assert.deepEqual(last, { c: 0x21, d: [0x34, 0x12] }, 'SMBus words go LSB first');
  assert.equal(await bus.readWord(0x50, 0x07), 0x0707);
  await assert.rejects(bus.writeByte(0x50, 0, 256), RangeError);
  await assert.rejects(bus.readByte(0x78, 0), RangeError, 'reserved address');

  bus.setTimeoutFault(200);
  let settled: unknown;
  const outcome = (): unknown => settled;
  bus.readByte(0x50, 1).then(
    () => (settled = 'resolved'),
    (e: unknown) => (settled = e),
  );
  await new Promise((r) => setImmediate(r));
  assert.equal(outcome(), undefined, 'hangs until the clock moves');
  clock.advance(199);
  await new Promise((r) => setImmediate(r));
  assert.equal(outcome(), undefined);
  clock.advance(1);
  await new Promise((r) => setImmediate(r));
  assert.ok(outcome() instanceof I2cTimeoutError);
  assert.throws(() => bus.writeByteSync(0x50, 1, 1), I2cTimeoutError);
  assert.equal(bus.stats.timeouts, 2);
});

test('the Linux I2C backend reports a missing bus at open, with the fix', async () => {
  await assert.rejects(
    LinuxI2cBus.open(250),
    (e: unknown) => e instanceof I2cError && e.code === 'ENOENT' && /cannot open \/dev\/i2c-250: ENOENT \(enable I2C/.test(e.message),
  );
});
