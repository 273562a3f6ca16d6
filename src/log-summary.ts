/**
 * Repeated log records summarised per interval (issue 21 D3, D9): a flood of refused connections or of
 * malformed pool messages must not become a flood of log lines. The first record of a kind in an
 * interval is written at once; the others are counted, and when the interval ends one record says how
 * many there were (with the fields of the last one). Kinds are separate keys, so a flood of one does
 * not hide another.
 */
import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './log.js';

type Level = 'warn' | 'info' | 'error' | 'debug';

interface Pending {
  level: Level;
  msg: string;
  fields: Record<string, unknown>;
  suppressed: number;
}

/** Default summary interval: 10 s, a few lines a minute per kind at most. */
export const LOG_SUMMARY_INTERVAL_MS = 10_000;

export class LogSummary {
  private readonly open = new Map<string, Pending>();
  private timer: TimerHandle | undefined;

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = LOG_SUMMARY_INTERVAL_MS,
  ) {}

  /** Logs `msg` now if it is the first of `key` in this interval, else counts it. */
  note(key: string, level: Level, fields: Record<string, unknown>, msg: string): void {
    const p = this.open.get(key);
    if (p) {
      p.suppressed++;
      p.fields = fields;
      return;
    }
    this.open.set(key, { level, msg, fields, suppressed: 0 });
    this.log[level](fields, msg);
    this.timer ??= this.clock.setTimeout(() => this.flush(), this.intervalMs);
  }

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    this.note(key, 'warn', fields, msg);
  }

  /** Records suppressed so far in this interval, all kinds. */
  suppressed(): number {
    let n = 0;
    for (const p of this.open.values()) n += p.suppressed;
    return n;
  }

  /** Ends the interval: one summary record per kind that had more than its first record. */
  flush(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const open = [...this.open.values()];
    this.open.clear();
    for (const p of open) {
      if (p.suppressed > 0)
        this.log[p.level](
          { ...p.fields, repeated: p.suppressed, intervalS: this.intervalMs / 1000 },
          `${p.msg} (${p.suppressed} more in ${this.intervalMs / 1000} s)`,
        );
    }
  }

  /** Stops the timer (the last summary is written). */
  close(): void {
    this.flush();
  }
}
