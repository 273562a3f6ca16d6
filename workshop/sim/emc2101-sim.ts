/**
 * Register-level EMC2101 model (register map in drivers/i2c/emc2101.ts, docs/board.md "Values and their
 * sources"). The external diode reads the chip temperature, the internal sensor an ambient-ish value, the
 * tach the simulated fan; the fan setting register drives the simulated fan's duty. Unmodelled registers read
 * back what was written.
 */
import { EMC2101, EMC2101_FAN_SETTING_MAX, EMC2101_TACH_STALLED } from '../../drivers/i2c/emc2101.js';
import type { SimI2cDevice } from './sim-i2c-bus.js';
import { SimNack } from './sim-i2c-bus.js';
import type { Noise, SimFan, SimSensorFaults } from './sim-physics.js';

export interface Emc2101Environment {
  update(): void;
  fan: SimFan;
  externalC(): number;
  /**
   * True while the chip whose diode is on the external input has just left reset: the transient corrupts
   * the conversions (mujina bitaxe.rs DIODE_SETTLE @1a69ef40f7ec), so the reading is garbage.
   */
  diodeUnsettled?(): boolean;
  internalC(): number;
  faults: SimSensorFaults;
  noise: Noise;
  onDuty?(): void;
}

export class Emc2101Sim implements SimI2cDevice {
  readonly regs = new Uint8Array(256);
  private frozen: { msb: number; lsb: number; internal: number } | undefined;
  /** Reading the external MSB latches the LSB, reading the tach LSB latches the MSB (EMC2101 datasheet). */
  private latchedExtLsb: number | undefined;
  private latchedTachMsb: number | undefined;
  /** When set, the whole chip stops answering (used for bus-level faults on this address). */
  nack = false;

  constructor(
    private readonly env: Emc2101Environment,
    productId = 0x16,
  ) {
    this.regs[EMC2101.PRODUCT_ID] = productId;
    this.regs[EMC2101.MANUFACTURER_ID] = 0x5d;
    this.regs[0xff] = 0x01; // revision
    this.regs[EMC2101.IDEALITY] = 0x12; // reset value
    this.regs[EMC2101.BETA] = 0x08; // reset value: automatic beta (ESP-Miner EMC2101.h EMC2101_BETA_AUTO)
    this.regs[EMC2101.FAN_CONFIG] = 0x20;
  }

  private externalRegs(): { msb: number; lsb: number; internal: number } {
    if (this.env.faults.stuck && this.frozen) return this.frozen;
    let msb: number;
    let lsb: number;
    if (this.env.faults.lost) {
      // Open diode: 0x3F8 in the 11-bit representation (docs/board.md "Values and their sources").
      msb = 0x7f;
      lsb = 0x00;
    } else {
      // ±1 LSB of noise, as a real diode reading has; clamp below the 0x3F8 fault code. Right after a reset
      // release the conversion is garbage: anywhere from 60 to 127 °C.
      const c = this.env.diodeUnsettled?.() ? 93.5 + this.env.noise.jitter(33.5) : this.env.externalC() + this.env.noise.jitter(0.125);
      const eighths = Math.round(c * 8);
      const raw = Math.max(-512, Math.min(0x3f7, eighths)) & 0x7ff;
      msb = (raw >> 3) & 0xff;
      lsb = (raw & 0x07) << 5;
    }
    const internal = Math.max(-128, Math.min(127, Math.round(this.env.internalC()))) & 0xff;
    const cur = { msb, lsb, internal };
    if (this.env.faults.stuck && !this.frozen) this.frozen = cur;
    if (!this.env.faults.stuck) this.frozen = undefined;
    return cur;
  }

  private tachCount(): number {
    const rpm = this.env.fan.rpm;
    if (rpm < 5_400_000 / 0xfffe) return EMC2101_TACH_STALLED;
    return Math.min(0xfffe, Math.max(1, Math.round(5_400_000 / rpm)));
  }

  private readReg(reg: number): number {
    switch (reg) {
      case EMC2101.INTERNAL_TEMP:
        return this.externalRegs().internal;
      case EMC2101.EXTERNAL_TEMP_MSB: {
        const r = this.externalRegs();
        this.latchedExtLsb = r.lsb;
        return r.msb;
      }
      case EMC2101.EXTERNAL_TEMP_LSB: {
        const lsb = this.latchedExtLsb ?? this.externalRegs().lsb;
        this.latchedExtLsb = undefined;
        return lsb;
      }
      case EMC2101.TACH_LSB: {
        const count = this.tachCount();
        this.latchedTachMsb = count >> 8;
        return count & 0xff;
      }
      case EMC2101.TACH_MSB: {
        const msb = this.latchedTachMsb ?? this.tachCount() >> 8;
        this.latchedTachMsb = undefined;
        return msb;
      }
      default:
        return this.regs[reg] ?? 0;
    }
  }

  read(command: number, length: number): Uint8Array {
    if (this.nack) throw new SimNack('EMC2101 not answering');
    this.env.update();
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.readReg((command + i) & 0xff);
    return out;
  }

  write(command: number, data: Uint8Array): void {
    if (this.nack) throw new SimNack('EMC2101 not answering');
    this.env.update();
    data.forEach((b, i) => {
      const reg = (command + i) & 0xff;
      if (reg === EMC2101.PRODUCT_ID || reg === EMC2101.MANUFACTURER_ID) return; // read-only
      this.regs[reg] = b;
      if (reg === EMC2101.FAN_SETTING) {
        this.env.fan.duty = Math.min(EMC2101_FAN_SETTING_MAX, b & 0x3f) / EMC2101_FAN_SETTING_MAX;
        this.env.onDuty?.();
      }
    });
  }
}
