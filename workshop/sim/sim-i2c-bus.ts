/**
 * A simulated I2C bus: devices are register-level models (workshop/sim/*-sim.ts) attached at addresses,
 * and every SMBus/I2C transfer is turned into the byte stream the real device would see, so the drivers
 * are tested against their wire format, byte order included.
 *
 * A device sees two things: `write(command, data)` (the command byte, then the data bytes of a write
 * transaction) and `read(command, length)` (a write of the command byte, repeated start, `length` bytes
 * read). SMBus words are LSB first and a block read starts with the count byte, exactly as on the wire.
 *
 * Faults: a missing address or a device that throws SimNack answers NACK (I2cError EREMOTEIO, what the
 * Linux i2c-bcm2835 driver reports); `setTimeoutFault(ms)` makes every transfer hang for `ms` on the
 * clock and fail with I2cTimeoutError, as a bus held low by a wedged device does.
 */
import type { Clock } from '../../src/clock.js';
import { checkAddress, checkByte, checkWord, hex2, I2cError, I2cTimeoutError, SMBUS_BLOCK_MAX, type I2cBus } from '../../drivers/transport/i2c-bus.js';

export interface SimI2cDevice {
  /** A write transaction: command byte, then data (empty for SMBus send byte). */
  write(command: number, data: Uint8Array): void;
  /** A read after writing `command`: exactly `length` bytes. */
  read(command: number, length: number): Uint8Array;
  /** A read with no command byte (the device's current pointer). */
  readCurrent?(length: number): Uint8Array;
}

/** Thrown by a simulated device to refuse a transfer (no ACK). */
export class SimNack extends Error {
  override readonly name = 'SimNack';
}

export interface SimI2cStats {
  transfers: number;
  nacks: number;
  timeouts: number;
}

export class SimI2cBus implements I2cBus {
  readonly name: string;
  private readonly devices = new Map<number, SimI2cDevice>();
  private timeoutMs: number | undefined;
  readonly stats: SimI2cStats = { transfers: 0, nacks: 0, timeouts: 0 };
  private closed = false;

  constructor(
    private readonly clock: Clock,
    name = 'sim-i2c',
  ) {
    this.name = name;
  }

  attach(address: number, device: SimI2cDevice): void {
    checkAddress(address);
    if (this.devices.has(address)) throw new Error(`two simulated devices at ${hex2(address)}`);
    this.devices.set(address, device);
  }

  /** The simulated device at `address` (tests look at its registers). */
  deviceAt(address: number): SimI2cDevice | undefined {
    return this.devices.get(address);
  }

  /** Every transfer hangs for `ms` (on the clock) and then fails; `undefined` clears the fault. */
  setTimeoutFault(ms: number | undefined): void {
    this.timeoutMs = ms;
  }

  private device(address: number, command: number | undefined): SimI2cDevice {
    checkAddress(address);
    const dev = this.devices.get(address);
    if (!dev) {
      this.stats.nacks++;
      throw new I2cError(`${this.name}: no device at ${hex2(address)} (NACK)`, address, command, 'EREMOTEIO');
    }
    return dev;
  }

  private run<T>(what: string, address: number, command: number | undefined, op: (dev: SimI2cDevice) => T): T {
    if (this.closed) throw new I2cError(`${this.name} is closed`, address, command, 'EBADF');
    this.stats.transfers++;
    const dev = this.device(address, command);
    try {
      return op(dev);
    } catch (err) {
      if (err instanceof SimNack) {
        this.stats.nacks++;
        throw new I2cError(
          `${this.name} ${what} at ${hex2(address)}${command === undefined ? '' : ` cmd ${hex2(command)}`}: ${err.message} (NACK)`,
          address,
          command,
          'EREMOTEIO',
          { cause: err },
        );
      }
      throw err;
    }
  }

  private async transfer<T>(what: string, address: number, command: number | undefined, op: (dev: SimI2cDevice) => T): Promise<T> {
    const hang = this.timeoutMs;
    if (hang !== undefined) {
      this.stats.timeouts++;
      await this.clock.sleep(hang);
      throw new I2cTimeoutError(`${this.name} ${what} at ${hex2(address)}: bus timeout after ${hang} ms`, address, command, 'ETIMEDOUT');
    }
    return this.run(what, address, command, op);
  }

  async readByte(address: number, command: number): Promise<number> {
    return this.transfer('read byte', address, command, (d) => d.read(command, 1)[0] ?? 0);
  }
  async writeByte(address: number, command: number, value: number): Promise<void> {
    checkByte('value', value);
    return this.transfer('write byte', address, command, (d) => d.write(command, Uint8Array.of(value)));
  }
  async readWord(address: number, command: number): Promise<number> {
    return this.transfer('read word', address, command, (d) => {
      const b = d.read(command, 2);
      return (b[0] ?? 0) | ((b[1] ?? 0) << 8);
    });
  }
  async writeWord(address: number, command: number, value: number): Promise<void> {
    checkWord('value', value);
    return this.transfer('write word', address, command, (d) => d.write(command, Uint8Array.of(value & 0xff, value >> 8)));
  }
  async sendByte(address: number, command: number): Promise<void> {
    return this.transfer('send byte', address, command, (d) => d.write(command, new Uint8Array(0)));
  }
  async readBlock(address: number, command: number, maxLength: number): Promise<Uint8Array> {
    return this.transfer('block read', address, command, (d) => {
      const b = d.read(command, SMBUS_BLOCK_MAX + 1);
      const count = b[0] ?? 0;
      if (count > maxLength)
        throw new I2cError(`${this.name} block read at ${hex2(address)} cmd ${hex2(command)}: count ${count} exceeds ${maxLength}`, address, command, 'EPROTO');
      return b.slice(1, 1 + count);
    });
  }
  async writeBlock(address: number, command: number, data: Uint8Array): Promise<void> {
    if (data.length > SMBUS_BLOCK_MAX) throw new RangeError(`block of ${data.length} bytes is too long`);
    const buf = new Uint8Array(data.length + 1);
    buf[0] = data.length;
    buf.set(data, 1);
    return this.transfer('block write', address, command, (d) => d.write(command, buf));
  }
  async readI2cBlock(address: number, command: number, length: number): Promise<Uint8Array> {
    return this.transfer('i2c block read', address, command, (d) => d.read(command, length).slice(0, length));
  }
  async writeI2cBlock(address: number, command: number, data: Uint8Array): Promise<void> {
    return this.transfer('i2c block write', address, command, (d) => d.write(command, data.slice()));
  }
  async i2cRead(address: number, length: number): Promise<Uint8Array> {
    return this.transfer('read', address, undefined, (d) => {
      if (!d.readCurrent) throw new SimNack('device does not support reads without a command byte');
      return d.readCurrent(length);
    });
  }
  async i2cWrite(address: number, data: Uint8Array): Promise<void> {
    return this.transfer('write', address, data[0], (d) => d.write(data[0] ?? 0, data.slice(1)));
  }
  writeByteSync(address: number, command: number, value: number): void {
    checkByte('value', value);
    if (this.timeoutMs !== undefined) {
      this.stats.timeouts++;
      throw new I2cTimeoutError(`${this.name} write byte at ${hex2(address)}: bus timeout`, address, command, 'ETIMEDOUT');
    }
    this.run('write byte', address, command, (d) => d.write(command, Uint8Array.of(value)));
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
