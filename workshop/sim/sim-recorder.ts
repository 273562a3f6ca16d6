/**
 * Writes the simulated hardware's state to a file, one JSON line per change, synchronously (writeSync on
 * an fd opened for append). A test that kills the agent reads the last line after the process is gone:
 * because each line hit the file before the call returned, the file proves what the hardware looked like
 * before the process exited.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export interface SimSnapshot {
  /** Clock time, ms. */
  t: number;
  /** What changed: `regulator`, `fan`, `gpio`, `fault:<name>`, `start`. */
  event: string;
  /** OPERATION register says on. */
  regulatorCommandedOn: boolean | null;
  /** The regulator output is actually on (command, CONTROL pin, no latched fault). */
  regulatorOutputOn: boolean | null;
  vout: number;
  /** Power-enable line asserted; null when the board has none. */
  powerEnabled: boolean | null;
  /** Per chain: reset line asserted (chain held in reset). */
  resetHeld: boolean[];
  fanDutyPct: number[];
  fanRpm: number[];
  temperatureC: number;
}

export class SimRecorder {
  private fd: number | undefined;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }
  write(s: SimSnapshot): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, `${JSON.stringify(s)}\n`);
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
