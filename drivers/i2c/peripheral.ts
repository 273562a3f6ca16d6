/**
 * What the board needs from its peripheral ICs, independent of which IC provides it. Each driver in
 * drivers/i2c exposes some of these; the board (src/board) composes them and never sees a register.
 */

/**
 * Where a temperature is measured, which decides the limits it is held to:
 * - `chip`: an ASIC's own diode (EMC2101 external diode on a Bitaxe);
 * - `board`: a sensor on the hashboard near the chips (TMP1075);
 * - `vr`: the core-voltage regulator (TPS546 READ_TEMPERATURE_1), held to the board-config's VR limits;
 * - `ambient`: informational (a fan controller's own die), never used to stop the board.
 */
export type TemperatureKind = 'chip' | 'board' | 'vr' | 'ambient';

export interface TemperatureReading {
  /** Degrees Celsius. */
  c: number;
  /** The raw register value, so a stuck sensor (bit-identical for minutes) can be told from a steady one. */
  raw: number;
}

export interface TemperatureSensor {
  readonly id: string;
  readonly kind: TemperatureKind;
  /** A diode on an ASIC's die: its first readings after the chip leaves reset are not to be trusted. */
  readonly diode?: boolean;
  read(): Promise<TemperatureReading>;
}

/** A sensor that answered but reported that it cannot measure (EMC2101 open/short diode). */
export class SensorFaultError extends Error {
  override readonly name = 'SensorFaultError';
}

export interface FanChannel {
  readonly id: string;
  /** Duty cycle 0..100 %. */
  setDuty(percent: number): Promise<void>;
  /** Same, synchronously, for the last-resort path on process exit. */
  setDutySync(percent: number): void;
  /** Revolutions per minute from the tachometer; 0 when the controller reports a stalled fan. */
  readRpm(): Promise<number>;
}

export interface RegulatorTelemetry {
  /** Whether the regulator says its output is off (STATUS_WORD OFF bit). */
  off: boolean;
  vin: number;
  vout: number;
  iout: number;
  tempC: number;
  /** Raw status (STATUS_WORD for PMBus parts). */
  status: number;
  /** Names of the fault bits set, empty when healthy. */
  faults: string[];
}

/** The settings a regulator is configured with at every start (volatile memory only, never NVM). */
export interface RegulatorLimits {
  voutMin: number;
  voutMax: number;
  vinOn: number;
  vinOff: number;
  vinOvFault: number;
  ioutOcWarn: number;
  ioutOcFault: number;
  otWarn: number;
  otFault: number;
  switchingKhz: number;
  voutScaleLoop: number;
  /** Whether the regulator's CONTROL pin is wired to the board's power-enable line. */
  controlPin: boolean;
  /** TPS546 STACK_CONFIG (0x0000: one module), SYNC_CONFIG (0x10: no SYNC) and PHASE (0x00: single phase). */
  stackConfig: number;
  syncConfig: number;
  phase: number;
}

/** A core-voltage regulator that can be switched and read back (TPS546D24A). */
export interface VoltageRegulator {
  readonly id: string;
  /** Identifies the part, turns the output off, and writes the limits. */
  init(limits: RegulatorLimits): Promise<void>;
  /** Sets the output voltage (volts at the regulator output); does not switch it on. */
  setVoltage(volts: number): Promise<void>;
  enable(): Promise<void>;
  disable(): Promise<void>;
  disableSync(): void;
  clearFaults(): Promise<void>;
  read(): Promise<RegulatorTelemetry>;
}

/** A voltage trim without switching or telemetry (DS4432U on an external buck's feedback node). */
export interface VoltageTrim {
  readonly id: string;
  setVoltage(volts: number): Promise<void>;
}

export interface PowerReading {
  volts: number;
  amps: number;
  watts: number;
}

export interface PowerMonitor {
  readonly id: string;
  read(): Promise<PowerReading>;
}
