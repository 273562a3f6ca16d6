/**
 * UartPort on the `serialport` package (the real binding, also used on pseudo-terminals in tests).
 *
 * Custom baud rates (1,041,667, 3,125,000...) go through the binding's termios2 path on Linux. Low-latency
 * mode (ASYNC_LOW_LATENCY) is requested when `lowLatency` is set; devices that do not support it (a
 * pseudo-terminal answers ENOTTY) are used without it, and `lowLatencyActive` says which happened.
 *
 * After opening and after every baud change the rate is read back from the kernel (TCGETS2 through the
 * binding's getBaudRate on Linux): a driver that cannot produce a rate keeps the previous one and says so
 * only there (drivers/transport/host-uart-clock.ts), so a mismatch is refused with UartBaudError instead of
 * leaving a port that claims a rate it does not run at. Platforms without the read-back trust the request.
 *
 * A pseudo-terminal carries the rate too (the chain simulator reads it from its end to decide whether
 * frames survive). One difference from a UART: the binding flushes both queues (tcflush TCIOFLUSH) when it
 * sets a standard rate such as 115200 or 1,000,000, which on a pty also discards bytes the other side has
 * not read yet; on a UART, drain() has already put them on the wire. Custom rates are set without a flush.
 */
import { isatty, ReadStream } from 'node:tty';
import { realpathSync, writeSync } from 'node:fs';
import { SerialPort, type SerialPortOpenOptions } from 'serialport';
import type { AutoDetectTypes } from '@serialport/bindings-cpp';
import { TypedEmitter } from '../../src/typed-emitter.js';
import { logger } from '../../src/log.js';
import { checkBaudReadBack, UartClosedError, UartError, type UartEvents, type UartPort } from './uart-port.js';

const log = logger('transport.serialport');

export interface SerialPortUartOptions {
  path: string;
  baudRate: number;
  /** Ask for low-latency mode (default true). */
  lowLatency?: boolean;
  /** The serialport binding (default: the platform's). Tests give one that behaves like a given kernel driver. */
  binding?: AutoDetectTypes;
}

function asUartError(err: unknown, what: string): UartError {
  if (err instanceof UartError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return new UartError(`${what}: ${e.message}`, typeof code === 'string' ? code : undefined);
}

export class SerialPortUart extends TypedEmitter<UartEvents> implements UartPort {
  readonly path: string;
  private baud: number;
  private port: SerialPort | undefined;
  private readonly wantLowLatency: boolean;
  private readonly binding: AutoDetectTypes | undefined;
  /** The TTY read handle, when reads go through it (see readThroughTty). */
  private tty: ReadStream | undefined;
  /** The port's descriptor while writes may go to it directly (see write). */
  private fd: number | undefined;
  /** Writes handed to serialport and not completed yet: later writes queue behind them. */
  private queued = 0;
  /** True when the device accepted low-latency mode. */
  lowLatencyActive = false;
  /** True when the path is a pseudo-terminal (/dev/pts/N, links resolved). */
  readonly isPseudoTerminal: boolean;

  constructor(opts: SerialPortUartOptions) {
    super();
    this.path = opts.path;
    this.baud = opts.baudRate;
    this.wantLowLatency = opts.lowLatency ?? true;
    this.binding = opts.binding;
    this.isPseudoTerminal = isPtyPath(opts.path);
  }

  get isOpen(): boolean {
    return this.port?.isOpen === true;
  }

  get baudRate(): number {
    return this.baud;
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    const options: SerialPortOpenOptions<AutoDetectTypes> = {
      path: this.path,
      baudRate: this.baud,
      autoOpen: false,
      dataBits: 8,
      stopBits: 1,
      parity: 'none',
      rtscts: false,
      hupcl: false,
    };
    // SerialPort puts its detected binding first and lets the options override it.
    const port = new SerialPort((this.binding ? { ...options, binding: this.binding } : options) as SerialPortOpenOptions<AutoDetectTypes>);
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(asUartError(err, `open ${this.path}`)) : resolve())));
    this.port = port;
    const opened = await this.readBaud(port);
    if (opened !== undefined) {
      try {
        checkBaudReadBack(this.path, this.baud, opened);
      } catch (err) {
        await new Promise<void>((resolve) => port.close(() => resolve()));
        this.port = undefined;
        throw err;
      }
      this.baud = opened;
    }
    const fd = (port.port as { fd?: unknown } | undefined)?.fd;
    this.fd = typeof fd === 'number' && isatty(fd) ? fd : undefined;
    if (!this.readThroughTty(port)) {
      port.on('data', (chunk: Buffer) => this.emit('data', new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    }
    port.on('error', (err: unknown) => this.emit('error', asUartError(err, this.path)));
    port.on('close', () => {
      this.port = undefined;
      this.fd = undefined;
      this.emit('close');
    });
    if (this.wantLowLatency && !this.isPseudoTerminal) await this.tryLowLatency(port);
  }

  /**
   * Reads through a libuv TTY handle on the port's descriptor (epoll, data delivered on the event loop)
   * instead of serialport's reader, which polls and then reads with fs.read on the thread pool: one
   * thread-pool round trip per chunk cost about a third of the agent's CPU at thousands of nonces per
   * second. Termios (raw mode, baud) belong to the device, so serialport's settings still apply; writes,
   * baud changes and flushes still go through serialport. Falls back to serialport's reader when the
   * descriptor is not available or not a tty.
   */
  private readThroughTty(port: SerialPort): boolean {
    const fd = (port.port as { fd?: unknown } | undefined)?.fd;
    if (typeof fd !== 'number' || !isatty(fd)) return false;
    let rs: ReadStream;
    try {
      rs = new ReadStream(fd);
    } catch (err) {
      log.debug({ path: this.path, err: err instanceof Error ? err.message : String(err) }, 'tty reader unavailable; using serialport reads');
      return false;
    }
    this.tty = rs;
    rs.on('data', (chunk: Buffer | string) => {
      if (typeof chunk === 'string') return;
      this.emit('data', new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    });
    rs.on('error', (err: unknown) => {
      // EIO when the other end of a pty goes away, or the device disappears: the port is unusable.
      this.emit('error', asUartError(err, `read ${this.path}`));
    });
    return true;
  }

  private async tryLowLatency(port: SerialPort): Promise<void> {
    try {
      // set() writes every flag, so dtr/rts stay asserted as after open. `lowLatency` is a Linux-binding
      // option that the stream passes through to the binding (LinuxSetOptions).
      const flags = { lowLatency: true, dtr: true, rts: true };
      await new Promise<void>((resolve, reject) => port.set(flags, (err) => (err ? reject(err) : resolve())));
      this.lowLatencyActive = true;
    } catch (err) {
      this.lowLatencyActive = false;
      log.debug({ path: this.path, err: err instanceof Error ? err.message : String(err) }, 'low-latency mode not supported; continuing without it');
    }
  }

  private need(): SerialPort {
    if (!this.port?.isOpen) throw new UartClosedError(`${this.path} is not open`);
    return this.port;
  }

  /**
   * Writes go straight to the tty's descriptor when nothing is queued before them: the descriptor is
   * non-blocking, so the kernel takes the frame at once or says EAGAIN. serialport's own write (a
   * Writable stream, then fs.write on the thread pool) cost a thread-pool round trip per job frame,
   * several hundred a second per chain on BM1397 boards. Whatever the kernel did not take (a full
   * buffer, a partial write) goes through serialport, which waits for the port to be writable; later
   * writes queue behind it there, so the bytes stay in order. drain() waits for serialport's queue and
   * then for the kernel's (tcdrain), which holds the direct writes already.
   */
  write(data: Uint8Array): Promise<void> {
    const port = this.need();
    let from = 0;
    const fd = this.fd;
    if (fd !== undefined && this.queued === 0) {
      try {
        from = writeSync(fd, data, 0, data.length);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') return Promise.reject(asUartError(err, `write ${this.path}`));
      }
      if (from >= data.length) return Promise.resolve();
    }
    this.queued++;
    return new Promise<void>((resolve, reject) => {
      port.write(Buffer.from(data.buffer, data.byteOffset + from, data.length - from), (err) => {
        this.queued--;
        if (err) reject(asUartError(err, `write ${this.path}`));
        else resolve();
      });
    });
  }

  drain(): Promise<void> {
    const port = this.need();
    return new Promise<void>((resolve, reject) => port.drain((err) => (err ? reject(asUartError(err, `drain ${this.path}`)) : resolve())));
  }

  flush(): Promise<void> {
    const port = this.need();
    return new Promise<void>((resolve, reject) => port.flush((err) => (err ? reject(asUartError(err, `flush ${this.path}`)) : resolve())));
  }

  async setBaudRate(baud: number): Promise<void> {
    const port = this.need();
    await new Promise<void>((resolve, reject) =>
      port.update({ baudRate: baud }, (err) => (err ? reject(asUartError(err, `baud ${baud} on ${this.path}`)) : resolve())),
    );
    const actual = await this.readBaud(port);
    this.baud = actual ?? baud;
    if (actual !== undefined) checkBaudReadBack(this.path, baud, actual);
  }

  /** The rate the kernel holds for the port (TCGETS2), or undefined where the binding cannot tell. */
  private async readBaud(port: SerialPort): Promise<number | undefined> {
    const b = port.port;
    if (!b || process.platform !== 'linux') return undefined;
    try {
      return (await b.getBaudRate()).baudRate;
    } catch (err) {
      log.debug({ path: this.path, err: err instanceof Error ? err.message : String(err) }, 'baud read-back unavailable');
      return undefined;
    }
  }

  async close(): Promise<void> {
    const port = this.port;
    this.fd = undefined;
    if (this.tty) {
      const rs = this.tty;
      this.tty = undefined;
      rs.removeAllListeners('data');
      rs.on('error', () => undefined);
      rs.destroy();
    }
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

function isPtyPath(path: string): boolean {
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // A path that does not resolve fails at open(); judge it by its name meanwhile.
  }
  return real.startsWith('/dev/pts/');
}
