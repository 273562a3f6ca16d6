/** Register-level INA260 model: bus voltage, current and power of the board input, big-endian words. */
import { INA260, INA260_MANUFACTURER_ID } from '../../drivers/i2c/ina260.js';
import type { SimI2cDevice } from './sim-i2c-bus.js';
import { SimNack } from './sim-i2c-bus.js';

export interface Ina260Environment {
  update(): void;
  inputVolts(): number;
  inputWatts(): number;
}

export class Ina260Sim implements SimI2cDevice {
  private config = 0x6127; // reset value
  nack = false;
  constructor(private readonly env: Ina260Environment) {}

  private word(reg: number): number {
    const v = this.env.inputVolts();
    const w = this.env.inputWatts();
    const a = v > 0 ? w / v : 0;
    switch (reg) {
      case INA260.CONFIG:
        return this.config;
      case INA260.CURRENT:
        return Math.round(a / 0.00125) & 0xffff;
      case INA260.BUS_VOLTAGE:
        return Math.min(0xffff, Math.round(v / 0.00125));
      case INA260.POWER:
        return Math.min(0xffff, Math.round(w / 0.01));
      case INA260.MANUFACTURER_ID:
        return INA260_MANUFACTURER_ID;
      case INA260.DIE_ID:
        return 0x2270;
      default:
        throw new SimNack(`INA260 has no register 0x${reg.toString(16)}`);
    }
  }

  read(command: number, length: number): Uint8Array {
    if (this.nack) throw new SimNack('INA260 not answering');
    this.env.update();
    const w = this.word(command);
    const out = new Uint8Array(length);
    out[0] = w >> 8;
    if (length > 1) out[1] = w & 0xff;
    return out;
  }

  write(command: number, data: Uint8Array): void {
    if (this.nack) throw new SimNack('INA260 not answering');
    if (command === INA260.CONFIG && data.length >= 2) this.config = ((data[0] ?? 0) << 8) | (data[1] ?? 0);
  }
}
