/**
 * Maxim DS4432U current DAC, used on Bitaxe Max-class boards to trim a TPS40305 buck by pushing current
 * into its feedback node (docs/board.md "Values and their sources"). OUT0 register 0xF8 (OUT1 0xF9): bit 7 =
 * direction (1 sources current into the node, lowering the output), bits 6..0 = magnitude in 1/127 of full
 * scale.
 *
 * Feedback network (from the same source): FB reference 0.6 V, R_top 4750 Ω, R_bottom 3320 Ω, full-scale
 * current 98.921 µA. KCL at FB: (V − 0.6)/R_top + I = 0.6/R_bottom, so I = 0.6/R_bottom − (V − 0.6)/R_top.
 * code = ceil(|I| / I_fs × 127). The direction comes from the sign of I, which puts the crossover at the
 * network's own nominal (0.6 × (1 + 4750/3320) = 1.458 V); ESP-Miner compares against 1.451 V instead.
 */
import type { I2cBus } from '../transport/i2c-bus.js';
import type { VoltageTrim } from './peripheral.js';

export const DS4432U_ADDRESS = 0x48;
export const DS4432U_OUT0 = 0xf8;
export const DS4432U_OUT1 = 0xf9;

const VFB = 0.6;
const R_TOP = 4750;
const R_BOTTOM = 3320;
const I_FS = 98.921e-6;

/** Volts → DAC register byte. Throws RangeError outside what 7 bits of either direction can reach. */
export function ds4432uCodeForVoltage(volts: number): number {
  const i = VFB / R_BOTTOM - (volts - VFB) / R_TOP;
  const magnitude = Math.ceil(Number(((Math.abs(i) / I_FS) * 127).toFixed(9)));
  if (!Number.isFinite(volts) || magnitude > 127) {
    throw new RangeError(
      `DS4432U cannot trim to ${volts} V (reachable ${ds4432uVoltageForCode(0xff).toFixed(3)}..${ds4432uVoltageForCode(0x7f).toFixed(3)} V)`,
    );
  }
  // Zero current has one encoding: direction 0 (either bit means no current at magnitude 0).
  return magnitude === 0 ? 0 : (i > 0 ? 0x80 : 0) | magnitude;
}

/** DAC register byte → the output voltage the feedback network settles at. */
export function ds4432uVoltageForCode(code: number): number {
  const magnitude = code & 0x7f;
  const i = ((code & 0x80 ? 1 : -1) * magnitude * I_FS) / 127;
  return VFB + R_TOP * (VFB / R_BOTTOM - i);
}

export class Ds4432u implements VoltageTrim {
  constructor(
    private readonly bus: I2cBus,
    readonly id: string,
    readonly address = DS4432U_ADDRESS,
    private readonly register = DS4432U_OUT0,
  ) {}

  async setVoltage(volts: number): Promise<void> {
    await this.bus.writeByte(this.address, this.register, ds4432uCodeForVoltage(volts));
  }

  async readCode(): Promise<number> {
    return this.bus.readByte(this.address, this.register);
  }
}
