/**
 * A connected pair of in-memory UartPorts: bytes written on one end arrive on the other, in order, on a
 * later turn of the event loop. Used by in-process tests and by the in-process simulator.
 *
 * Baud mismatch is modelled: every chunk carries the sender's baud, and when it differs from the
 * receiver's by more than `tolerance` the receiver gets garbage of a plausible length instead, which is
 * what a UART sampling at the wrong rate produces.
 *
 * An end may model a host UART (`hostUart`, host-uart-clock.ts): a request its driver cannot produce
 * leaves the previous rate in force and `setBaudRate` rejects with UartBaudError after reading the rate
 * back, as SerialPortUart does on Linux; accepted rates are sent and received at the divider's real rate.
 */
import { TypedEmitter } from '../../src/typed-emitter.js';
import { garbleAtWrongRate, type HostUartClock } from './host-uart-clock.js';
import { checkBaudReadBack, UartClosedError, type UartEvents, type UartPort } from './uart-port.js';

export interface MemoryUartOptions {
  baudRate?: number;
  /** Relative baud difference a receiver still decodes (default 0.05). */
  tolerance?: number;
  /** Model baud mismatch (default true). */
  modelBaud?: boolean;
  /** This end's UART hardware (default: any rate exactly). */
  hostUart?: HostUartClock;
}

export interface MemoryUartStats {
  bytesWritten: number;
  bytesDelivered: number;
  /** Chunks that arrived at a mismatched baud and were garbled. */
  garbledChunks: number;
}

export class MemoryUart extends TypedEmitter<UartEvents> implements UartPort {
  peer: MemoryUart | undefined;
  private open_ = false;
  private baud: number;
  private pendingOut = 0;
  private drainWaiters: (() => void)[] = [];
  private generation = 0;
  readonly stats: MemoryUartStats = { bytesWritten: 0, bytesDelivered: 0, garbledChunks: 0 };

  constructor(
    readonly path: string,
    private readonly opts: MemoryUartOptions = {},
  ) {
    super();
    this.baud = opts.baudRate ?? 115200;
  }

  get isOpen(): boolean {
    return this.open_;
  }

  get baudRate(): number {
    return this.baud;
  }

  async open(): Promise<void> {
    this.open_ = true;
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.open_) return Promise.reject(new UartClosedError(`${this.path} is not open`));
    const copy = data.slice();
    const sentAt = this.lineRate();
    this.stats.bytesWritten += copy.length;
    this.pendingOut++;
    const gen = this.generation;
    setImmediate(() => {
      this.pendingOut--;
      if (gen === this.generation) this.peer?.receive(copy, sentAt);
      if (this.pendingOut === 0) {
        const w = this.drainWaiters;
        this.drainWaiters = [];
        for (const f of w) f();
      }
    });
    return Promise.resolve();
  }

  private receive(data: Uint8Array, senderBaud: number): void {
    if (!this.open_) return;
    const tol = this.opts.tolerance ?? 0.05;
    let out = data;
    const mine = this.lineRate();
    if ((this.opts.modelBaud ?? true) && Math.abs(senderBaud - mine) / mine > tol) {
      this.stats.garbledChunks++;
      out = garbleAtWrongRate(data, senderBaud, mine);
    }
    this.stats.bytesDelivered += out.length;
    if (out.length > 0) this.emit('data', out);
  }

  drain(): Promise<void> {
    if (this.pendingOut === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  async flush(): Promise<void> {
    // Bytes still in flight from this end are discarded, as tcflush(TCIOFLUSH) drops the output queue.
    this.generation++;
  }

  async setBaudRate(baud: number): Promise<void> {
    if (!(baud > 0)) throw new RangeError(`bad baud ${baud}`);
    const hw = this.opts.hostUart;
    this.baud = hw ? hw.accept(baud, this.baud) : baud;
    checkBaudReadBack(this.path, baud, this.baud);
  }

  /** The bit rate this end really sends and samples at. */
  lineRate(): number {
    return this.opts.hostUart ? this.opts.hostUart.lineRate(this.baud) : this.baud;
  }

  async close(): Promise<void> {
    if (!this.open_) return;
    this.open_ = false;
    this.emit('close');
  }
}

/** Two connected ports: [host end, device end]. */
export function createMemoryUartPair(opts: MemoryUartOptions = {}, names: [string, string] = ['memory:host', 'memory:device']): [MemoryUart, MemoryUart] {
  const a = new MemoryUart(names[0], opts);
  const b = new MemoryUart(names[1], opts);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
