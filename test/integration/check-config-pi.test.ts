// Issue 15, points 2, 3, 8 and 10: `check-config` on a Raspberry Pi names the OS settings a board-config
// needs and that are missing (UART enabled, Bluetooth moved off /dev/ttyAMA0, I2C enabled, GPIO
// controllers, group membership, a baud the UART cannot make), through the real CLI against fake roots.
// The templates state those settings; with them in place each template checks ok on its Pi.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'asic-agent.js');
const dir = mkdtempSync(join(tmpdir(), 'asic-pi-root-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface FakePi {
  model: string;
  config?: string;
  cmdline?: string;
  devices?: string[];
  gpioLabels?: string[];
  minerGroups?: string[];
}

let n = 0;
function fakeRoot(p: FakePi): string {
  const root = join(dir, `root${n++}`);
  const put = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  put('proc/device-tree/model', `${p.model}\0`);
  put('boot/firmware/config.txt', p.config ?? '');
  put('boot/firmware/cmdline.txt', p.cmdline ?? 'console=tty1 root=PARTUUID=1 rootfstype=ext4 fsck.repair=yes rootwait\n');
  for (const d of p.devices ?? []) put(d, '');
  (p.gpioLabels ?? []).forEach((l, i) => put(`sys/class/gpio/gpiochip${512 + 54 * i}/label`, `${l}\n`));
  put('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nminer:x:998:998::/var/lib/asic-agent:/usr/sbin/nologin\n');
  const member = (g: string): string => ((p.minerGroups ?? []).includes(g) ? 'miner' : '');
  put('etc/group', `root:x:0:\nminer:x:998:\ndialout:x:20:${member('dialout')}\ni2c:x:996:${member('i2c')}\ngpio:x:997:${member('gpio')}\n`);
  return root;
}

const PI4_GOOD: FakePi = {
  model: 'Raspberry Pi 4 Model B Rev 1.4',
  config: '[all]\nenable_uart=1\ndtoverlay=disable-bt\ndtparam=i2c_arm=on\n',
  devices: ['dev/ttyAMA0', 'dev/i2c-1'],
  gpioLabels: ['pinctrl-bcm2711', 'raspberrypi-exp-gpio'],
  minerGroups: ['dialout', 'i2c', 'gpio'],
};

test('a Pi 4 set up as the template says: ok', async () => {
  const r = await cli(['check-config', 'board-configs/bitaxe-gamma-pi.example.toml', '--root', fakeRoot(PI4_GOOD)]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'ok\n');
});

test('a fresh Pi 4: every missing setting is named, one per line', async () => {
  const r = await cli([
    'check-config',
    'board-configs/bitaxe-gamma-pi.example.toml',
    '--root',
    fakeRoot({
      model: 'Raspberry Pi 4 Model B Rev 1.4',
      cmdline: 'console=serial0,115200 console=tty1 root=PARTUUID=1\n',
      gpioLabels: ['pinctrl-bcm2711'],
      devices: ['dev/ttyAMA0'],
    }),
  ]);
  assert.equal(r.code, 1);
  const e = r.stderr;
  assert.match(e, /host: UART not enabled: add "enable_uart=1" to \/boot\/firmware\/config\.txt/);
  assert.match(e, /host: the serial console is on the UART/);
  assert.match(e, /host: chain\[0\]\.uart \/dev\/ttyAMA0 is the Bluetooth UART on a Raspberry Pi 4 Model B Rev 1\.4: add "dtoverlay=disable-bt"/);
  assert.match(e, /host: I2C not enabled: \/dev\/i2c-1 is missing; add "dtparam=i2c_arm=on"/);
  assert.match(e, /host: user miner is not in groups dialout, i2c, gpio: sudo usermod -a -G dialout,i2c,gpio miner/);
});

test("BM1397 at ESP-Miner's 3.125 Mbaud on a Pi's PL011 is refused at check time; the Max template's 1,562,500 is ok", async () => {
  const root = fakeRoot(PI4_GOOD);
  const max = join(dir, 'max-3125.toml');
  writeFileSync(max, readFileSync(join(ROOT, 'board-configs/bitaxe-max-pi.example.toml'), 'utf8').replace(/^fast_baud = 1562500.*$/m, 'fast_baud = 3125000'));
  const r = await cli(['check-config', max, '--root', root]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /host UART cannot do 3125000 baud on \/dev\/ttyAMA0 \(PL011 at 48 MHz stops at 3000000\): set \[asic\] fast_baud to a rate it can make, 1562500 for BM1397/,
  );
  const ok = await cli(['check-config', 'board-configs/bitaxe-max-pi.example.toml', '--root', root]);
  assert.equal(ok.code, 0, ok.stderr);
});

test('a Pi 5: no Bluetooth overlay needed, dtparam=uart0=on enables the header UART, the GPIOs are pinctrl-rp1', async () => {
  const pi5: FakePi = {
    model: 'Raspberry Pi 5 Model B Rev 1.0',
    config: 'dtparam=uart0=on\ndtparam=i2c_arm=on\n',
    devices: ['dev/ttyAMA0', 'dev/i2c-1'],
    gpioLabels: ['pinctrl-rp1', 'gpio-brcmstb@107d508500'],
    minerGroups: ['dialout', 'i2c', 'gpio'],
  };
  const ok = await cli(['check-config', 'board-configs/bitaxe-gamma-pi5.example.toml', '--root', fakeRoot(pi5)]);
  assert.equal(ok.code, 0, ok.stderr);
  // The Pi 4 template on a Pi 5 names the controller it lacks.
  const wrong = await cli(['check-config', 'board-configs/bitaxe-gamma-pi.example.toml', '--root', fakeRoot(pi5)]);
  assert.equal(wrong.code, 1);
  assert.match(
    wrong.stderr,
    /no GPIO controller labelled "pinctrl-bcm2711" \(present: pinctrl-rp1, gpio-brcmstb@107d508500\); on a Pi 5 the header GPIOs are "pinctrl-rp1"/,
  );
});

test('not a Pi: nothing of the host is checked; BM1362 carries its warning everywhere', async () => {
  const r = await cli(['check-config', 'board-configs/bitaxe-gamma-pi.example.toml', '--root', join(dir, 'no-such-root')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'ok\n');
  const b = await cli(['check-config', 'board-configs/sim-bm1362.toml']);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, /warning: BM1362 is unverified on hardware: its only source is cgminer's gekko driver/);
  assert.match(b.stdout, /\nok\n$/);
});

test("Pi 5 sysfs GPIO: the template's pinctrl-rp1 lines resolve on a kernel whose RP1 controller sits at base 571", async () => {
  const { resolveSysfsGpio } = await import('../../drivers/transport/sysfs-gpio.js');
  const { loadBoardConfig } = await import('../../src/config/run-config.js');
  const sysfs = join(dir, 'pi5-sysfs');
  const chip = (name: string, label: string, base: number, ngpio: number): void => {
    mkdirSync(join(sysfs, name), { recursive: true });
    writeFileSync(join(sysfs, name, 'label'), `${label}\n`);
    writeFileSync(join(sysfs, name, 'base'), `${base}\n`);
    writeFileSync(join(sysfs, name, 'ngpio'), `${ngpio}\n`);
  };
  chip('gpiochip512', 'gpio-brcmstb@107d508500', 512, 32);
  chip('gpiochip571', 'pinctrl-rp1', 571, 54);
  const b = loadBoardConfig(join(ROOT, 'board-configs/bitaxe-gamma-pi5.example.toml'));
  const reset = b.chain[0]?.reset;
  const pe = b.gpio.power_enable;
  assert.ok(reset && pe);
  assert.equal(resolveSysfsGpio(reset, sysfs), 571 + 17);
  assert.equal(resolveSysfsGpio(pe, sysfs), 571 + 27);
});
