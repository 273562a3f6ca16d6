/**
 * The systemd unit for this machine and this config, from scripts/systemd/asic-agent.service.in: the
 * Node.js binary found at install time (official builds live in /usr/local/bin, Debian's and
 * NodeSource's in /usr/bin), the install prefix, TimeoutStopSec= from the config's cool-down
 * (src/service/stop-timeout.ts), and DeviceAllow= for exactly the board's UARTs, I2C bus and GPIO chips.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BoardConfig } from '../config/board-config.js';
import { packageRoot } from '../package-root.js';
import { unitStopTimeoutS } from './stop-timeout.js';

/**
 * WATCHDOG=1 comes every half of this from the event loop (src/service/service-notifier.ts). Long enough
 * for a GC pause or a loaded single-core board, short enough that a wedged loop leaves the thermal loop
 * unattended for seconds, not minutes.
 */
export const WATCHDOG_SEC = 10;

export interface UnitOptions {
  node: string;
  prefix: string;
  config: string;
  exitCoolTimeoutS: number;
  /** DeviceAllow= values; empty when the config names no board yet. */
  devices: string[];
  watchdogSec?: number;
}

/**
 * DeviceAllow= entries for a board: each chain's UART, the I2C bus, and (when GPIO lines are wired) the
 * gpiochip character devices for a chardev GPIO backend (sysfs GPIO needs none: it is not a device
 * node). A simulated board needs pseudo-terminals instead: its chains are simulator processes behind them.
 */
export function deviceAllowFor(board: BoardConfig): string[] {
  const out: string[] = [];
  if (board.sim) return ['/dev/ptmx rw', 'char-pts rw'];
  for (const c of board.chain) if (c.uart.startsWith('/dev/') && !out.includes(`${c.uart} rw`)) out.push(`${c.uart} rw`);
  out.push(`/dev/i2c-${board.i2c.bus} rw`);
  const gpio = board.gpio.power_enable !== undefined || board.chain.some((c) => c.reset !== undefined);
  if (gpio) out.push('char-gpiochip rw');
  return out;
}

export function renderUnit(o: UnitOptions, template = readFileSync(join(packageRoot(), 'scripts', 'systemd', 'asic-agent.service.in'), 'utf8')): string {
  const devices =
    o.devices.length > 0
      ? o.devices.map((d) => `DeviceAllow=${d}`).join('\n')
      : '# DeviceAllow: none yet, the config names no board. Run the installer again once it does.';
  const values: Record<string, string> = {
    NODE: o.node,
    PREFIX: o.prefix,
    CONFIG: o.config,
    WATCHDOG_SEC: String(o.watchdogSec ?? WATCHDOG_SEC),
    STOP_TIMEOUT_SEC: String(unitStopTimeoutS(o.exitCoolTimeoutS)),
    DEVICE_ALLOW: devices,
  };
  return template.replace(/@([A-Z_]+)@/g, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`unit template: unknown placeholder ${whole}`);
    return v;
  });
}
