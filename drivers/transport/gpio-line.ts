/**
 * One GPIO line (architecture principle 2): the chain reset lines and the power-enable line. The board
 * speaks *logical* values: 1 means "asserted" (chain held in reset, power enabled), 0 means released.
 * An active-low line inverts on the wire, so a BM13xx nRST line (active-low, docs/board.md "Values and their
 * sources") is asserted by driving it low. Backends: `sysfs-gpio.ts` (onoff over /sys/class/gpio) and
 * `workshop/sim/sim-gpio.ts`.
 */

export type GpioDirection = 'in' | 'out';
export type GpioValue = 0 | 1;

/** A line as a board-config names it: the GPIO controller's label plus the line offset on it. */
export interface GpioSpec {
  /** The gpiochip label (`cat /sys/class/gpio/gpiochip*\/label`, or the first column of `gpiodetect`). */
  chip: string;
  /** Line offset on that chip (the BCM number on a Raspberry Pi's main controller). */
  line: number;
  /** True when the line is asserted by driving it low. */
  activeLow: boolean;
}

export interface GpioLine {
  /** For logs: `reset0 (pinctrl-bcm2711:17, active-low)`. */
  readonly name: string;
  readonly activeLow: boolean;
  direction(): GpioDirection;
  /** Switches direction; for 'out' the logical `initial` value is driven without a glitch. */
  setDirection(direction: GpioDirection, initial?: GpioValue): Promise<void>;
  /** Logical value (after active-low inversion). */
  read(): Promise<GpioValue>;
  /** Drives the logical value (1 = asserted). */
  write(value: GpioValue): Promise<void>;
  /** Synchronous write, for the last-resort path in process.on('exit'). */
  writeSync(value: GpioValue): void;
  /**
   * Gives the line back to the kernel. The board never calls this on exit: an unexported line floats,
   * and a floating reset or power-enable line is exactly what the safe state must avoid.
   */
  release(): Promise<void>;
}

/** Opens a line as an output already driven to `initial` (logical). */
export type GpioOpener = (role: string, spec: GpioSpec, initial: GpioValue) => Promise<GpioLine>;

export class GpioError extends Error {
  override readonly name: string = 'GpioError';
}

/** The kernel offers no sysfs GPIO at all, or the named controller/line does not exist. */
export class GpioUnavailableError extends GpioError {
  override readonly name = 'GpioUnavailableError';
}

export function describeGpio(role: string, spec: GpioSpec): string {
  return `${role} (${spec.chip}:${spec.line}${spec.activeLow ? ', active-low' : ''})`;
}

/** The physical level for a logical value on a line. */
export function physicalLevel(value: GpioValue, activeLow: boolean): GpioValue {
  return activeLow ? (value === 1 ? 0 : 1) : value;
}
