/**
 * The simulator's end of a pseudo-terminal pair as a UartPort: the master descriptor, read and written
 * through libuv TTY handles (epoll, on the event loop). The host opens the slave's path with the real
 * `serialport` binding, as it opens a board's UART; the bytes it writes arrive here and the chips'
 * replies written here arrive there, unchanged (the slave is in raw mode; see native/pty/src/pty.c).
 *
 * A pty has one line rate, held on the slave and set by the host; `hostBaud()` reads it back (TCGETS2
 * on the master answers for the slave). `setBaudRate` only records the chips' rate: the simulator never
 * sets the line.
 */
import { closeSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';
import { TypedEmitter } from '../../../src/typed-emitter.js';
import { UartClosedError, UartError, type UartEvents, type UartPort } from '../../../drivers/transport/uart-port.js';
import type { PtyAddon, PtyHandles } from './pty-addon.js';

export class PtyMasterUart extends TypedEmitter<UartEvents> implements UartPort {
  readonly path: string;
  private baud = 115200;
  private reader: ReadStream | undefined;
  private writer: WriteStream | undefined;
  private closed = false;

  constructor(
    private readonly handles: PtyHandles,
    private readonly addon: PtyAddon,
  ) {
    super();
    this.path = `${handles.path} (master)`;
  }

  get isOpen(): boolean {
    return this.reader !== undefined && !this.closed;
  }

  get baudRate(): number {
    return this.baud;
  }

  /** The rate the host last set on its end (the slave's termios), in baud. */
  hostBaud(): number {
    return this.addon.termiosBaud(this.handles.masterFd).output;
  }

  async open(): Promise<void> {
    if (this.closed) throw new UartClosedError(`${this.path} was closed`);
    if (this.reader) return;
    const reader = new ReadStream(this.handles.masterFd);
    const writer = new WriteStream(this.handles.masterFd);
    reader.on('data', (chunk: Buffer | string) => {
      if (typeof chunk === 'string') return;
      this.emit('data', new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    });
    const onError = (err: unknown): void => {
      if (this.closed) return;
      const e = err instanceof Error ? err : new Error(String(err));
      const code = (e as { code?: unknown }).code;
      this.emit('error', new UartError(`${this.path}: ${e.message}`, typeof code === 'string' ? code : undefined));
    };
    reader.on('error', onError);
    writer.on('error', onError);
    this.reader = reader;
    this.writer = writer;
  }

  write(data: Uint8Array): Promise<void> {
    const w = this.writer;
    if (!w || this.closed) return Promise.reject(new UartClosedError(`${this.path} is not open`));
    return new Promise<void>((resolve, reject) => {
      w.write(Buffer.from(data.buffer, data.byteOffset, data.length), (err) => (err ? reject(new UartError(`write ${this.path}: ${err.message}`)) : resolve()));
    });
  }

  drain(): Promise<void> {
    const w = this.writer;
    if (!w || this.closed) return Promise.reject(new UartClosedError(`${this.path} is not open`));
    if (w.writableLength === 0) return Promise.resolve();
    return new Promise<void>((resolve) => w.once('drain', () => resolve()));
  }

  /** Nothing to discard on this side: the simulator consumes every byte as it arrives. */
  async flush(): Promise<void> {
    if (!this.isOpen) throw new UartClosedError(`${this.path} is not open`);
  }

  async setBaudRate(baud: number): Promise<void> {
    this.baud = baud;
  }

  /** Closes both descriptors; the slave's path disappears once the host has closed it too. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { reader, writer } = this;
    this.reader = undefined;
    this.writer = undefined;
    for (const s of [reader, writer]) {
      if (!s) continue;
      s.removeAllListeners('data');
      s.on('error', () => undefined);
    }
    // Both streams share the master descriptor: destroying them closes it (the second close is EBADF,
    // which libuv ignores for TTY handles being torn down). Closing the kept slave descriptor last.
    await new Promise<void>((resolve) => {
      if (!reader) return resolve();
      reader.once('close', () => resolve());
      reader.destroy();
    });
    writer?.destroy();
    try {
      closeSync(this.handles.slaveFd);
    } catch {
      // Already closed.
    }
    this.emit('close');
  }
}
