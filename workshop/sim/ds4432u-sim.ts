/** Register-level DS4432U model: two DAC output registers; the board model reads the trimmed voltage. */
import { DS4432U_OUT0, DS4432U_OUT1, ds4432uVoltageForCode } from '../../drivers/i2c/ds4432u.js';
import type { SimI2cDevice } from './sim-i2c-bus.js';
import { SimNack } from './sim-i2c-bus.js';

export class Ds4432uSim implements SimI2cDevice {
  private readonly out = new Map<number, number>([
    [DS4432U_OUT0, 0],
    [DS4432U_OUT1, 0],
  ]);
  constructor(private readonly onChange?: () => void) {}

  /** The voltage OUT0 trims the buck to. */
  volts(): number {
    return ds4432uVoltageForCode(this.out.get(DS4432U_OUT0) ?? 0);
  }

  read(command: number, length: number): Uint8Array {
    const v = this.out.get(command);
    if (v === undefined) throw new SimNack(`DS4432U has no register 0x${command.toString(16)}`);
    return new Uint8Array(length).fill(v);
  }

  write(command: number, data: Uint8Array): void {
    if (!this.out.has(command) || data.length !== 1) throw new SimNack(`DS4432U write to 0x${command.toString(16)} refused`);
    this.out.set(command, data[0] ?? 0);
    this.onChange?.();
  }
}
