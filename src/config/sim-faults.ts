/**
 * Fault injection for simulated boards. A fault is named, optionally aimed at one device (a fan index),
 * and scheduled a number of seconds after the board starts: `fan-stall@10`, `fan-stall:1@10`,
 * `overheat@30`. The same names work on the command line (`--sim-fault`), in a board-config's
 * `[sim] faults`, and in tests.
 */

export const SIM_FAULTS = {
  'fan-stall': 'a fan stops turning (tach falls to 0 while its duty is > 0); target = fan index, default 0',
  overheat: 'the heatsink loses its airflow and the board heats up fast (blocked intake)',
  'sensor-loss': 'every chip/board temperature sensor stops answering (NACK, or an open diode on the EMC2101)',
  'sensor-stuck': 'every temperature sensor keeps returning the same raw value',
  'regulator-fault': 'the TPS546 latches an output over-current fault and switches off',
  'vout-drift': 'the regulator output reads 15 % above what it was told',
  overcurrent: 'the regulator reports an output current far above the board limit',
  'bus-timeout': 'every I2C transfer hangs and times out (a device holding the bus)',
  'chip-dead': 'an ASIC chip stops answering and hashing; target = chip number counted over all chains (chain 1 chip 0 on a 4-chip chain is 4), default 0',
  'uncaught-exception': 'the agent process throws an uncaught exception (tests the exit path)',
  'unhandled-rejection': 'the agent process leaves a promise rejection unhandled (tests the exit path)',
  'event-loop-stall': "the agent's event loop blocks for good (a wedged synchronous call; tests the systemd watchdog)",
} as const;

export type SimFaultName = keyof typeof SIM_FAULTS;

export interface SimFault {
  name: SimFaultName;
  /** Seconds after start. */
  atS: number;
  /** Which device, where it matters (fan index). */
  target?: number;
}

export class SimFaultSyntaxError extends Error {
  override readonly name = 'SimFaultSyntaxError';
}

export function isSimFaultName(s: string): s is SimFaultName {
  return Object.hasOwn(SIM_FAULTS, s);
}

/** Parses `name[:target]@seconds`. */
export function parseSimFault(text: string): SimFault {
  const m = /^([a-z-]+)(?::(\d+))?@(\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!m) throw new SimFaultSyntaxError(`"${text}" is not NAME[:TARGET]@SECONDS (e.g. fan-stall@10)`);
  const [, name = '', target, at = ''] = m;
  if (!isSimFaultName(name)) throw new SimFaultSyntaxError(`unknown fault "${name}"; known: ${Object.keys(SIM_FAULTS).join(', ')}`);
  const fault: SimFault = { name, atS: Number(at) };
  if (target !== undefined) fault.target = Number(target);
  return fault;
}

export function formatSimFault(f: SimFault): string {
  return `${f.name}${f.target === undefined ? '' : `:${f.target}`}@${f.atS}`;
}

/** Thrown (or rejected) by the process-level faults, so logs show it was injected on purpose. */
export class SimInjectedError extends Error {
  override readonly name = 'SimInjectedError';
}
