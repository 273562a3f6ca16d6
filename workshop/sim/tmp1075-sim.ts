/** Register-level TMP1075/TMP75 model: the temperature register (big-endian) plus writable config/limits. */
import { TMP1075_TEMP } from '../../drivers/i2c/tmp1075.js';
import type { SimI2cDevice } from './sim-i2c-bus.js';
import { SimNack } from './sim-i2c-bus.js';
import type { Noise, SimSensorFaults } from './sim-physics.js';

export interface Tmp1075Environment {
  update(): void;
  temperatureC(): number;
  faults: SimSensorFaults;
  noise: Noise;
}

export class Tmp1075Sim implements SimI2cDevice {
  /** Pointer register → 16-bit value (0x01 config, 0x02 T_low, 0x03 T_high). */
  private readonly regs = new Map<number, number>([
    [0x01, 0x00ff],
    [0x02, 0x4b00],
    [0x03, 0x5000],
  ]);
  private pointer = 0;
  private frozen: number | undefined;

  constructor(private readonly env: Tmp1075Environment) {}

  private tempRaw(): number {
    if (this.env.faults.stuck && this.frozen !== undefined) return this.frozen;
    const counts = Math.round((this.env.temperatureC() + this.env.noise.jitter(0.0625)) / 0.0625);
    const raw = ((Math.max(-2048, Math.min(2047, counts)) & 0xfff) << 4) & 0xffff;
    this.frozen = this.env.faults.stuck ? raw : undefined;
    return raw;
  }

  private word(reg: number): number {
    return reg === TMP1075_TEMP ? this.tempRaw() : (this.regs.get(reg) ?? 0);
  }

  read(command: number, length: number): Uint8Array {
    if (this.env.faults.lost) throw new SimNack('TMP1075 not answering');
    this.env.update();
    this.pointer = command & 0x0f;
    return this.readCurrent(length);
  }

  readCurrent(length: number): Uint8Array {
    if (this.env.faults.lost) throw new SimNack('TMP1075 not answering');
    const w = this.word(this.pointer);
    const out = new Uint8Array(length);
    out[0] = w >> 8;
    if (length > 1) out[1] = w & 0xff;
    return out;
  }

  write(command: number, data: Uint8Array): void {
    if (this.env.faults.lost) throw new SimNack('TMP1075 not answering');
    this.pointer = command & 0x0f;
    if (data.length >= 2 && this.pointer !== TMP1075_TEMP) this.regs.set(this.pointer, ((data[0] ?? 0) << 8) | (data[1] ?? 0));
  }
}
