/**
 * Reconnect delays: exponential from `initialMs` up to `maxMs`, with up to 20 % jitter so that a farm
 * of miners does not reconnect in lockstep. `reset()` after a session that got somewhere.
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
}

export class Backoff {
  private attempt = 0;
  constructor(
    private readonly o: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const initial = this.o.initialMs ?? 1_000;
    const max = this.o.maxMs ?? 60_000;
    const factor = this.o.factor ?? 2;
    const base = Math.min(max, initial * factor ** this.attempt);
    this.attempt++;
    return Math.round(base * (1 + 0.2 * this.random()));
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
