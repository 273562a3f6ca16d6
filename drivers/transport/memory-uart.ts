/**
 * A connected pair of in-memory UartPorts: bytes written on one end arrive on the other, in order, on a
 * later turn of the event loop. Used by in-process tests and by the in-process simulator.
 *
 * Baud mismatch is modelled (unlike a pseudo-terminal, whose kernel ignores baud settings): every chunk
 * carries the sender's baud, and when it differs from the receiver's by more than `tolerance` the receiver
 * gets garbage of a plausible length instead (each byte mapped through a fixed scramble, with one byte
 * lost per 16), which is what a UART sampling at the wrong rate produces.
 */
import { TypedEmitter } from '../../src/typed-emitter.js';
import { UartClosedError, type UartEvents, type UartPort } from './uart-port.js';

export interface MemoryUartOptions {
  baudRate?: number;
  /** Relative baud difference a receiver still decodes (default 0.05). */
  tolerance?: number;
  /** Model baud mismatch (default true). */
  modelBaud?: boolean;
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
    const sentAt = this.baud;
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
    if ((this.opts.modelBaud ?? true) && Math.abs(senderBaud - this.baud) / this.baud > tol) {
      this.stats.garbledChunks++;
      out = garble(data, senderBaud, this.baud);
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
    this.baud = baud;
  }

  async close(): Promise<void> {
    if (!this.open_) return;
    this.open_ = false;
    this.emit('close');
  }
}

/** Deterministic garbage for a chunk sent at the wrong rate. */
function garble(data: Uint8Array, from: number, to: number): Uint8Array {
  const keep = Math.max(0, Math.round((data.length * Math.min(from, to)) / Math.max(from, to)));
  const out = new Uint8Array(keep);
  for (let i = 0; i < keep; i++) {
    const b = data[Math.min(data.length - 1, Math.floor((i * data.length) / Math.max(1, keep)))] as number;
    out[i] = ((b * 167 + 13) ^ (i * 29)) & 0xff;
  }
  return out;
}

/** Two connected ports: [host end, device end]. */
export function createMemoryUartPair(opts: MemoryUartOptions = {}, names: [string, string] = ['memory:host', 'memory:device']): [MemoryUart, MemoryUart] {
  const a = new MemoryUart(names[0], opts);
  const b = new MemoryUart(names[1], opts);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
