/**
 * TI TPS546D24A PMBus buck converter, the core-voltage regulator on Bitaxe-class boards
 * (docs/board.md "Values and their sources").
 *
 * Init writes the whole configuration at every start, as ESP-Miner (main/power/TPS546.c TPS546_init and
 * TPS546_write_entire_config @5c27713116c7) and mujina (mujina-miner/src/board/bitaxe.rs
 * init_power_controller, src/peripheral/tps546.rs @1a69ef40f7ec) do, so that no protection is left to
 * whatever the part's NVM holds: a 15 ms power-up wait (PMBus answers after AVIN UVLO + ~8 ms), the
 * IC_DEVICE_ID read retried 6 times 3 ms apart, OPERATION off, ON_OFF_CONFIG, VOUT_MODE read (ULINEAR16
 * exponent; bit 7 says the VOUT limits are ratios of VOUT_COMMAND), then STACK_CONFIG, SYNC_CONFIG, PHASE,
 * FREQUENCY_SWITCH, VIN_ON/OFF, VIN_OV_FAULT_LIMIT and its response (0xB7), VOUT_SCALE_LOOP, VOUT_MAX/MIN,
 * the VOUT OV fault/warn, margin high/low and UV warn/fault limits (1.25, 1.16, 1.10, 0.90, 0.90, 0.75 of
 * VOUT_COMMAND), IOUT OC warn/fault and response 0xC0 (latch off), OT warn/fault and response 0xFF (retry
 * after cooling), TON_DELAY 0, TON_RISE 3 ms, TON_MAX_FAULT_LIMIT 0 with response 0x3B, TOFF_DELAY 0,
 * TOFF_FALL 0, PIN_DETECT_OVERRIDE 0xFFFF, then CLEAR_FAULTS. VIN_UV_WARN_LIMIT stays unwritten on these
 * boards (ESP-Miner and mujina skip it for a TI erratum).
 *
 * This driver never writes non-volatile memory: ESP-Miner warns that STORE_USER_ALL can leave the part
 * unrecoverable, so every write goes through `write*`, which refuses the NVM commands outright.
 */
import { systemClock, type Clock } from '../../src/clock.js';
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
  VOUT_MODE_RELATIVE,
  voutModeExponent,
} from './pmbus.js';

export const TPS546_ADDRESS = 0x24;

/**
 * IC_DEVICE_ID block: "TITm$A" (TPS546D24A) or "TITm$b" (TPS546D24S) (docs/board.md "Values and their
 * sources").
 */
export const TPS546_DEVICE_IDS: readonly (readonly number[])[] = [
  [0x54, 0x49, 0x54, 0x6d, 0x24, 0x41],
  [0x54, 0x49, 0x54, 0x6d, 0x24, 0x62],
];

/** ON_OFF_CONFIG bits (PMBus Part II §12.2): PU 0x10, CMD 0x08, CP 0x04, POLARITY 0x02, immediate off 0x01. */
export const ON_OFF_CONFIG_WITH_PIN = 0x1f;
export const ON_OFF_CONFIG_COMMAND_ONLY = 0x1b;
/** IOUT_OC_FAULT_RESPONSE 0xC0: shut down and latch off (docs/board.md "Values and their sources"). */
export const IOUT_OC_RESPONSE_LATCH_OFF = 0xc0;
/** OT_FAULT_RESPONSE 0xFF: shut down, retry after cooling (docs/board.md "Values and their sources"). */
export const OT_RESPONSE_RETRY = 0xff;
/** TON_RISE 3 ms (ESP-Miner). */
export const TPS546_TON_RISE_MS = 3;
/** VIN_OV_FAULT_RESPONSE 0xB7: shut down, restart up to 6 times after a hiccup, then latch off (ESP-Miner TPS546.h). */
export const VIN_OV_RESPONSE = 0xb7;
/** TON_MAX_FAULT_RESPONSE 0x3B with TON_MAX_FAULT_LIMIT 0 (no limit), as ESP-Miner and mujina. */
export const TON_MAX_RESPONSE = 0x3b;
/** PIN_DETECT_OVERRIDE 0xFFFF: use the pin-strap values, not NVM, at boot (ESP-Miner TPS546.h). */
export const PIN_DETECT_OVERRIDE_PINS = 0xffff;
/** VOUT limits and margins as ratios of VOUT_COMMAND (ESP-Miner TPS546.h, mujina bitaxe.rs). */
export const TPS546_VOUT_RATIOS = Object.freeze({
  ovFault: 1.25,
  ovWarn: 1.16,
  marginHigh: 1.1,
  marginLow: 0.9,
  uvWarn: 0.9,
  uvFault: 0.75,
});
/** ESP-Miner: PMBus is ready after AVIN UVLO + ~8 ms; it waits 15 ms. */
export const TPS546_POWER_UP_WAIT_MS = 15;
/** ESP-Miner: 6 ID attempts, 3 ms apart. */
export const TPS546_ID_ATTEMPTS = 6;
export const TPS546_ID_RETRY_MS = 3;

const VOUT_LIMITS: readonly [command: number, ratio: keyof typeof TPS546_VOUT_RATIOS][] = [
  [PMBUS.VOUT_OV_FAULT_LIMIT, 'ovFault'],
  [PMBUS.VOUT_OV_WARN_LIMIT, 'ovWarn'],
  [PMBUS.VOUT_MARGIN_HIGH, 'marginHigh'],
  [PMBUS.VOUT_MARGIN_LOW, 'marginLow'],
  [PMBUS.VOUT_UV_WARN_LIMIT, 'uvWarn'],
  [PMBUS.VOUT_UV_FAULT_LIMIT, 'uvFault'],
];

export class Tps546Error extends Error {
  override readonly name = 'Tps546Error';
}

export class Tps546 implements VoltageRegulator {
  readonly address: number;
  private voutMode: number | undefined;
  private limits: RegulatorLimits | undefined;
  private vout: number | undefined;

  constructor(
    private readonly bus: I2cBus,
    readonly id: string,
    address = TPS546_ADDRESS,
    private readonly clock: Clock = systemClock,
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
    if (!ok)
      throw new Tps546Error(
        `${this.id}: IC_DEVICE_ID at ${hex2(this.address)} is ${Array.from(id, (b) => b.toString(16).padStart(2, '0')).join(' ')}, not a TPS546D24`,
      );
  }

  /** identify() after the power-up wait, retried: a part just powered may not answer yet. */
  private async identifyAfterPowerUp(): Promise<void> {
    await this.clock.sleep(TPS546_POWER_UP_WAIT_MS);
    let last: unknown;
    for (let attempt = 1; attempt <= TPS546_ID_ATTEMPTS; attempt++) {
      try {
        await this.identify();
        return;
      } catch (err) {
        last = err;
        if (attempt < TPS546_ID_ATTEMPTS) await this.clock.sleep(TPS546_ID_RETRY_MS);
      }
    }
    throw last instanceof Error ? last : new Tps546Error(`${this.id}: no answer at ${hex2(this.address)}`);
  }

  private exponentMode(): number {
    if (this.voutMode === undefined) throw new Tps546Error(`${this.id}: init() has not read VOUT_MODE`);
    return this.voutMode;
  }

  private relative(): boolean {
    return (this.exponentMode() & VOUT_MODE_RELATIVE) !== 0;
  }

  /** The VOUT limits and margins: ratios in relative mode, else the ratios times `vout`. */
  private async writeVoutLimits(vout: number): Promise<void> {
    const mode = this.exponentMode();
    const scale = this.relative() ? 1 : vout;
    for (const [command, ratio] of VOUT_LIMITS) await this.writeWord(command, encodeUlinear16(TPS546_VOUT_RATIOS[ratio] * scale, mode));
  }

  async init(limits: RegulatorLimits): Promise<void> {
    await this.identifyAfterPowerUp();
    await this.writeByte(PMBUS.OPERATION, OPERATION_OFF);
    await this.writeByte(PMBUS.ON_OFF_CONFIG, limits.controlPin ? ON_OFF_CONFIG_WITH_PIN : ON_OFF_CONFIG_COMMAND_ONLY);
    const mode = await this.bus.readByte(this.address, PMBUS.VOUT_MODE);
    voutModeExponent(mode); // throws unless linear mode
    this.voutMode = mode;
    this.vout = undefined;
    await this.writeWord(PMBUS.STACK_CONFIG, limits.stackConfig);
    await this.writeByte(PMBUS.SYNC_CONFIG, limits.syncConfig);
    await this.writeByte(PMBUS.PHASE, limits.phase);
    await this.writeWord(PMBUS.FREQUENCY_SWITCH, encodeLinear11(limits.switchingKhz));
    await this.writeWord(PMBUS.VIN_ON, encodeLinear11(limits.vinOn));
    await this.writeWord(PMBUS.VIN_OFF, encodeLinear11(limits.vinOff));
    await this.writeWord(PMBUS.VIN_OV_FAULT_LIMIT, encodeLinear11(limits.vinOvFault));
    await this.writeByte(PMBUS.VIN_OV_FAULT_RESPONSE, VIN_OV_RESPONSE);
    await this.writeWord(PMBUS.VOUT_SCALE_LOOP, encodeLinear11(limits.voutScaleLoop));
    await this.writeWord(PMBUS.VOUT_MAX, encodeUlinear16(limits.voutMax, mode));
    await this.writeWord(PMBUS.VOUT_MIN, encodeUlinear16(limits.voutMin, mode));
    // In absolute mode the limits follow each set point (setVoltage); until then they bracket VOUT_MIN.
    await this.writeVoutLimits(limits.voutMin);
    await this.writeWord(PMBUS.IOUT_OC_WARN_LIMIT, encodeLinear11(limits.ioutOcWarn));
    await this.writeWord(PMBUS.IOUT_OC_FAULT_LIMIT, encodeLinear11(limits.ioutOcFault));
    await this.writeByte(PMBUS.IOUT_OC_FAULT_RESPONSE, IOUT_OC_RESPONSE_LATCH_OFF);
    await this.writeWord(PMBUS.OT_WARN_LIMIT, encodeLinear11(limits.otWarn));
    await this.writeWord(PMBUS.OT_FAULT_LIMIT, encodeLinear11(limits.otFault));
    await this.writeByte(PMBUS.OT_FAULT_RESPONSE, OT_RESPONSE_RETRY);
    await this.writeWord(PMBUS.TON_DELAY, encodeLinear11(0));
    await this.writeWord(PMBUS.TON_RISE, encodeLinear11(TPS546_TON_RISE_MS));
    await this.writeWord(PMBUS.TON_MAX_FAULT_LIMIT, encodeLinear11(0));
    await this.writeByte(PMBUS.TON_MAX_FAULT_RESPONSE, TON_MAX_RESPONSE);
    await this.writeWord(PMBUS.TOFF_DELAY, encodeLinear11(0));
    await this.writeWord(PMBUS.TOFF_FALL, encodeLinear11(0));
    await this.writeWord(PMBUS.PIN_DETECT_OVERRIDE, PIN_DETECT_OVERRIDE_PINS);
    await this.clearFaults();
    this.limits = limits;
  }

  async setVoltage(volts: number): Promise<void> {
    const l = this.limits;
    if (!l) throw new Tps546Error(`${this.id}: init() first`);
    if (!(volts >= l.voutMin && volts <= l.voutMax)) throw new Tps546Error(`${this.id}: ${volts} V is outside VOUT_MIN..VOUT_MAX ${l.voutMin}..${l.voutMax} V`);
    const command = (): Promise<void> => this.writeWord(PMBUS.VOUT_COMMAND, encodeUlinear16(volts, this.exponentMode()));
    if (this.relative()) return command();
    // Absolute limits: raise them before a higher set point, lower them after a lower one, so that the
    // output never sits outside its own OV/UV window.
    const up = this.vout === undefined || volts >= this.vout;
    if (up) await this.writeVoutLimits(volts);
    await command();
    if (!up) await this.writeVoutLimits(volts);
    this.vout = volts;
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
