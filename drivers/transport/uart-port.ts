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

/**
 * The device runs at another rate than asked for: its driver fell back (Linux keeps the previous rate
 * when a request is above the UART's maximum) or rounded further than a receiver tolerates.
 */
export class UartBaudError extends UartError {
  override readonly name = 'UartBaudError';
  constructor(
    readonly path: string,
    readonly requested: number,
    readonly actual: number,
  ) {
    super(`host UART cannot do ${requested} baud: ${path} runs at ${actual} after the change`, 'EBAUD');
  }
}

/**
 * A read-back rate this close to the request is the driver's own rounding, not a failure (a chip's
 * receiver tolerates several per cent; host-uart-clock.ts).
 */
export const BAUD_READBACK_TOLERANCE = 0.01;

/** Throws UartBaudError when the rate read back from the device is not the one asked for. */
export function checkBaudReadBack(path: string, requested: number, actual: number): void {
  if (!(Math.abs(actual - requested) <= requested * BAUD_READBACK_TOLERANCE)) throw new UartBaudError(path, requested, actual);
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
  /** The baud rate the device runs at (read back after every change where the platform can). */
  readonly baudRate: number;
  open(): Promise<void>;
  /** Resolves once the bytes are handed to the OS (or the peer, in memory). */
  write(data: Uint8Array): Promise<void>;
  /** Resolves once every written byte has been transmitted. */
  drain(): Promise<void>;
  /** Discards bytes received but not yet read and bytes written but not yet sent. */
  flush(): Promise<void>;
  /** Rejects with UartBaudError when the device reports another rate than asked for afterwards. */
  setBaudRate(baud: number): Promise<void>;
  close(): Promise<void>;
  on<K extends keyof UartEvents>(event: K, listener: (...args: UartEvents[K]) => void): this;
  off<K extends keyof UartEvents>(event: K, listener: (...args: UartEvents[K]) => void): this;
  once<K extends keyof UartEvents>(event: K, listener: (...args: UartEvents[K]) => void): this;
}
