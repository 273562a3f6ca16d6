/**
 * The narrow UART interface every chain driver talks through (architecture principle 2). The real backend
 * is serialport-uart.ts; memory-uart.ts gives a connected in-memory pair for in-process tests and the
 * simulator.
 *
 * Events: 'data' (bytes as they arrive), 'error' (a UartError; the port may still be open), 'close'.
 */

export class UartError extends Error {
  override readonly name: string = 'UartError';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** An operation on a port that is not open. */
export class UartClosedError extends UartError {
  override readonly name = 'UartClosedError';
}

export type UartEvents = {
  data: [Uint8Array];
  error: [UartError];
  close: [];
};

export interface UartPort {
  /** Device path (or a descriptive name for in-memory ports). */
  readonly path: string;
  readonly isOpen: boolean;
  /** The baud rate the port was last set to. */
  readonly baudRate: number;
  open(): Promise<void>;
  /** Resolves once the bytes are handed to the OS (or the peer, in memory). */
  write(data: Uint8Array): Promise<void>;
  /** Resolves once every written byte has been transmitted. */
  drain(): Promise<void>;
  /** Discards bytes received but not yet read and bytes written but not yet sent. */
  flush(): Promise<void>;
  setBaudRate(baud: number): Promise<void>;
  close(): Promise<void>;
  on<K extends keyof UartEvents>(event: K, listener: (...args: UartEvents[K]) => void): this;
  off<K extends keyof UartEvents>(event: K, listener: (...args: UartEvents[K]) => void): this;
  once<K extends keyof UartEvents>(event: K, listener: (...args: UartEvents[K]) => void): this;
}
