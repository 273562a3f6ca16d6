/**
 * Measured hashrate from valid nonces: each nonce at ticket difficulty D stands for D × 2^32 hashes on
 * average, so the rate over a window is (sum of D over the window) × 2^32 / window. Windows of 5 s, 1 min
 * and 15 min (cgminer's MHS 5s / 1m / 15m), from one-second buckets on an injected clock.
 */
import type { Clock } from '../clock.js';

const TWO_32 = 4294967296;
/** Longest window kept, in one-second buckets. */
const BUCKETS = 900;

export class HashrateMeter {
  private readonly sums = new Float64Array(BUCKETS);
  private readonly stamps = new Float64Array(BUCKETS).fill(-1);
  private readonly start: number;
  private total = 0;

  constructor(private readonly clock: Clock) {
    this.start = clock.now();
  }

  /** Records one valid nonce found at `ticketDifficulty`, at `now` on this meter's clock. */
  record(ticketDifficulty: number, now = this.clock.now()): void {
    const sec = Math.floor(now / 1000);
    const i = sec % BUCKETS;
    if (this.stamps[i] !== sec) {
      this.stamps[i] = sec;
      this.sums[i] = 0;
    }
    this.sums[i] = (this.sums[i] as number) + ticketDifficulty;
    this.total += ticketDifficulty;
  }

  /**
   * Hashes per second over the last `seconds` completed seconds (at most 899), or since start when
   * shorter. The current, partial second is left out so that it does not bias the figure down.
   */
  rate(seconds: number): number {
    const now = this.clock.now();
    const nowSec = Math.floor(now / 1000);
    const span = Math.min(seconds, BUCKETS - 1);
    let sum = 0;
    for (let s = nowSec - span; s < nowSec; s++) {
      const i = ((s % BUCKETS) + BUCKETS) % BUCKETS;
      if (this.stamps[i] === s) sum += this.sums[i] as number;
    }
    // Early on, divide by the time actually observed so the first figures are not understated.
    const observed = Math.min(span, Math.max(1, nowSec - Math.floor(this.start / 1000)));
    return (sum * TWO_32) / observed;
  }

  /** Average since start. */
  average(): number {
    const secs = Math.max(1, (this.clock.now() - this.start) / 1000);
    return (this.total * TWO_32) / secs;
  }

  /** Sum of ticket difficulties recorded (diff-1 shares), cgminer's "Diff1 Work". */
  diff1Work(): number {
    return this.total;
  }
}
