/**
 * Microchip EMC2302: two PWM fans with tachometers (docs/board.md "Values and their sources").
 *
 * - Fan n setting: 0x30 (fan 1), 0x40 (fan 2), 0..255.
 * - Fan n configuration 1: 0x32 / 0x42; bits 6..5 (RNG) choose the tach range, whose multiplier m is
 *   1, 2, 4 or 8 (reset value 01: m = 2).
 * - Tach reading: 0x3E/0x3F (fan 1), 0x4E/0x4F (fan 2), high byte first; count = (high << 5) | (low >> 3),
 *   RPM = 3,932,160 × m / count. A high byte of 0xFF means the fan is stalled.
 */
import type { I2cBus } from '../transport/i2c-bus.js';
import { hex2 } from '../transport/i2c-bus.js';
import type { FanChannel } from './peripheral.js';

export const EMC2302_ADDRESS = 0x2f;

export const EMC2302 = {
  FAN_SETTING: [0x30, 0x40],
  FAN_CONFIG1: [0x32, 0x42],
  TACH_HIGH: [0x3e, 0x4e],
  TACH_LOW: [0x3f, 0x4f],
  PRODUCT_ID: 0xfd,
  MANUFACTURER_ID: 0xfe,
} as const;

/**
 * Product ID register 0xFD of the EMC2302 (EMC2301 0x37, EMC2303 0x35, EMC2305 0x34). From the EMC230x
 * datasheet as remembered, not from a source checked here: verify on hardware (docs/board.md).
 */
export const EMC2302_PRODUCT_ID = 0x36;
export const EMC2302_MANUFACTURER_ID = 0x5d;

export function emc2302DutyToSetting(percent: number): number {
  const p = Math.min(100, Math.max(0, percent));
  return Math.round((p / 100) * 255);
}

/** RNG bits (config1 bits 6..5) → tach multiplier m. */
export function emc2302RangeMultiplier(config1: number): number {
  return 1 << ((config1 >> 5) & 0x03);
}

/** Tach registers → RPM (0 when stalled). */
export function emc2302TachToRpm(high: number, low: number, multiplier: number): number {
  if ((high & 0xff) === 0xff) return 0;
  const count = ((high & 0xff) << 5) | ((low & 0xff) >> 3);
  if (count === 0) throw new RangeError('EMC2302 tach count 0 is a bad read');
  return (3_932_160 * multiplier) / count;
}

export class Emc2302 {
  readonly address: number;
  private multipliers: number[] = [2, 2];
  constructor(
    private readonly bus: I2cBus,
    readonly id: string,
    address = EMC2302_ADDRESS,
  ) {
    this.address = address;
  }

  async init(): Promise<void> {
    const product = await this.bus.readByte(this.address, EMC2302.PRODUCT_ID);
    const maker = await this.bus.readByte(this.address, EMC2302.MANUFACTURER_ID);
    if (product !== EMC2302_PRODUCT_ID || maker !== EMC2302_MANUFACTURER_ID) {
      throw new Error(`${this.id}: device at ${hex2(this.address)} is not an EMC2302 (product ${hex2(product)}, manufacturer ${hex2(maker)})`);
    }
    // Keep the range the board was strapped/configured with; only learn its multiplier.
    this.multipliers = [];
    for (const reg of EMC2302.FAN_CONFIG1) this.multipliers.push(emc2302RangeMultiplier(await this.bus.readByte(this.address, reg)));
  }

  async setDuty(fan: 0 | 1, percent: number): Promise<void> {
    await this.bus.writeByte(this.address, EMC2302.FAN_SETTING[fan], emc2302DutyToSetting(percent));
  }

  setDutySync(fan: 0 | 1, percent: number): void {
    this.bus.writeByteSync(this.address, EMC2302.FAN_SETTING[fan], emc2302DutyToSetting(percent));
  }

  async readRpm(fan: 0 | 1): Promise<number> {
    const high = await this.bus.readByte(this.address, EMC2302.TACH_HIGH[fan]);
    const low = await this.bus.readByte(this.address, EMC2302.TACH_LOW[fan]);
    return emc2302TachToRpm(high, low, this.multipliers[fan] ?? 2);
  }

  fans(): FanChannel[] {
    return ([0, 1] as const).map((n) => ({
      id: `${this.id}.fan${n + 1}`,
      setDuty: (p: number) => this.setDuty(n, p),
      setDutySync: (p: number) => this.setDutySync(n, p),
      readRpm: () => this.readRpm(n),
    }));
  }
}
