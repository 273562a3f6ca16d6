/**
 * Chain health from the nonce stream. A chip at nominal hashrate H reporting at ticket difficulty D
 * returns a valid nonce every D × 2^32 / H seconds on average. A chip silent for `expectedNonces` such
 * intervals (default 10: a healthy chip does that with probability e^-10 ≈ 5e-5) is marked; a chain
 * whose chips are all silent that long is reported for re-initialisation (bm13xx.md §7: "restart the
 * chain when the nonceless counter grows too large").
 */
import type { Clock } from '../clock.js';

export interface ChainHealthOptions {
  chain: number;
  chips: number;
  /** Nominal hashrate of one chip, H/s. */
  chipHashrate: number;
  ticketDifficulty: number;
  clock: Clock;
  /** How many expected nonce intervals of silence make a chip suspect. */
  expectedNonces?: number;
  /** Lower bound of any window, ms (so very fast sims do not flap). */
  minWindowMs?: number;
}

export type HealthAction = { kind: 'chip-silent'; chip: number; silentMs: number } | { kind: 'chip-recovered'; chip: number } | { kind: 'chain-dead'; silentMs: number };

export class ChainHealth {
  private readonly lastNonce: number[];
  private readonly marked = new Set<number>();
  private lastAny: number;
  private since: number;
  /** Counters for the API. */
  chipsMarked = 0;
  chainReinits = 0;

  constructor(private readonly o: ChainHealthOptions) {
    const now = o.clock.now();
    this.lastNonce = new Array<number>(o.chips).fill(now);
    this.lastAny = now;
    this.since = now;
  }

  /** Expected ms between valid nonces of one chip. */
  chipIntervalMs(): number {
    return (this.o.ticketDifficulty * 4294967296 * 1000) / Math.max(1, this.o.chipHashrate);
  }

  private window(intervalMs: number): number {
    return Math.max(this.o.minWindowMs ?? 5000, (this.o.expectedNonces ?? 10) * intervalMs);
  }

  /** A valid nonce from `chip`. */
  nonce(chip: number): HealthAction | undefined {
    const now = this.o.clock.now();
    if (chip >= 0 && chip < this.lastNonce.length) this.lastNonce[chip] = now;
    this.lastAny = now;
    if (this.marked.delete(chip)) return { kind: 'chip-recovered', chip };
    return undefined;
  }

  /** The chain was (re)initialised: silence is counted from now. */
  reset(): void {
    const now = this.o.clock.now();
    this.lastNonce.fill(now);
    this.lastAny = now;
    this.since = now;
    this.marked.clear();
  }

  /** Periodic check; returns what changed. */
  check(): HealthAction[] {
    const now = this.o.clock.now();
    const out: HealthAction[] = [];
    const chipWindow = this.window(this.chipIntervalMs());
    const chainWindow = this.window(this.chipIntervalMs() / Math.max(1, this.o.chips));
    if (now - this.lastAny > chainWindow && now - this.since > chainWindow) {
      this.chainReinits++;
      out.push({ kind: 'chain-dead', silentMs: now - this.lastAny });
      return out;
    }
    this.lastNonce.forEach((t, chip) => {
      if (now - t > chipWindow && !this.marked.has(chip)) {
        this.marked.add(chip);
        this.chipsMarked++;
        out.push({ kind: 'chip-silent', chip, silentMs: now - t });
      }
    });
    return out;
  }

  /** Chips currently marked silent. */
  silentChips(): number[] {
    return [...this.marked].sort((a, b) => a - b);
  }
}
