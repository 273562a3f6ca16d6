/**
 * TI TPS546D24A PMBus buck converter, the core-voltage regulator on Bitaxe-class boards (bm13xx.md §6;
 * ESP-Miner main/power/TPS546.c follows the same sequence).
 *
 * Init (every start, volatile memory only): read IC_DEVICE_ID, OPERATION off, ON_OFF_CONFIG, read
 * VOUT_MODE for the ULINEAR16 exponent, write VIN_ON/VIN_OFF/VIN_OV, VOUT_SCALE_LOOP, VOUT_MIN/MAX,
 * IOUT OC warn/fault (fault response 0xC0: latch off), OT warn/fault (response 0xFF: retry after
 * cooling), switching frequency and TON_RISE, then CLEAR_FAULTS.
 *
 * This driver never writes non-volatile memory: ESP-Miner warns that STORE_USER_ALL can leave the part
 * unrecoverable, so every write goes through `write*`, which refuses the NVM commands outright.
 */
import type { I2cBus } from '../transport/i2c-bus.js';
import { hex2 } from '../transport/i2c-bus.js';
import type { RegulatorLimits, RegulatorTelemetry, VoltageRegulator } from './peripheral.js';
import {
  decodeLinear11,
  decodeUlinear16,
  encodeLinear11,
  encodeUlinear16,
  OPERATION_OFF,
  OPERATION_ON,
  PMBUS,
  PMBUS_NVM_COMMANDS,
  STATUS,
  STATUS_FAULT_MASK,
  statusWordNames,
  voutModeExponent,
} from './pmbus.js';

export const TPS546_ADDRESS = 0x24;

/** IC_DEVICE_ID block: "TITm$A" (TPS546D24A) or "TITm$b" (TPS546D24S) (bm13xx.md §6). */
export const TPS546_DEVICE_IDS: readonly (readonly number[])[] = [
  [0x54, 0x49, 0x54, 0x6d, 0x24, 0x41],
  [0x54, 0x49, 0x54, 0x6d, 0x24, 0x62],
];

/** ON_OFF_CONFIG bits (PMBus Part II §12.2): PU 0x10, CMD 0x08, CP 0x04, POLARITY 0x02, immediate off 0x01. */
export const ON_OFF_CONFIG_WITH_PIN = 0x1f;
export const ON_OFF_CONFIG_COMMAND_ONLY = 0x1b;
/** IOUT_OC_FAULT_RESPONSE 0xC0: shut down and latch off (bm13xx.md §6). */
export const IOUT_OC_RESPONSE_LATCH_OFF = 0xc0;
/** OT_FAULT_RESPONSE 0xFF: shut down, retry after cooling (bm13xx.md §6). */
export const OT_RESPONSE_RETRY = 0xff;
/** TON_RISE 3 ms (ESP-Miner). */
export const TPS546_TON_RISE_MS = 3;

export class Tps546Error extends Error {
  override readonly name = 'Tps546Error';
}

export class Tps546 implements VoltageRegulator {
  readonly address: number;
  private voutMode: number | undefined;
  private limits: RegulatorLimits | undefined;

  constructor(
    private readonly bus: I2cBus,
    readonly id: string,
    address = TPS546_ADDRESS,
  ) {
    this.address = address;
  }

  private guard(command: number): void {
    if (PMBUS_NVM_COMMANDS.has(command)) throw new Tps546Error(`${this.id}: refusing to send ${hex2(command)}: it writes the regulator's non-volatile memory`);
  }
  private async writeByte(command: number, value: number): Promise<void> {
    this.guard(command);
    await this.bus.writeByte(this.address, command, value);
  }
  private async writeWord(command: number, value: number): Promise<void> {
    this.guard(command);
    await this.bus.writeWord(this.address, command, value);
  }
  /** Sends a bare command (CLEAR_FAULTS). Public so tests can prove the NVM guard. */
  async sendCommand(command: number): Promise<void> {
    this.guard(command);
    await this.bus.sendByte(this.address, command);
  }

  async identify(): Promise<void> {
    const id = await this.bus.readBlock(this.address, PMBUS.IC_DEVICE_ID, 6);
    const ok = TPS546_DEVICE_IDS.some((want) => want.length === id.length && want.every((b, i) => id[i] === b));
    if (!ok) throw new Tps546Error(`${this.id}: IC_DEVICE_ID at ${hex2(this.address)} is ${Array.from(id, (b) => b.toString(16).padStart(2, '0')).join(' ')}, not a TPS546D24`);
  }

  private exponentMode(): number {
    if (this.voutMode === undefined) throw new Tps546Error(`${this.id}: init() has not read VOUT_MODE`);
    return this.voutMode;
  }

  async init(limits: RegulatorLimits): Promise<void> {
    await this.identify();
    await this.writeByte(PMBUS.OPERATION, OPERATION_OFF);
    await this.writeByte(PMBUS.ON_OFF_CONFIG, limits.controlPin ? ON_OFF_CONFIG_WITH_PIN : ON_OFF_CONFIG_COMMAND_ONLY);
    const mode = await this.bus.readByte(this.address, PMBUS.VOUT_MODE);
    voutModeExponent(mode); // throws unless linear mode
    this.voutMode = mode;
    await this.writeWord(PMBUS.VIN_ON, encodeLinear11(limits.vinOn));
    await this.writeWord(PMBUS.VIN_OFF, encodeLinear11(limits.vinOff));
    await this.writeWord(PMBUS.VIN_OV_FAULT_LIMIT, encodeLinear11(limits.vinOvFault));
    await this.writeWord(PMBUS.VOUT_SCALE_LOOP, encodeLinear11(limits.voutScaleLoop));
    await this.writeWord(PMBUS.VOUT_MAX, encodeUlinear16(limits.voutMax, mode));
    await this.writeWord(PMBUS.VOUT_MIN, encodeUlinear16(limits.voutMin, mode));
    await this.writeWord(PMBUS.IOUT_OC_WARN_LIMIT, encodeLinear11(limits.ioutOcWarn));
    await this.writeWord(PMBUS.IOUT_OC_FAULT_LIMIT, encodeLinear11(limits.ioutOcFault));
    await this.writeByte(PMBUS.IOUT_OC_FAULT_RESPONSE, IOUT_OC_RESPONSE_LATCH_OFF);
    await this.writeWord(PMBUS.OT_WARN_LIMIT, encodeLinear11(limits.otWarn));
    await this.writeWord(PMBUS.OT_FAULT_LIMIT, encodeLinear11(limits.otFault));
    await this.writeByte(PMBUS.OT_FAULT_RESPONSE, OT_RESPONSE_RETRY);
    await this.writeWord(PMBUS.FREQUENCY_SWITCH, encodeLinear11(limits.switchingKhz));
    await this.writeWord(PMBUS.TON_RISE, encodeLinear11(TPS546_TON_RISE_MS));
    await this.clearFaults();
    this.limits = limits;
  }

  async setVoltage(volts: number): Promise<void> {
    const l = this.limits;
    if (!l) throw new Tps546Error(`${this.id}: init() first`);
    if (!(volts >= l.voutMin && volts <= l.voutMax)) throw new Tps546Error(`${this.id}: ${volts} V is outside VOUT_MIN..VOUT_MAX ${l.voutMin}..${l.voutMax} V`);
    await this.writeWord(PMBUS.VOUT_COMMAND, encodeUlinear16(volts, this.exponentMode()));
  }

  async enable(): Promise<void> {
    await this.writeByte(PMBUS.OPERATION, OPERATION_ON);
  }
  async disable(): Promise<void> {
    await this.writeByte(PMBUS.OPERATION, OPERATION_OFF);
  }
  disableSync(): void {
    this.bus.writeByteSync(this.address, PMBUS.OPERATION, OPERATION_OFF);
  }
  async clearFaults(): Promise<void> {
    await this.sendCommand(PMBUS.CLEAR_FAULTS);
  }

  async readStatusWord(): Promise<number> {
    return this.bus.readWord(this.address, PMBUS.STATUS_WORD);
  }

  async read(): Promise<RegulatorTelemetry> {
    const status = await this.readStatusWord();
    const vin = decodeLinear11(await this.bus.readWord(this.address, PMBUS.READ_VIN));
    const vout = decodeUlinear16(await this.bus.readWord(this.address, PMBUS.READ_VOUT), this.exponentMode());
    const iout = decodeLinear11(await this.bus.readWord(this.address, PMBUS.READ_IOUT));
    const tempC = decodeLinear11(await this.bus.readWord(this.address, PMBUS.READ_TEMPERATURE_1));
    return { off: (status & STATUS.OFF) !== 0, vin, vout, iout, tempC, status, faults: statusWordNames(status & STATUS_FAULT_MASK) };
  }
}
