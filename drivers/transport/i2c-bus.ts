/**
 * The I2C/SMBus transport every peripheral driver talks to (architecture principle 2). The Linux backend
 * (`linux-i2c-bus.ts`, over the `i2c-bus` addon) and the simulator (`workshop/sim/sim-i2c-bus.ts`) both
 * implement it, so a driver never knows which one it has.
 *
 * Byte order: SMBus words travel least significant byte first (SMBus 3.1 §6.5.5), so `readWord` /
 * `writeWord` return and take the value in host order. Devices whose registers are big-endian (INA260,
 * TMP1075) are read with `readI2cBlock(address, register, 2)` and decoded by the driver.
 *
 * The async methods are the normal path. The `*Sync` methods exist for one job only: the last-resort
 * power cut in `process.on('exit')`, where no promise will ever run again.
 */

/** A failed transfer: NACK, arbitration loss, adapter error. Carries the address and command byte. */
export class I2cError extends Error {
  override readonly name: string = 'I2cError';
  constructor(
    message: string,
    readonly address: number,
    readonly command: number | undefined,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A transfer that did not complete in time (a stuck bus, a device holding SCL low). */
export class I2cTimeoutError extends I2cError {
  override readonly name = 'I2cTimeoutError';
}

export interface I2cBus {
  /** Human-readable name for logs: `/dev/i2c-1` or `sim-i2c`. */
  readonly name: string;
  /** SMBus read byte: write `command`, repeated start, read one byte. */
  readByte(address: number, command: number): Promise<number>;
  /** SMBus write byte: `command`, then `value`. */
  writeByte(address: number, command: number, value: number): Promise<void>;
  /** SMBus read word (two bytes, LSB first on the wire), returned as 0..0xffff. */
  readWord(address: number, command: number): Promise<number>;
  /** SMBus write word (LSB first on the wire). */
  writeWord(address: number, command: number, value: number): Promise<void>;
  /** SMBus send byte: just the command byte (PMBus CLEAR_FAULTS). */
  sendByte(address: number, command: number): Promise<void>;
  /**
   * SMBus block read: the device answers a count byte, then that many bytes (SMBus 3.1 §6.5.7). Returns
   * the data without the count. `maxLength` (≤ 31) bounds the read for adapters that cannot do a true
   * block read and must read count + data as one I2C block.
   */
  readBlock(address: number, command: number, maxLength: number): Promise<Uint8Array>;
  /** SMBus block write: command, count byte, data (≤ 32 bytes). */
  writeBlock(address: number, command: number, data: Uint8Array): Promise<void>;
  /** I2C block read with no count byte: write `command`, repeated start, read exactly `length` bytes. */
  readI2cBlock(address: number, command: number, length: number): Promise<Uint8Array>;
  /** I2C block write with no count byte: `command` then `data`. */
  writeI2cBlock(address: number, command: number, data: Uint8Array): Promise<void>;
  /** Plain I2C read of `length` bytes (no command byte: the device's current register pointer). */
  i2cRead(address: number, length: number): Promise<Uint8Array>;
  /** Plain I2C write of raw bytes. */
  i2cWrite(address: number, data: Uint8Array): Promise<void>;
  /** Synchronous SMBus write byte, for the last-resort power cut on process exit only. */
  writeByteSync(address: number, command: number, value: number): void;
  close(): Promise<void>;
}

/** SMBus 3.1 §6.5.7: a block carries at most 32 data bytes. */
export const SMBUS_BLOCK_MAX = 32;

/** Throws a RangeError for an address outside the 7-bit range or a byte outside 0..255. */
export function checkAddress(address: number): void {
  // 7-bit addressing; 0x00-0x07 and 0x78-0x7f are reserved (I2C-bus specification UM10204 §3.1.12).
  if (!Number.isInteger(address) || address < 0x08 || address > 0x77) {
    throw new RangeError(`I2C address ${String(address)} is outside 0x08..0x77`);
  }
}

export function checkByte(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${what} ${String(v)} is not a byte`);
}

export function checkWord(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${what} ${String(v)} is not a 16-bit word`);
}

export function hex2(v: number): string {
  return `0x${v.toString(16).padStart(2, '0')}`;
}
