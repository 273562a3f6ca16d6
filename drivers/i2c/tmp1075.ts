/**
 * TI TMP1075 / TMP75 temperature sensors (docs/board.md "Values and their sources"): register 0x00 holds the
 * temperature as a 16-bit big-endian value whose top 12 bits are a two's-complement count of 0.0625 °C: °C =
 * (raw >> 4) × 0.0625. The TMP1075 sits at 0x48-0x4F (0x4A/0x4B on Bitaxe Hex boards); the TMP75 uses the
 * same register format at 0x48-0x4F (datasheet knowledge, not from a source here).
 *
 * The register is big-endian, so it is read as a 2-byte I2C block, not as an SMBus word (LSB first).
 */
import type { I2cBus } from '../transport/i2c-bus.js';
import type { TemperatureKind, TemperatureReading, TemperatureSensor } from './peripheral.js';

export const TMP1075_TEMP = 0x00;

/** Raw 16-bit register → °C. */
export function tmp1075RawToC(raw: number): number {
  const v = (raw & 0xffff) >> 4;
  return (v & 0x800 ? v - 0x1000 : v) * 0.0625;
}

export class Tmp1075 implements TemperatureSensor {
  constructor(
    private readonly bus: I2cBus,
    readonly id: string,
    readonly address: number,
    readonly kind: TemperatureKind = 'board',
    /** °C added to every reading (ESP-Miner's temp_offset, +10 on its TMP1075 boards, device_config.h @5c27713116c7). */
    private readonly offsetC = 0,
  ) {}

  async read(): Promise<TemperatureReading> {
    const b = await this.bus.readI2cBlock(this.address, TMP1075_TEMP, 2);
    const raw = ((b[0] ?? 0) << 8) | (b[1] ?? 0);
    return { c: tmp1075RawToC(raw) + this.offsetC, raw };
  }
}
