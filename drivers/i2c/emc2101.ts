/**
 * Microchip EMC2101: one PWM fan with tachometer, an internal and one external-diode temperature
 * (register map: docs/board.md "Values and their sources";
 * ESP-Miner main/thermal/EMC2101.c drives it the same way).
 *
 * - Fan setting 0x4C is a 6-bit duty (0..63) in direct-setting mode (fan config 0x4A bit 5).
 * - Tach 0x46 (LSB) / 0x47 (MSB): RPM = 5,400,000 / count. Reading the LSB first latches the MSB.
 *   0xFFFF is the "no pulses" value (5,400,000 / 65,535 = 82 RPM, which ESP-Miner reports as 0).
 * - External diode 0x01 (MSB) / 0x10 (LSB): ((MSB << 8 | LSB) >> 5) is an 11-bit two's-complement
 *   value in 1/8 °C. 0x3F8 means an open diode and 0x3FF a shorted one.
 * - Internal temperature 0x00: a signed byte, °C.
 */
import type { I2cBus } from '../transport/i2c-bus.js';
import { hex2 } from '../transport/i2c-bus.js';
import { SensorFaultError, type FanChannel, type TemperatureKind, type TemperatureReading, type TemperatureSensor } from './peripheral.js';

export const EMC2101_ADDRESS = 0x4c;

export const EMC2101 = {
  INTERNAL_TEMP: 0x00,
  EXTERNAL_TEMP_MSB: 0x01,
  CONFIG: 0x03,
  EXTERNAL_TEMP_LSB: 0x10,
  IDEALITY: 0x17,
  BETA: 0x18,
  TACH_LSB: 0x46,
  TACH_MSB: 0x47,
  FAN_CONFIG: 0x4a,
  FAN_SETTING: 0x4c,
  PRODUCT_ID: 0xfd,
  MANUFACTURER_ID: 0xfe,
} as const;

/** 0xFD reads 0x16 (EMC2101) or 0x28 (EMC2101-R) (docs/board.md "Values and their sources"). */
export const EMC2101_PRODUCT_IDS: readonly number[] = [0x16, 0x28];
/** 0xFE: SMSC/Microchip. */
export const EMC2101_MANUFACTURER_ID = 0x5d;
/** Config 0x03 bit 2 (ALT_TCH): the ALERT pin is the tachometer input. */
export const EMC2101_CONFIG_TACH_INPUT = 0x04;
/**
 * Fan config 0x4A = 0x23: bit 5 direct setting (0x4C drives the PWM), bits 1..0 the PWM clock range.
 * The ESP-Miner value; docs/board.md "Values and their sources" notes the range bits may not select the ~22.5
 * kHz its comment claims.
 */
export const EMC2101_FAN_CONFIG_DIRECT = 0x23;
export const EMC2101_FAN_SETTING_MAX = 63;
export const EMC2101_TACH_STALLED = 0xffff;
/** External-diode fault codes, in the 11-bit representation. */
export const EMC2101_DIODE_OPEN = 0x3f8;
export const EMC2101_DIODE_SHORT = 0x3ff;

/** Duty percent → 6-bit fan setting (rounded). */
export function emc2101DutyToSetting(percent: number): number {
  const p = Math.min(100, Math.max(0, percent));
  return Math.round((p / 100) * EMC2101_FAN_SETTING_MAX);
}

/** Tach count → RPM; 0 for the stalled value. Throws on a zero count, which is a bad read, not a speed. */
export function emc2101TachToRpm(count: number): number {
  if (count === 0) throw new RangeError('EMC2101 tach count 0 is a bad read');
  if (count === EMC2101_TACH_STALLED) return 0;
  return 5_400_000 / count;
}

/** External-diode registers → the 11-bit value (sign-extended) in 1/8 °C. */
export function emc2101ExternalRaw(msb: number, lsb: number): number {
  const v = (((msb & 0xff) << 8) | (lsb & 0xff)) >> 5;
  return v & 0x400 ? v - 0x800 : v;
}

/** External-diode registers → °C. Throws SensorFaultError for the open and short codes. */
export function emc2101ExternalTemp(msb: number, lsb: number): number {
  const raw = emc2101ExternalRaw(msb, lsb);
  if (raw === EMC2101_DIODE_OPEN) throw new SensorFaultError('EMC2101 external diode open (0x3F8)');
  if (raw === EMC2101_DIODE_SHORT) throw new SensorFaultError('EMC2101 external diode short (0x3FF)');
  return raw / 8;
}

export interface Emc2101Options {
  id: string;
  address?: number;
  /** What the external diode measures (default `chip`: a BM13xx die diode on Bitaxe boards). `none` hides it. */
  external?: TemperatureKind | 'none';
  /** What the internal sensor means (default `ambient`). */
  internal?: TemperatureKind | 'none';
  /** Ideality factor register 0x17 (ESP-Miner uses 0x24 on Gamma boards); left at reset value when absent. */
  ideality?: number;
  /** Beta compensation register 0x18 (0x00 on Gamma boards, ESP-Miner); left at reset value (0x08, auto) when absent. */
  beta?: number;
  /**
   * °C added to both readings (ESP-Miner's temp_offset: main/thermal/EMC2101.c @5c27713116c7 adds it to
   * the internal and the external temperature; device_config.h uses +5 on the Ultra and Supra boards whose
   * chip temperature is the EMC2101's own die).
   */
  offsetC?: number;
}

export class Emc2101 {
  readonly address: number;
  readonly id: string;
  constructor(
    private readonly bus: I2cBus,
    private readonly opts: Emc2101Options,
  ) {
    this.address = opts.address ?? EMC2101_ADDRESS;
    this.id = opts.id;
  }

  /** Checks the product and manufacturer IDs. */
  async identify(): Promise<void> {
    const product = await this.bus.readByte(this.address, EMC2101.PRODUCT_ID);
    const maker = await this.bus.readByte(this.address, EMC2101.MANUFACTURER_ID);
    if (!EMC2101_PRODUCT_IDS.includes(product) || maker !== EMC2101_MANUFACTURER_ID) {
      throw new Error(`${this.id}: device at ${hex2(this.address)} is not an EMC2101 (product ${hex2(product)}, manufacturer ${hex2(maker)})`);
    }
  }

  /** Identifies the part, selects the tach input and direct PWM setting. */
  async init(): Promise<void> {
    await this.identify();
    await this.bus.writeByte(this.address, EMC2101.CONFIG, EMC2101_CONFIG_TACH_INPUT);
    await this.bus.writeByte(this.address, EMC2101.FAN_CONFIG, EMC2101_FAN_CONFIG_DIRECT);
    if (this.opts.ideality !== undefined) await this.bus.writeByte(this.address, EMC2101.IDEALITY, this.opts.ideality);
    if (this.opts.beta !== undefined) await this.bus.writeByte(this.address, EMC2101.BETA, this.opts.beta);
  }

  async setDuty(percent: number): Promise<void> {
    await this.bus.writeByte(this.address, EMC2101.FAN_SETTING, emc2101DutyToSetting(percent));
  }

  setDutySync(percent: number): void {
    this.bus.writeByteSync(this.address, EMC2101.FAN_SETTING, emc2101DutyToSetting(percent));
  }

  async readRpm(): Promise<number> {
    // LSB first: it latches the MSB so the two halves belong to one count.
    const lsb = await this.bus.readByte(this.address, EMC2101.TACH_LSB);
    const msb = await this.bus.readByte(this.address, EMC2101.TACH_MSB);
    return emc2101TachToRpm((msb << 8) | lsb);
  }

  async readExternal(): Promise<TemperatureReading> {
    // MSB first: it latches the LSB.
    const msb = await this.bus.readByte(this.address, EMC2101.EXTERNAL_TEMP_MSB);
    const lsb = await this.bus.readByte(this.address, EMC2101.EXTERNAL_TEMP_LSB);
    return { c: emc2101ExternalTemp(msb, lsb) + (this.opts.offsetC ?? 0), raw: (msb << 8) | lsb };
  }

  async readInternal(): Promise<TemperatureReading> {
    const b = await this.bus.readByte(this.address, EMC2101.INTERNAL_TEMP);
    return { c: (b & 0x80 ? b - 0x100 : b) + (this.opts.offsetC ?? 0), raw: b };
  }

  sensors(): TemperatureSensor[] {
    const out: TemperatureSensor[] = [];
    const ext = this.opts.external ?? 'chip';
    const int = this.opts.internal ?? 'ambient';
    // The external input is a diode on the ASIC's die: its readings settle after the chip leaves reset.
    if (ext !== 'none') out.push({ id: `${this.id}.external`, kind: ext, diode: true, read: () => this.readExternal() });
    if (int !== 'none') out.push({ id: `${this.id}.internal`, kind: int, read: () => this.readInternal() });
    return out;
  }

  fans(): FanChannel[] {
    return [
      {
        id: `${this.id}.fan`,
        setDuty: (p) => this.setDuty(p),
        setDutySync: (p) => this.setDutySync(p),
        readRpm: () => this.readRpm(),
      },
    ];
  }
}
