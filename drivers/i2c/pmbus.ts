/**
 * PMBus number formats and the command codes and status bits asic-agent uses (PMBus Specification
 * Part II, rev 1.3: §7.3 LINEAR11, §8.3.1 ULINEAR16/VOUT_MODE, §10.3 STATUS_WORD). Pure functions.
 *
 * - LINEAR11 (also "SLINEAR11"): bits 15..11 a 5-bit two's-complement exponent N, bits 10..0 an 11-bit
 *   two's-complement mantissa Y; value = Y × 2^N. Used for VIN, IOUT, temperature, limits, frequency.
 * - ULINEAR16: a 16-bit unsigned mantissa whose exponent lives in VOUT_MODE bits 4..0 (5-bit two's
 *   complement); bits 6..5 = 00 select the linear mode. Used for every VOUT value.
 */

/**
 * PMBus command codes (PMBus Part II Appendix I; the TPS546D24A subset in docs/board.md "Values and their
 * sources", and the ones ESP-Miner main/power/TPS546.c TPS546_write_entire_config @5c27713116c7 writes).
 */
export const PMBUS = {
  OPERATION: 0x01,
  ON_OFF_CONFIG: 0x02,
  CLEAR_FAULTS: 0x03,
  PHASE: 0x04,
  /**
   * Copies the operating memory into non-volatile memory. asic-agent never sends it (docs/board.md "Values
   * and their sources").
   */
  STORE_DEFAULT_ALL: 0x11,
  RESTORE_DEFAULT_ALL: 0x12,
  STORE_USER_ALL: 0x15,
  RESTORE_USER_ALL: 0x16,
  VOUT_MODE: 0x20,
  VOUT_COMMAND: 0x21,
  VOUT_MAX: 0x24,
  VOUT_MARGIN_HIGH: 0x25,
  VOUT_MARGIN_LOW: 0x26,
  VOUT_SCALE_LOOP: 0x29,
  VOUT_MIN: 0x2b,
  FREQUENCY_SWITCH: 0x33,
  VIN_ON: 0x35,
  VIN_OFF: 0x36,
  VOUT_OV_FAULT_LIMIT: 0x40,
  VOUT_OV_WARN_LIMIT: 0x42,
  VOUT_UV_WARN_LIMIT: 0x43,
  VOUT_UV_FAULT_LIMIT: 0x44,
  IOUT_OC_FAULT_LIMIT: 0x46,
  IOUT_OC_FAULT_RESPONSE: 0x47,
  IOUT_OC_WARN_LIMIT: 0x4a,
  OT_FAULT_LIMIT: 0x4f,
  OT_FAULT_RESPONSE: 0x50,
  OT_WARN_LIMIT: 0x51,
  VIN_OV_FAULT_LIMIT: 0x55,
  VIN_OV_FAULT_RESPONSE: 0x56,
  TON_DELAY: 0x60,
  TON_RISE: 0x61,
  TON_MAX_FAULT_LIMIT: 0x62,
  TON_MAX_FAULT_RESPONSE: 0x63,
  TOFF_DELAY: 0x64,
  TOFF_FALL: 0x65,
  STATUS_BYTE: 0x78,
  STATUS_WORD: 0x79,
  STATUS_VOUT: 0x7a,
  STATUS_IOUT: 0x7b,
  STATUS_INPUT: 0x7c,
  STATUS_TEMPERATURE: 0x7d,
  STATUS_CML: 0x7e,
  READ_VIN: 0x88,
  READ_VOUT: 0x8b,
  READ_IOUT: 0x8c,
  READ_TEMPERATURE_1: 0x8d,
  IC_DEVICE_ID: 0xad,
  /** TPS546D24A manufacturer commands (ESP-Miner main/pmbus_commands.h @5c27713116c7). */
  SYNC_CONFIG: 0xe4,
  STACK_CONFIG: 0xec,
  PIN_DETECT_OVERRIDE: 0xee,
} as const;

/** Commands that write non-volatile memory. A driver must refuse them (ESP-Miner: NVM writes can brick the TPS546). */
export const PMBUS_NVM_COMMANDS: ReadonlySet<number> = new Set([PMBUS.STORE_DEFAULT_ALL, PMBUS.STORE_USER_ALL]);

/** OPERATION values (PMBus Part II §12.1): bit 7 ON; 0x00 immediate off. */
export const OPERATION_OFF = 0x00;
export const OPERATION_ON = 0x80;

/** STATUS_WORD bits (PMBus Part II §10.3, §10.4). The low byte is STATUS_BYTE. */
export const STATUS = {
  VOUT: 0x8000,
  IOUT_POUT: 0x4000,
  INPUT: 0x2000,
  MFR: 0x1000,
  /** POWER_GOOD# : set when power is *not* good. */
  POWER_GOOD_N: 0x0800,
  FANS: 0x0400,
  OTHER: 0x0200,
  UNKNOWN: 0x0100,
  BUSY: 0x0080,
  OFF: 0x0040,
  VOUT_OV_FAULT: 0x0020,
  IOUT_OC_FAULT: 0x0010,
  VIN_UV_FAULT: 0x0008,
  TEMPERATURE: 0x0004,
  CML: 0x0002,
  NONE_OF_THE_ABOVE: 0x0001,
} as const;

/**
 * Bits that mean the output is faulted (docs/board.md "Values and their sources": VOUT_OV, IOUT_OC, VIN_UV
 * and TEMP are power faults; the high-byte VOUT / IOUT / INPUT summaries as well). OFF alone is not a
 * fault: it is also what the regulator says when we turned it off.
 */
export const STATUS_FAULT_MASK =
  STATUS.VOUT | STATUS.IOUT_POUT | STATUS.INPUT | STATUS.VOUT_OV_FAULT | STATUS.IOUT_OC_FAULT | STATUS.VIN_UV_FAULT | STATUS.TEMPERATURE;

const STATUS_NAMES: [number, string][] = [
  [STATUS.VOUT, 'VOUT'],
  [STATUS.IOUT_POUT, 'IOUT/POUT'],
  [STATUS.INPUT, 'INPUT'],
  [STATUS.MFR, 'MFR'],
  [STATUS.POWER_GOOD_N, 'POWER_GOOD#'],
  [STATUS.FANS, 'FANS'],
  [STATUS.OTHER, 'OTHER'],
  [STATUS.UNKNOWN, 'UNKNOWN'],
  [STATUS.BUSY, 'BUSY'],
  [STATUS.OFF, 'OFF'],
  [STATUS.VOUT_OV_FAULT, 'VOUT_OV_FAULT'],
  [STATUS.IOUT_OC_FAULT, 'IOUT_OC_FAULT'],
  [STATUS.VIN_UV_FAULT, 'VIN_UV_FAULT'],
  [STATUS.TEMPERATURE, 'TEMPERATURE'],
  [STATUS.CML, 'CML'],
  [STATUS.NONE_OF_THE_ABOVE, 'NONE_OF_THE_ABOVE'],
];

/** Names of the bits set in a STATUS_WORD, most significant first. */
export function statusWordNames(word: number): string[] {
  return STATUS_NAMES.filter(([bit]) => (word & bit) !== 0).map(([, name]) => name);
}

export class PmbusEncodingError extends RangeError {
  override readonly name = 'PmbusEncodingError';
}

function signExtend(v: number, bits: number): number {
  const sign = 1 << (bits - 1);
  return (v & (sign - 1)) - (v & sign);
}

/** LINEAR11 word → value. */
export function decodeLinear11(raw: number): number {
  const n = signExtend((raw >> 11) & 0x1f, 5);
  const y = signExtend(raw & 0x7ff, 11);
  return y * 2 ** n;
}

/**
 * Value → LINEAR11 word, with the smallest exponent whose mantissa still fits (the finest resolution).
 * Rounds to nearest. Throws PmbusEncodingError for values beyond ±1023 × 2^15 or non-finite input.
 */
export function encodeLinear11(value: number): number {
  if (!Number.isFinite(value)) throw new PmbusEncodingError(`LINEAR11 cannot encode ${value}`);
  for (let n = -16; n <= 15; n++) {
    const y = Math.round(value / 2 ** n);
    if (y >= -1024 && y <= 1023) return (((n & 0x1f) << 11) | (y & 0x7ff)) >>> 0;
  }
  throw new PmbusEncodingError(`LINEAR11 cannot encode ${value}: beyond ±1023 × 2^15`);
}

/** VOUT_MODE bit 7: the VOUT limit and margin commands are ratios of VOUT_COMMAND (TPS546D24A). */
export const VOUT_MODE_RELATIVE = 0x80;

/** The exponent carried in VOUT_MODE bits 4..0. Throws if the mode is not linear (bits 6..5 ≠ 00). */
export function voutModeExponent(voutMode: number): number {
  const mode = (voutMode >> 5) & 0x03;
  if (mode !== 0) throw new PmbusEncodingError(`VOUT_MODE 0x${voutMode.toString(16)} is not the linear mode (mode bits ${mode})`);
  return signExtend(voutMode & 0x1f, 5);
}

/** ULINEAR16 word → volts, given VOUT_MODE. */
export function decodeUlinear16(raw: number, voutMode: number): number {
  return (raw & 0xffff) * 2 ** voutModeExponent(voutMode);
}

/** Volts → ULINEAR16 word, given VOUT_MODE. Rounds to nearest; throws when the value does not fit. */
export function encodeUlinear16(volts: number, voutMode: number): number {
  const y = Math.round(volts / 2 ** voutModeExponent(voutMode));
  if (!Number.isFinite(volts) || y < 0 || y > 0xffff)
    throw new PmbusEncodingError(`ULINEAR16 cannot encode ${volts} V with VOUT_MODE 0x${voutMode.toString(16)}`);
  return y;
}
