/**
 * Injected time (architecture principle 6): code that waits or measures takes a Clock, so tests drive
 * time by hand instead of sleeping.
 */

export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Wall-clock Unix seconds (for ntime and certificate validity). */
  wallSeconds(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(h: TimerHandle | undefined): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(h: TimerHandle | undefined): void;
  sleep(ms: number): Promise<void>;
}

/** The real clock: performance.now() and Node timers. */
export class SystemClock implements Clock {
  private next = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();
  now(): number {
    return performance.now();
  }
  wallSeconds(): number {
    return Math.floor(Date.now() / 1000);
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        fn();
      }, ms),
    );
    return { id };
  }
  clearTimeout(h: TimerHandle | undefined): void {
    if (!h) return;
    const t = this.timers.get(h.id);
    if (t) clearTimeout(t);
    this.timers.delete(h.id);
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    this.timers.set(id, setInterval(fn, ms));
    return { id };
  }
  clearInterval(h: TimerHandle | undefined): void {
    if (!h) return;
    const t = this.timers.get(h.id);
    if (t) clearInterval(t);
    this.timers.delete(h.id);
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

export const systemClock: Clock = new SystemClock();

interface ManualTimer {
  id: number;
  at: number;
  every: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. `advance(ms)` runs every timer that falls due, in time order,
 * including timers scheduled by those timers.
 */
export class ManualClock implements Clock {
  private t: number;
  private wall: number;
  private nextId = 1;
  private timers: ManualTimer[] = [];
  private readonly earlyMs: number;
  private inTimer = false;

  /**
   * `timersEarlyMs`: one-shot timers fire this long before their delay is up, as Node's do when read
   * against the clock: libuv counts a timer's delay from the loop time cached at the start of the
   * iteration, so after a long synchronous stretch (a loaded machine) a timer is due before `ms` of
   * `now()` have passed since it was set. Code that re-checks a deadline in a timer must allow for it.
   * Timers set from inside a timer callback are not early: libuv refreshes its loop time just before it
   * runs the due timers.
   */
  constructor(startMs = 0, wallSeconds = 1_700_000_000, opts: { timersEarlyMs?: number } = {}) {
    this.t = startMs;
    this.wall = wallSeconds * 1000;
    this.earlyMs = opts.timersEarlyMs ?? 0;
  }
  now(): number {
    return this.t;
  }
  wallSeconds(): number {
    return Math.floor((this.wall + this.t) / 1000);
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + Math.max(0, ms - (this.inTimer ? 0 : this.earlyMs)), every: 0, fn });
    return { id };
  }
  clearTimeout(h: TimerHandle | undefined): void {
    if (h) this.timers = this.timers.filter((x) => x.id !== h.id);
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + Math.max(1, ms), every: Math.max(1, ms), fn });
    return { id };
  }
  clearInterval(h: TimerHandle | undefined): void {
    this.clearTimeout(h);
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let due: ManualTimer | undefined;
      for (const x of this.timers) if (x.at <= end && (!due || x.at < due.at || (x.at === due.at && x.id < due.id))) due = x;
      if (!due) break;
      this.t = due.at;
      if (due.every > 0) due.at += due.every;
      else this.timers = this.timers.filter((x) => x !== due);
      this.inTimer = true;
      try {
        due.fn();
      } finally {
        this.inTimer = false;
      }
    }
    this.t = end;
  }
  /** Number of pending timers (for tests that check nothing leaks). */
  pending(): number {
    return this.timers.length;
  }
}
