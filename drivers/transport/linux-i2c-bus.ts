/**
 * I2cBus over Linux /dev/i2c-N through the `i2c-bus` addon (ioctl I2C_SMBUS / I2C_RDWR). The addon is
 * loaded only when a real bus is opened, so simulated boards never need the native module.
 *
 * Every call has a software deadline: the kernel adapter has its own timeout, but a wedged adapter
 * driver must not stall the thermal loop, so a call that has not returned in `timeoutMs` rejects with
 * I2cTimeoutError (the kernel call finishes in the background and its result is dropped).
 */
import { accessSync, constants } from 'node:fs';
import type { PromisifiedBus, I2CBus as NativeBus } from 'i2c-bus';
import { systemClock, type Clock } from '../../src/clock.js';
import { checkAddress, checkByte, checkWord, hex2, I2cError, I2cTimeoutError, SMBUS_BLOCK_MAX, type I2cBus } from './i2c-bus.js';

export interface LinuxI2cOptions {
  /** Software deadline per transfer, ms (default 500, as ESP-Miner's TPS546_I2C_TIMEOUT_MS). */
  timeoutMs?: number;
  clock?: Clock;
  /** I2C_SLAVE_FORCE: talk to an address a kernel driver has claimed. Off by default. */
  forceAccess?: boolean;
}

function errnoCode(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return 'EIO';
}

export class LinuxI2cBus implements I2cBus {
  readonly name: string;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  /** Transfers run one at a time in submission order: the addon hands each to a libuv pool thread, and
   * two threads must not interleave (an OPERATION off queued after an OPERATION on must land last). */
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly bus: PromisifiedBus,
    private readonly sync: NativeBus,
    busNumber: number,
    opts: LinuxI2cOptions,
  ) {
    this.name = `/dev/i2c-${busNumber}`;
    this.timeoutMs = opts.timeoutMs ?? 500;
    this.clock = opts.clock ?? systemClock;
  }

  /** Opens /dev/i2c-`busNumber`. Fails with a message that names the device and the usual fixes. */
  static async open(busNumber: number, opts: LinuxI2cOptions = {}): Promise<LinuxI2cBus> {
    const path = `/dev/i2c-${busNumber}`;
    // The addon opens the device file only at the first transfer; check it now so a missing bus or a
    // permission problem is reported at start-up, with the fix, not as a failed fan read later.
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch (err) {
      const code = errnoCode(err);
      const hint =
        code === 'ENOENT'
          ? ' (enable I2C: dtparam=i2c_arm=on in /boot/firmware/config.txt, and load i2c-dev)'
          : code === 'EACCES'
            ? ' (add the service user to the i2c group)'
            : '';
      throw new I2cError(`cannot open ${path}: ${code}${hint}`, 0, undefined, code, { cause: err });
    }
    let mod: typeof import('i2c-bus');
    try {
      mod = await import('i2c-bus');
    } catch (err) {
      throw new I2cError(`the i2c-bus native addon did not load (${String(err)}); run npm rebuild i2c-bus`, 0, undefined, 'ENOADDON', { cause: err });
    }
    try {
      const bus = await mod.openPromisified(busNumber, { forceAccess: opts.forceAccess ?? false });
      return new LinuxI2cBus(bus, bus.bus(), busNumber, opts);
    } catch (err) {
      const code = errnoCode(err);
      throw new I2cError(`cannot open ${path}: ${code}`, 0, undefined, code, { cause: err });
    }
  }

  private async call<T>(what: string, address: number, command: number | undefined, op: () => Promise<T>): Promise<T> {
    checkAddress(address);
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(
        () =>
          reject(
            new I2cTimeoutError(
              `${this.name} ${what} at ${hex2(address)}${command === undefined ? '' : ` cmd ${hex2(command)}`} timed out after ${this.timeoutMs} ms`,
              address,
              command,
              'ETIMEDOUT',
            ),
          ),
        this.timeoutMs,
      );
    });
    const run = this.tail.then(op, op);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await Promise.race([run, deadline]);
    } catch (err) {
      if (err instanceof I2cError) throw err;
      const code = errnoCode(err);
      const Cls = code === 'ETIMEDOUT' ? I2cTimeoutError : I2cError;
      throw new Cls(`${this.name} ${what} at ${hex2(address)}${command === undefined ? '' : ` cmd ${hex2(command)}`} failed: ${code}`, address, command, code, {
        cause: err,
      });
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  async readByte(address: number, command: number): Promise<number> {
    return this.call('read byte', address, command, () => this.bus.readByte(address, command));
  }
  async writeByte(address: number, command: number, value: number): Promise<void> {
    checkByte('value', value);
    return this.call('write byte', address, command, () => this.bus.writeByte(address, command, value));
  }
  async readWord(address: number, command: number): Promise<number> {
    return this.call('read word', address, command, () => this.bus.readWord(address, command));
  }
  async writeWord(address: number, command: number, value: number): Promise<void> {
    checkWord('value', value);
    return this.call('write word', address, command, () => this.bus.writeWord(address, command, value));
  }
  async sendByte(address: number, command: number): Promise<void> {
    return this.call('send byte', address, command, () => this.bus.sendByte(address, command));
  }
  async readBlock(address: number, command: number, maxLength: number): Promise<Uint8Array> {
    if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > SMBUS_BLOCK_MAX - 1) {
      throw new RangeError(`block length ${maxLength} is outside 1..${SMBUS_BLOCK_MAX - 1}`);
    }
    // i2c-bus has no SMBus block read; read the count byte and the data as one I2C block (the kernel's
    // I2C_SMBUS_I2C_BLOCK_DATA), as ESP-Miner's smb_read_block does, then honour the count.
    const buf = Buffer.alloc(maxLength + 1);
    const { bytesRead } = await this.call('block read', address, command, () => this.bus.readI2cBlock(address, command, maxLength + 1, buf));
    const count = buf[0] ?? 0;
    if (bytesRead < 1 || count > maxLength || count + 1 > bytesRead) {
      throw new I2cError(`${this.name} block read at ${hex2(address)} cmd ${hex2(command)}: count ${count} exceeds ${maxLength}`, address, command, 'EPROTO');
    }
    return new Uint8Array(buf.subarray(1, 1 + count));
  }
  async writeBlock(address: number, command: number, data: Uint8Array): Promise<void> {
    if (data.length > SMBUS_BLOCK_MAX - 1) throw new RangeError(`block of ${data.length} bytes is too long`);
    const buf = Buffer.alloc(data.length + 1);
    buf[0] = data.length;
    buf.set(data, 1);
    await this.call('block write', address, command, () => this.bus.writeI2cBlock(address, command, buf.length, buf));
  }
  async readI2cBlock(address: number, command: number, length: number): Promise<Uint8Array> {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await this.call('i2c block read', address, command, () => this.bus.readI2cBlock(address, command, length, buf));
    if (bytesRead !== length) throw new I2cError(`${this.name} short read at ${hex2(address)}: ${bytesRead}/${length}`, address, command, 'EIO');
    return new Uint8Array(buf);
  }
  async writeI2cBlock(address: number, command: number, data: Uint8Array): Promise<void> {
    const buf = Buffer.from(data);
    await this.call('i2c block write', address, command, () => this.bus.writeI2cBlock(address, command, buf.length, buf));
  }
  async i2cRead(address: number, length: number): Promise<Uint8Array> {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await this.call('read', address, undefined, () => this.bus.i2cRead(address, length, buf));
    return new Uint8Array(buf.subarray(0, bytesRead));
  }
  async i2cWrite(address: number, data: Uint8Array): Promise<void> {
    const buf = Buffer.from(data);
    await this.call('write', address, undefined, () => this.bus.i2cWrite(address, buf.length, buf));
  }
  writeByteSync(address: number, command: number, value: number): void {
    checkAddress(address);
    checkByte('value', value);
    this.sync.writeByteSync(address, command, value);
  }
  async close(): Promise<void> {
    await this.bus.close();
  }
}
