/**
 * Register-level TPS546D24A model. It keeps the PMBus command set the driver uses, answers in LINEAR11 /
 * ULINEAR16 exactly as the part does, reports what it was told (READ_VOUT = VOUT_COMMAND while on), and
 * enforces its own limits the way the silicon would: IOUT above IOUT_OC_FAULT_LIMIT latches the output
 * off (response 0xC0), a temperature above OT_FAULT_LIMIT switches it off until it cools below
 * OT_WARN_LIMIT. Unsupported commands and wrong lengths are NACKed and set CML, as a PMBus part does.
 * Writes to the NVM commands are accepted but counted, so tests can prove the driver never sends one.
 *
 * It starts from the NVM of a part set up for another board (TPS546_SIM_NVM: a two-module stack, SYNC
 * auto-detect, all phases, a tight VOUT over-voltage limit, other timing), so every register a driver
 * leaves unwritten keeps a value that differs from the board-config, and some of them show: a STACK_CONFIG
 * that expects a stack partner keeps the output off, the NVM's VOUT over-voltage ratio trips on a small
 * drift. PMBus answers only ~10 ms after power-up (ESP-Miner TPS546.c: "PMBus ready after AVIN UVLO +
 * ~8 ms"), so a driver that does not wait and retry the ID read fails.
 */
import {
  decodeLinear11,
  decodeUlinear16,
  encodeLinear11,
  encodeUlinear16,
  OPERATION_ON,
  PMBUS,
  STATUS,
  VOUT_MODE_RELATIVE,
  voutModeExponent,
} from '../../drivers/i2c/pmbus.js';
import { TPS546_DEVICE_IDS } from '../../drivers/i2c/tps546.js';
import type { SimI2cDevice } from './sim-i2c-bus.js';
import { SimNack } from './sim-i2c-bus.js';

export interface Tps546Environment {
  update(): void;
  vin(): number;
  /** The CONTROL pin (the board's power-enable line); true when the pin is not wired. */
  controlPin(): boolean;
  /** Output current the load draws at `volts`. */
  loadAmps(volts: number): number;
  temperatureC(): number;
  onChange?(): void;
  /** The board's clock (ms): PMBus answers TPS546_SIM_READY_MS after the part was created. */
  now?(): number;
}

/** PMBus is silent this long after power-up. */
export const TPS546_SIM_READY_MS = 10;

type Kind = 'byte' | 'word' | 'send' | 'block';
const ON_OFF_PU = 0x10;
const ON_OFF_CMD = 0x08;
const ON_OFF_CP = 0x04;

/**
 * VOUT_MODE 0x97: exponent −9 (1.953 mV steps), linear mode, bit 7 (relative limits) set. The TPS546
 * takes its VOUT OV/UV limits as ratios of VOUT_COMMAND, which is why ESP-Miner writes them as factors.
 */
export const TPS546_SIM_VOUT_MODE = 0x97;

const COMMANDS: Record<number, { kind: Kind; readOnly?: boolean }> = {
  [PMBUS.OPERATION]: { kind: 'byte' },
  [PMBUS.ON_OFF_CONFIG]: { kind: 'byte' },
  [PMBUS.CLEAR_FAULTS]: { kind: 'send' },
  [PMBUS.STORE_DEFAULT_ALL]: { kind: 'send' },
  [PMBUS.RESTORE_DEFAULT_ALL]: { kind: 'send' },
  [PMBUS.STORE_USER_ALL]: { kind: 'send' },
  [PMBUS.RESTORE_USER_ALL]: { kind: 'send' },
  [PMBUS.VOUT_MODE]: { kind: 'byte', readOnly: true },
  [PMBUS.VOUT_COMMAND]: { kind: 'word' },
  [PMBUS.VOUT_MAX]: { kind: 'word' },
  [PMBUS.VOUT_SCALE_LOOP]: { kind: 'word' },
  [PMBUS.VOUT_MIN]: { kind: 'word' },
  [PMBUS.FREQUENCY_SWITCH]: { kind: 'word' },
  [PMBUS.VIN_ON]: { kind: 'word' },
  [PMBUS.VIN_OFF]: { kind: 'word' },
  [PMBUS.IOUT_OC_FAULT_LIMIT]: { kind: 'word' },
  [PMBUS.IOUT_OC_FAULT_RESPONSE]: { kind: 'byte' },
  [PMBUS.IOUT_OC_WARN_LIMIT]: { kind: 'word' },
  [PMBUS.OT_FAULT_LIMIT]: { kind: 'word' },
  [PMBUS.OT_FAULT_RESPONSE]: { kind: 'byte' },
  [PMBUS.OT_WARN_LIMIT]: { kind: 'word' },
  [PMBUS.VIN_OV_FAULT_LIMIT]: { kind: 'word' },
  [PMBUS.TON_RISE]: { kind: 'word' },
  [PMBUS.STATUS_BYTE]: { kind: 'byte', readOnly: true },
  [PMBUS.STATUS_WORD]: { kind: 'word', readOnly: true },
  [PMBUS.READ_VIN]: { kind: 'word', readOnly: true },
  [PMBUS.READ_VOUT]: { kind: 'word', readOnly: true },
  [PMBUS.READ_IOUT]: { kind: 'word', readOnly: true },
  [PMBUS.READ_TEMPERATURE_1]: { kind: 'word', readOnly: true },
  [PMBUS.IC_DEVICE_ID]: { kind: 'block', readOnly: true },
  [PMBUS.PHASE]: { kind: 'byte' },
  [PMBUS.VOUT_MARGIN_HIGH]: { kind: 'word' },
  [PMBUS.VOUT_MARGIN_LOW]: { kind: 'word' },
  [PMBUS.VOUT_OV_FAULT_LIMIT]: { kind: 'word' },
  [PMBUS.VOUT_OV_WARN_LIMIT]: { kind: 'word' },
  [PMBUS.VOUT_UV_WARN_LIMIT]: { kind: 'word' },
  [PMBUS.VOUT_UV_FAULT_LIMIT]: { kind: 'word' },
  [PMBUS.VIN_OV_FAULT_RESPONSE]: { kind: 'byte' },
  [PMBUS.TON_DELAY]: { kind: 'word' },
  [PMBUS.TON_MAX_FAULT_LIMIT]: { kind: 'word' },
  [PMBUS.TON_MAX_FAULT_RESPONSE]: { kind: 'byte' },
  [PMBUS.TOFF_DELAY]: { kind: 'word' },
  [PMBUS.TOFF_FALL]: { kind: 'word' },
  [PMBUS.SYNC_CONFIG]: { kind: 'byte' },
  [PMBUS.STACK_CONFIG]: { kind: 'word' },
  [PMBUS.PIN_DETECT_OVERRIDE]: { kind: 'word' },
};

const ulin = (v: number): number => encodeUlinear16(v, TPS546_SIM_VOUT_MODE);

/** What the simulated part holds at power-up: the NVM of a part configured for another board. */
export const TPS546_SIM_NVM: Readonly<Record<number, number>> = Object.freeze({
  [PMBUS.OPERATION]: 0x00,
  [PMBUS.ON_OFF_CONFIG]: 0x1f,
  [PMBUS.VOUT_MODE]: TPS546_SIM_VOUT_MODE,
  [PMBUS.VOUT_COMMAND]: ulin(1.0),
  [PMBUS.VOUT_MAX]: ulin(5.5),
  [PMBUS.VOUT_MIN]: ulin(0.5),
  [PMBUS.VOUT_SCALE_LOOP]: encodeLinear11(0.5),
  [PMBUS.FREQUENCY_SWITCH]: encodeLinear11(550),
  [PMBUS.VIN_ON]: encodeLinear11(4.25),
  [PMBUS.VIN_OFF]: encodeLinear11(4.0),
  [PMBUS.VIN_OV_FAULT_LIMIT]: encodeLinear11(16),
  [PMBUS.VIN_OV_FAULT_RESPONSE]: 0xc0,
  [PMBUS.IOUT_OC_FAULT_LIMIT]: encodeLinear11(62),
  [PMBUS.IOUT_OC_FAULT_RESPONSE]: 0x80,
  [PMBUS.IOUT_OC_WARN_LIMIT]: encodeLinear11(54),
  [PMBUS.OT_FAULT_LIMIT]: encodeLinear11(150),
  [PMBUS.OT_FAULT_RESPONSE]: 0xc0,
  [PMBUS.OT_WARN_LIMIT]: encodeLinear11(125),
  [PMBUS.VOUT_OV_FAULT_LIMIT]: ulin(1.1),
  [PMBUS.VOUT_OV_WARN_LIMIT]: ulin(1.05),
  [PMBUS.VOUT_MARGIN_HIGH]: ulin(1.05),
  [PMBUS.VOUT_MARGIN_LOW]: ulin(0.95),
  [PMBUS.VOUT_UV_WARN_LIMIT]: ulin(0.95),
  [PMBUS.VOUT_UV_FAULT_LIMIT]: ulin(0.9),
  [PMBUS.TON_DELAY]: encodeLinear11(5),
  [PMBUS.TON_RISE]: encodeLinear11(10),
  [PMBUS.TON_MAX_FAULT_LIMIT]: encodeLinear11(15),
  [PMBUS.TON_MAX_FAULT_RESPONSE]: 0xb8,
  [PMBUS.TOFF_DELAY]: encodeLinear11(5),
  [PMBUS.TOFF_FALL]: encodeLinear11(10),
  [PMBUS.PHASE]: 0xff,
  [PMBUS.STACK_CONFIG]: 0x0001,
  [PMBUS.SYNC_CONFIG]: 0xd0,
  [PMBUS.PIN_DETECT_OVERRIDE]: 0x0000,
});

export class Tps546Sim implements SimI2cDevice {
  private readonly values = new Map<number, number>();
  /** Latched STATUS_WORD fault bits. */
  private latched = 0;
  /** Over-temperature shutdown in progress (clears itself below OT_WARN_LIMIT). */
  private otShutdown = false;
  private cml = false;
  private lastOn = false;
  /** Count of STORE_DEFAULT_ALL / STORE_USER_ALL received. */
  nvmWrites = 0;
  /** Every command written, in order (for tests). */
  readonly writes: { command: number; data: number[] }[] = [];
  /** Injected: READ_VOUT reports VOUT_COMMAND × this factor (a drifting output). */
  voutDrift = 1;
  /** Injected: extra amps on READ_IOUT (a load fault the part itself does not trip on). */
  extraAmps = 0;
  nack = false;

  private readonly bornAt: number | undefined;

  constructor(private readonly env: Tps546Environment) {
    for (const [cmd, v] of Object.entries(TPS546_SIM_NVM)) this.values.set(Number(cmd), v);
    this.bornAt = env.now?.();
  }

  /** The value a command holds now (for tests: what the driver left there). */
  register(command: number): number | undefined {
    return this.values.get(command);
  }

  private ready(): boolean {
    const now = this.env.now?.();
    return now === undefined || this.bornAt === undefined || now - this.bornAt >= TPS546_SIM_READY_MS;
  }

  private l11(cmd: number): number {
    return decodeLinear11(this.values.get(cmd) ?? 0);
  }
  private exp(): number {
    return 2 ** voutModeExponent(TPS546_SIM_VOUT_MODE);
  }
  private commandedVolts(): number {
    const v = (this.values.get(PMBUS.VOUT_COMMAND) ?? 0) * this.exp();
    const max = (this.values.get(PMBUS.VOUT_MAX) ?? 0xffff) * this.exp();
    return Math.min(v, max);
  }

  /** Whether the output is switched on (no physics update; see `outputOn`). */
  private computeOn(): boolean {
    const cfg = this.values.get(PMBUS.ON_OFF_CONFIG) ?? 0x1f;
    if (this.latched !== 0 || this.otShutdown) return false;
    // STACK_CONFIG other than 0: the part waits for stack partners a single-module board does not have.
    if ((this.values.get(PMBUS.STACK_CONFIG) ?? 0) !== 0) return false;
    if (this.env.vin() < this.l11(PMBUS.VIN_ON)) return false;
    if (!(cfg & ON_OFF_PU)) return true;
    const cmdOk = !(cfg & ON_OFF_CMD) || ((this.values.get(PMBUS.OPERATION) ?? 0) & OPERATION_ON) !== 0;
    const pinOk = !(cfg & ON_OFF_CP) || this.env.controlPin();
    return cmdOk && pinOk;
  }

  /** Output state as the physics sees it. */
  outputOn(): boolean {
    return this.computeOn();
  }
  /** Output voltage actually delivered. */
  outputVolts(): number {
    return this.computeOn() ? this.commandedVolts() : 0;
  }
  /** The OPERATION register (what the host asked for). */
  operation(): number {
    return this.values.get(PMBUS.OPERATION) ?? 0;
  }

  /** Re-evaluates the part's own protections; called by the board model after each physics step. */
  protect(): void {
    const on = this.computeOn();
    if (on) {
      const amps = this.env.loadAmps(this.commandedVolts());
      if (amps > this.l11(PMBUS.IOUT_OC_FAULT_LIMIT)) this.latched |= STATUS.IOUT_POUT | STATUS.IOUT_OC_FAULT;
      // VOUT over-voltage: with VOUT_MODE bit 7 the limit is a ratio of VOUT_COMMAND.
      const ov = decodeUlinear16(this.values.get(PMBUS.VOUT_OV_FAULT_LIMIT) ?? 0xffff, TPS546_SIM_VOUT_MODE);
      const limit = (TPS546_SIM_VOUT_MODE & VOUT_MODE_RELATIVE) !== 0 ? ov * this.commandedVolts() : ov;
      if (this.commandedVolts() * this.voutDrift > limit) this.latched |= STATUS.VOUT | STATUS.VOUT_OV_FAULT;
    }
    const t = this.env.temperatureC();
    if (t > this.l11(PMBUS.OT_FAULT_LIMIT)) this.otShutdown = true;
    else if (this.otShutdown && t < this.l11(PMBUS.OT_WARN_LIMIT)) this.otShutdown = false;
    this.notifyIfChanged();
  }

  /** Injects an output fault: IOUT over-current, latched off (as response 0xC0 does). */
  injectOvercurrentFault(): void {
    this.latched |= STATUS.IOUT_POUT | STATUS.IOUT_OC_FAULT;
    this.notifyIfChanged();
  }

  private notifyIfChanged(): void {
    const on = this.computeOn();
    if (on !== this.lastOn) {
      this.lastOn = on;
      this.env.onChange?.();
    }
  }

  statusWord(): number {
    let w = this.latched;
    if (this.otShutdown) w |= STATUS.TEMPERATURE;
    if (this.env.vin() < this.l11(PMBUS.VIN_OFF)) w |= STATUS.INPUT | STATUS.VIN_UV_FAULT;
    if (this.cml) w |= STATUS.CML;
    if (!this.computeOn()) w |= STATUS.OFF | STATUS.POWER_GOOD_N;
    return w;
  }

  private readValue(cmd: number): number {
    switch (cmd) {
      case PMBUS.STATUS_WORD:
        return this.statusWord();
      case PMBUS.STATUS_BYTE:
        return this.statusWord() & 0xff;
      case PMBUS.READ_VIN:
        return encodeLinear11(this.env.vin());
      case PMBUS.READ_VOUT: {
        const v = this.computeOn() ? this.commandedVolts() * this.voutDrift : 0;
        return Math.min(0xffff, Math.round(v / this.exp()));
      }
      case PMBUS.READ_IOUT: {
        const a = this.computeOn() ? this.env.loadAmps(this.commandedVolts()) + this.extraAmps : 0;
        return encodeLinear11(a);
      }
      case PMBUS.READ_TEMPERATURE_1:
        return encodeLinear11(Math.round(this.env.temperatureC() * 4) / 4);
      default:
        return this.values.get(cmd) ?? 0;
    }
  }

  private refuse(why: string): never {
    this.cml = true;
    throw new SimNack(`TPS546 ${why}`);
  }

  read(command: number, length: number): Uint8Array {
    if (this.nack) throw new SimNack('TPS546 not answering');
    if (!this.ready()) throw new SimNack(`TPS546 PMBus not ready (${TPS546_SIM_READY_MS} ms after power-up)`);
    this.env.update();
    const spec = COMMANDS[command];
    if (!spec || spec.kind === 'send') this.refuse(`cannot read command 0x${command.toString(16)}`);
    const out = new Uint8Array(length);
    if (spec.kind === 'block') {
      const id = TPS546_DEVICE_IDS[0] ?? [];
      out[0] = id.length;
      id.forEach((b, i) => {
        if (i + 1 < length) out[i + 1] = b;
      });
      return out;
    }
    const v = this.readValue(command);
    out[0] = v & 0xff;
    if (length > 1 && spec.kind === 'word') out[1] = (v >> 8) & 0xff;
    return out;
  }

  write(command: number, data: Uint8Array): void {
    if (this.nack) throw new SimNack('TPS546 not answering');
    if (!this.ready()) throw new SimNack(`TPS546 PMBus not ready (${TPS546_SIM_READY_MS} ms after power-up)`);
    this.env.update();
    const spec = COMMANDS[command];
    if (!spec) this.refuse(`does not support command 0x${command.toString(16)}`);
    if (spec.readOnly) this.refuse(`command 0x${command.toString(16)} is read-only`);
    const want = spec.kind === 'byte' ? 1 : spec.kind === 'word' ? 2 : 0;
    if (data.length !== want) this.refuse(`command 0x${command.toString(16)} takes ${want} data bytes, got ${data.length}`);
    this.writes.push({ command, data: Array.from(data) });
    if (spec.kind === 'send') {
      if (command === PMBUS.CLEAR_FAULTS) {
        this.latched = 0;
        this.cml = false;
      } else if (command === PMBUS.STORE_DEFAULT_ALL || command === PMBUS.STORE_USER_ALL) {
        this.nvmWrites++;
      }
    } else {
      this.values.set(command, spec.kind === 'byte' ? (data[0] ?? 0) : (data[0] ?? 0) | ((data[1] ?? 0) << 8));
    }
    this.notifyIfChanged();
    if (command === PMBUS.VOUT_COMMAND || command === PMBUS.OPERATION) this.env.onChange?.();
  }
}
