/**
 * On a Raspberry Pi, `check-config` also checks the Pi OS settings a board-config needs, and names each
 * one that is missing: the UART on GPIO 14/15 enabled and free of the serial console, the Bluetooth
 * modem moved off it, I2C enabled, the GPIO controllers the board-config names present, and the service
 * user in the groups that open the devices. It reads only files, under a root that tests replace with a
 * fake one.
 *
 * Facts (raspberrypi/documentation documentation/asciidoc/computers/configuration/uart.adoc
 * @5043186a11dd): on a Pi 3, 4, 400, Zero W and Zero 2 W the first PL011 (/dev/ttyAMA0) is the
 * Bluetooth UART and GPIO 14/15 carry the mini UART (/dev/ttyS0), disabled unless `enable_uart=1`, which
 * also fixes the VPU core clock at 250 MHz; `dtoverlay=disable-bt` (or `miniuart-bt`, which needs a fixed
 * core clock) puts the PL011 back on GPIO 14/15. The serial console is removed from cmdline.txt with
 * raspi-config (Interface Options, Serial Port: login shell no, hardware yes). On a Pi 5 the header UART
 * is the RP1's UART0 (/dev/ttyAMA0, `dtparam=uart0=on`), Bluetooth has its own, and its GPIO controller
 * is labelled `pinctrl-rp1` in sysfs. The host-UART limits are those of host-uart-clock.ts: a 48 MHz
 * PL011 stops at 3,000,000 baud.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { familyByName } from '../../drivers/asic/bm13xx/family.js';
import { miniUart, pl011, type HostUartClock } from '../../drivers/transport/host-uart-clock.js';
import type { BoardConfig } from './board-config.js';

export interface HostCheckEnv {
  /** The root of the filesystem to look at (default /). */
  root: string;
  /** The account the agent runs as (scripts/install.sh creates `miner`). */
  user: string;
}

export interface HostCheck {
  /** The Pi model (from /proc/device-tree/model), or undefined when this is not a Raspberry Pi. */
  model: string | undefined;
  /** What is missing: each one line a person can act on. */
  problems: string[];
  /** What is worth knowing but does not stop the board. */
  notes: string[];
}

type PiGen = 'pi5' | 'bt-uart' | 'plain';

function read(root: string, path: string): string | undefined {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return undefined;
  }
}

/** Pi 5 / CM5; the models whose PL011 serves Bluetooth; the rest. */
function generation(model: string): PiGen {
  if (/Raspberry Pi (5|Compute Module 5)/.test(model)) return 'pi5';
  if (/Raspberry Pi (3|4|400)|Raspberry Pi Zero (2 )?W/.test(model)) return 'bt-uart';
  return 'plain';
}

/** config.txt settings (section filters such as [pi4] are not evaluated: every line counts). */
function bootConfig(root: string): { text: string; file: string } | undefined {
  for (const file of ['boot/firmware/config.txt', 'boot/config.txt']) {
    const text = read(root, file);
    if (text !== undefined) return { text, file: `/${file}` };
  }
  return undefined;
}

function settings(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l.length > 0 && !l.startsWith('['));
}

function groupsOf(root: string, user: string): Set<string> | undefined {
  const passwd = read(root, 'etc/passwd');
  const group = read(root, 'etc/group');
  if (passwd === undefined || group === undefined) return undefined;
  const entry = passwd.split('\n').find((l) => l.split(':')[0] === user);
  if (!entry) return undefined;
  const gid = entry.split(':')[3];
  const out = new Set<string>();
  for (const l of group.split('\n')) {
    const [name, , id, members] = l.split(':');
    if (!name) continue;
    if (id === gid || (members ?? '').split(',').includes(user)) out.add(name);
  }
  return out;
}

function gpioLabels(root: string): string[] | undefined {
  const dir = join(root, 'sys/class/gpio');
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir)
    .filter((d) => d.startsWith('gpiochip'))
    .map((d) => read(root, `sys/class/gpio/${d}/label`)?.trim())
    .filter((l): l is string => l !== undefined && l.length > 0);
}

/** The host UART behind a Pi device path, for the baud check. */
function hostUartOf(device: string, gen: PiGen): HostUartClock | undefined {
  if (/\/ttyAMA\d+$/.test(device)) return pl011(48_000_000);
  if (/\/ttyS0$/.test(device) && gen !== 'pi5') return miniUart(250_000_000);
  return undefined;
}

/** Checks the Pi setup a board-config needs; nothing to check when the host is not a Raspberry Pi. */
export function checkPiHost(board: BoardConfig, env: HostCheckEnv): HostCheck {
  const model = read(env.root, 'proc/device-tree/model')?.replace(/\0/g, '').trim();
  const out: HostCheck = { model: model?.startsWith('Raspberry Pi') ? model : undefined, problems: [], notes: [] };
  if (!out.model) return out;
  const gen = generation(out.model);
  const cfg = bootConfig(env.root);
  const lines = cfg ? settings(cfg.text) : [];
  const has = (re: RegExp): boolean => lines.some((l) => re.test(l));
  const where = cfg?.file ?? '/boot/firmware/config.txt';
  const realChains = board.chain.filter((c) => !c.uart.startsWith('sim:'));

  // UART on GPIO 14/15.
  if (realChains.length > 0) {
    const uartOn = has(/^enable_uart\s*=\s*1$/) || (gen === 'pi5' && has(/^dtparam\s*=.*\buart0(\s*=\s*on)?\b/));
    if (!uartOn) out.problems.push(`UART not enabled: add "enable_uart=1"${gen === 'pi5' ? ' (or "dtparam=uart0=on")' : ''} to ${where}`);
    const btMoved = has(/^dtoverlay\s*=\s*(pi3-)?(disable-bt|miniuart-bt)\b/);
    const cmdline = read(env.root, 'boot/firmware/cmdline.txt') ?? read(env.root, 'boot/cmdline.txt') ?? '';
    if (/console=(serial0|ttyAMA0|ttyS0)\b/.test(cmdline)) {
      out.problems.push('the serial console is on the UART: raspi-config → Interface Options → Serial Port, login shell "No", hardware "Yes"');
    }
    for (const [n, c] of board.chain.entries()) {
      if (c.uart.startsWith('sim:')) continue;
      const dev = c.uart;
      if (gen === 'bt-uart' && /\/ttyAMA0$/.test(dev) && !btMoved) {
        out.problems.push(
          `chain[${n}].uart ${dev} is the Bluetooth UART on a ${out.model}: add "dtoverlay=disable-bt" to ${where} (and "sudo systemctl disable hciuart") to put it on GPIO 14/15`,
        );
      }
      if (gen === 'bt-uart' && /\/ttyS0$/.test(dev)) {
        out.notes.push(
          `chain[${n}].uart ${dev} is the mini UART: its rate follows the core clock (fixed at 250 MHz by enable_uart=1), it has no framing-error detection and a small FIFO; "dtoverlay=disable-bt" and /dev/ttyAMA0 are the better choice`,
        );
      }
      if (!existsSync(join(env.root, dev))) out.problems.push(`chain[${n}].uart ${dev} does not exist (is the UART enabled and the Pi rebooted?)`);
      const hw = hostUartOf(dev, gen);
      const family = familyByName(board.asic.family);
      const fast = board.asic.fast_baud ?? family.defaultFastBaud;
      if (hw && fast > hw.maxBaud) {
        out.problems.push(
          `host UART cannot do ${fast} baud on ${dev} (${hw.name} stops at ${hw.maxBaud}): set [asic] fast_baud to a rate it can make${family.name === 'BM1397' ? ', 1562500 for BM1397 (0x18 = 0x00006131)' : ''}`,
        );
      }
    }
  }

  // I2C.
  if (typeof board.i2c.bus === 'number') {
    const dev = `/dev/i2c-${board.i2c.bus}`;
    if (!existsSync(join(env.root, dev))) {
      out.problems.push(`I2C not enabled: ${dev} is missing; add "dtparam=i2c_arm=on" to ${where} (or raspi-config → Interface Options → I2C) and reboot`);
    }
  }

  // GPIO controllers by label.
  const wanted = new Set(
    [...board.chain.map((c) => c.reset?.chip), board.gpio.power_enable?.chip].filter((l): l is string => l !== undefined && l !== 'sim-gpio'),
  );
  if (wanted.size > 0) {
    const labels = gpioLabels(env.root);
    if (labels === undefined) {
      out.problems.push('no sysfs GPIO (/sys/class/gpio) on this kernel: the reset and power-enable lines cannot be driven');
    } else {
      for (const l of wanted) {
        if (!labels.includes(l))
          out.problems.push(
            `no GPIO controller labelled "${l}" (present: ${labels.join(', ') || 'none'})${gen === 'pi5' ? '; on a Pi 5 the header GPIOs are "pinctrl-rp1"' : ''}`,
          );
      }
    }
  }

  // The service user's groups.
  if (env.user !== 'root') {
    const groups = groupsOf(env.root, env.user);
    if (!groups) {
      out.notes.push(`user ${env.user} not found in /etc/passwd: group membership not checked (scripts/install.sh creates "miner")`);
    } else {
      const need = ['dialout', 'i2c', 'gpio'].filter((g) => !groups.has(g));
      if (need.length > 0)
        out.problems.push(`user ${env.user} is not in group${need.length > 1 ? 's' : ''} ${need.join(', ')}: sudo usermod -a -G ${need.join(',')} ${env.user}`);
    }
  }
  return out;
}
