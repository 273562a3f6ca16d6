/**
 * GpioLine over the kernel's sysfs GPIO interface through `onoff`.
 *
 * sysfs numbers lines globally: line N of a controller is `base + N`, and the base is not stable. Raspberry
 * Pi kernels 6.6+ moved the main controller's base to 512 (raspberrypi/linux#6084, fivdi/onoff#200), so
 * writing a BCM number straight into /sys/class/gpio/export fails with EINVAL. A board-config therefore
 * names a line by controller *label* + offset, and `resolveSysfsGpio` reads every
 * /sys/class/gpio/gpiochipN/{label,base,ngpio} to find the global number.
 *
 * sysfs GPIO is deprecated upstream but still built into Raspberry Pi OS kernels, the Pi 5's included: its
 * header GPIOs are the RP1 controller, labelled "pinctrl-rp1" (base 571 on current kernels), which is why
 * lines are found by label. A kernel built without CONFIG_GPIO_SYSFS has no /sys/class/gpio, and opening
 * a line fails with GpioUnavailableError saying so. A character-device backend (/dev/gpiochipN) can
 * implement the same GpioLine interface later.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Gpio as OnoffGpio } from 'onoff';
import {
  describeGpio,
  GpioError,
  GpioUnavailableError,
  physicalLevel,
  type GpioDirection,
  type GpioLine,
  type GpioOpener,
  type GpioSpec,
  type GpioValue,
} from './gpio-line.js';

export const SYSFS_GPIO_ROOT = '/sys/class/gpio';

export interface SysfsGpioChip {
  dir: string;
  label: string;
  base: number;
  ngpio: number;
}

/** Lists the GPIO controllers sysfs knows about. */
export function listSysfsGpioChips(root = SYSFS_GPIO_ROOT): SysfsGpioChip[] {
  if (!existsSync(root)) {
    throw new GpioUnavailableError(
      `sysfs GPIO is not available: ${root} does not exist. This kernel was built without CONFIG_GPIO_SYSFS. ` +
        'asic-agent drives reset and power-enable lines through sysfs today; use a kernel that provides it ' +
        '(Raspberry Pi OS does, on the Pi 5 as well), or a board-config without GPIO lines.',
    );
  }
  const chips: SysfsGpioChip[] = [];
  for (const dir of readdirSync(root)) {
    if (!dir.startsWith('gpiochip')) continue;
    const read = (f: string): string => readFileSync(join(root, dir, f), 'utf8').trim();
    try {
      const base = Number.parseInt(read('base'), 10);
      const ngpio = Number.parseInt(read('ngpio'), 10);
      if (Number.isInteger(base) && Number.isInteger(ngpio)) chips.push({ dir, label: read('label'), base, ngpio });
    } catch {
      // A controller whose attributes cannot be read is not one we can use; skip it.
    }
  }
  return chips.sort((a, b) => a.base - b.base);
}

/** Global sysfs number of `spec.line` on the controller labelled `spec.chip`. */
export function resolveSysfsGpio(spec: Pick<GpioSpec, 'chip' | 'line'>, root = SYSFS_GPIO_ROOT): number {
  const chips = listSysfsGpioChips(root);
  const matches = chips.filter((c) => c.label === spec.chip);
  if (matches.length === 0) {
    const have = chips.map((c) => `"${c.label}" (${c.dir}, ${c.ngpio} lines)`).join(', ') || 'none';
    throw new GpioUnavailableError(`no GPIO controller labelled "${spec.chip}" in ${root}; present: ${have}`);
  }
  if (matches.length > 1) {
    throw new GpioUnavailableError(
      `${matches.length} GPIO controllers are labelled "${spec.chip}" (${matches.map((c) => c.dir).join(', ')}); the label is ambiguous`,
    );
  }
  const chip = matches[0] as SysfsGpioChip;
  if (!Number.isInteger(spec.line) || spec.line < 0 || spec.line >= chip.ngpio) {
    throw new GpioUnavailableError(`line ${spec.line} is outside "${spec.chip}" (${chip.ngpio} lines, base ${chip.base})`);
  }
  return chip.base + spec.line;
}

/** A line exported through sysfs by onoff. Values are logical; active-low is applied here, not by onoff. */
export class SysfsGpioLine implements GpioLine {
  private dir: GpioDirection = 'out';
  private constructor(
    readonly name: string,
    readonly activeLow: boolean,
    private readonly gpio: OnoffGpio,
  ) {}

  static async open(role: string, spec: GpioSpec, initial: GpioValue, root = SYSFS_GPIO_ROOT): Promise<SysfsGpioLine> {
    const number = resolveSysfsGpio(spec, root);
    let Gpio: typeof OnoffGpio;
    try {
      ({ Gpio } = await import('onoff'));
    } catch (err) {
      throw new GpioError(`the onoff/epoll native addon did not load (${String(err)})`, { cause: err });
    }
    // 'high'/'low' make the kernel switch to output and drive that physical level in one step
    // (gpiolib-sysfs direction_store uses gpiod_direction_output_raw), so the line never glitches.
    const level = physicalLevel(initial, spec.activeLow);
    try {
      const gpio = new Gpio(number, level === 1 ? 'high' : 'low', 'none', { activeLow: false, reconfigureDirection: true });
      return new SysfsGpioLine(describeGpio(role, spec), spec.activeLow, gpio);
    } catch (err) {
      const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : '';
      const hint =
        code === 'EACCES' ? ' (add the service user to the gpio group)' : code === 'EINVAL' ? ' (the kernel rejected the number; check the label)' : '';
      throw new GpioError(`cannot export GPIO ${number} for ${describeGpio(role, spec)}: ${String(err)}${hint}`, { cause: err });
    }
  }

  direction(): GpioDirection {
    return this.dir;
  }
  async setDirection(direction: GpioDirection, initial: GpioValue = 0): Promise<void> {
    if (direction === 'in') this.gpio.setDirection('in');
    else this.gpio.setDirection(physicalLevel(initial, this.activeLow) === 1 ? 'high' : 'low');
    this.dir = direction;
  }
  async read(): Promise<GpioValue> {
    const v = await this.gpio.read();
    return physicalLevel(v, this.activeLow);
  }
  async write(value: GpioValue): Promise<void> {
    await this.gpio.write(physicalLevel(value, this.activeLow));
  }
  writeSync(value: GpioValue): void {
    this.gpio.writeSync(physicalLevel(value, this.activeLow));
  }
  async release(): Promise<void> {
    this.gpio.unexport();
  }
}

/** The GpioOpener for real boards. */
export const openSysfsGpio: GpioOpener = (role, spec, initial) => SysfsGpioLine.open(role, spec, initial);
