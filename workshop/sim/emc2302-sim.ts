/** Register-level EMC2302 model: two fan settings driving two simulated fans, two tach readings. */
import { EMC2302, EMC2302_MANUFACTURER_ID, EMC2302_PRODUCT_ID, emc2302RangeMultiplier } from '../../drivers/i2c/emc2302.js';
import type { SimI2cDevice } from './sim-i2c-bus.js';
import { SimNack } from './sim-i2c-bus.js';
import type { SimFan } from './sim-physics.js';

export interface Emc2302Environment {
  update(): void;
  fans: [SimFan, SimFan];
  onDuty?(): void;
}

export class Emc2302Sim implements SimI2cDevice {
  readonly regs = new Uint8Array(256);
  nack = false;
  constructor(private readonly env: Emc2302Environment) {
    this.regs[EMC2302.PRODUCT_ID] = EMC2302_PRODUCT_ID;
    this.regs[EMC2302.MANUFACTURER_ID] = EMC2302_MANUFACTURER_ID;
    // Fan configuration 1 reset value 0x2B: RNG = 01 (500 RPM minimum, multiplier 2).
    this.regs[EMC2302.FAN_CONFIG1[0]] = 0x2b;
    this.regs[EMC2302.FAN_CONFIG1[1]] = 0x2b;
  }

  private tach(fan: 0 | 1): [number, number] {
    const rpm = this.env.fans[fan].rpm;
    const m = emc2302RangeMultiplier(this.regs[EMC2302.FAN_CONFIG1[fan]] ?? 0x2b);
    if (rpm <= 0) return [0xff, 0xf8];
    const count = Math.min(0x1fef, Math.max(1, Math.round((3_932_160 * m) / rpm)));
    return [(count >> 5) & 0xff, (count & 0x1f) << 3];
  }

  private readReg(reg: number): number {
    for (const fan of [0, 1] as const) {
      if (reg === EMC2302.TACH_HIGH[fan]) return this.tach(fan)[0];
      if (reg === EMC2302.TACH_LOW[fan]) return this.tach(fan)[1];
    }
    return this.regs[reg] ?? 0;
  }

  read(command: number, length: number): Uint8Array {
    if (this.nack) throw new SimNack('EMC2302 not answering');
    this.env.update();
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.readReg((command + i) & 0xff);
    return out;
  }

  write(command: number, data: Uint8Array): void {
    if (this.nack) throw new SimNack('EMC2302 not answering');
    this.env.update();
    data.forEach((b, i) => {
      const reg = (command + i) & 0xff;
      if (reg === EMC2302.PRODUCT_ID || reg === EMC2302.MANUFACTURER_ID) return;
      this.regs[reg] = b;
      for (const fan of [0, 1] as const) {
        if (reg === EMC2302.FAN_SETTING[fan]) {
          this.env.fans[fan].duty = b / 255;
          this.env.onDuty?.();
        }
      }
    });
  }
}
