/**
 * TI INA260 power monitor with an integrated shunt (docs/board.md "Values and their sources"). 16-bit
 * big-endian registers: current 0x01 (two's complement, 1.25 mA/LSB), bus voltage 0x02 (1.25 mV/LSB), power
 * 0x03 (10 mW/LSB), manufacturer ID 0xFE = 0x5449 ("TI").
 */
import type { I2cBus } from '../transport/i2c-bus.js';
import { hex2 } from '../transport/i2c-bus.js';
import type { PowerMonitor, PowerReading } from './peripheral.js';

export const INA260_ADDRESS = 0x40;
export const INA260 = { CONFIG: 0x00, CURRENT: 0x01, BUS_VOLTAGE: 0x02, POWER: 0x03, MANUFACTURER_ID: 0xfe, DIE_ID: 0xff } as const;
export const INA260_MANUFACTURER_ID = 0x5449;

export function ina260Current(raw: number): number {
  const v = raw & 0xffff;
  return (v & 0x8000 ? v - 0x10000 : v) * 0.00125;
}
export function ina260Voltage(raw: number): number {
  return (raw & 0xffff) * 0.00125;
}
export function ina260Power(raw: number): number {
  return (raw & 0xffff) * 0.01;
}

export class Ina260 implements PowerMonitor {
  constructor(
    private readonly bus: I2cBus,
    readonly id: string,
    readonly address = INA260_ADDRESS,
  ) {}

  private async reg(r: number): Promise<number> {
    const b = await this.bus.readI2cBlock(this.address, r, 2);
    return ((b[0] ?? 0) << 8) | (b[1] ?? 0);
  }

  async init(): Promise<void> {
    const id = await this.reg(INA260.MANUFACTURER_ID);
    if (id !== INA260_MANUFACTURER_ID) throw new Error(`${this.id}: device at ${hex2(this.address)} is not an INA260 (manufacturer ${id.toString(16)})`);
  }

  async read(): Promise<PowerReading> {
    const amps = ina260Current(await this.reg(INA260.CURRENT));
    const volts = ina260Voltage(await this.reg(INA260.BUS_VOLTAGE));
    const watts = ina260Power(await this.reg(INA260.POWER));
    return { volts, amps, watts };
  }
}
