/**
 * Strike counting for pool connections (issue 21 D9). A pool that keeps sending malformed or
 * unexpected messages is broken or hostile: each such message is a strike, and `STRIKE_LIMIT` strikes
 * within `STRIKE_WINDOW_MS` end the session (the pool manager then fails over, and the client
 * reconnects later with backoff). A well-behaved pool earns none; the odd bad line from a buggy pool
 * is survived. The warnings themselves go through a LogSummary, so a flood cannot become a log flood.
 */
import type { Clock } from '../clock.js';

export const STRIKE_LIMIT = 20;
export const STRIKE_WINDOW_MS = 60_000;

export class ProtocolStrikes {
  private readonly at: number[] = [];

  constructor(
    private readonly clock: Clock,
    readonly limit = STRIKE_LIMIT,
    readonly windowMs = STRIKE_WINDOW_MS,
  ) {}

  /** Records a strike; true when `limit` strikes fell within the window (the caller ends the session). */
  strike(): boolean {
    const now = this.clock.now();
    this.at.push(now);
    while (this.at.length > 0 && now - (this.at[0] as number) > this.windowMs) this.at.shift();
    if (this.at.length > this.limit) this.at.shift();
    return this.at.length >= this.limit;
  }

  /** Strikes within the window now. */
  count(): number {
    const now = this.clock.now();
    return this.at.filter((t) => now - t <= this.windowMs).length;
  }

  /** A new session starts clean. */
  reset(): void {
    this.at.length = 0;
  }
}

/**
 * Share difficulties above this are a pool error, not a setting: 1e15 is about ten times the highest
 * network difficulty so far (a share harder than a block is never needed). The SV2 client warned at it
 * already; an SV1 set_difficulty above it ends the session (issue 21 D10) instead of leaving the chips
 * mining for shares that can never be found.
 */
export const ABSURD_SHARE_DIFFICULTY = 1e15;
