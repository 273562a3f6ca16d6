/**
 * Chain health from the nonce stream. A chip at nominal hashrate H reporting at ticket difficulty D
 * returns a valid nonce every D × 2^32 / H seconds on average. A chip silent for `expectedNonces` such
 * intervals (default 10: a healthy chip does that with probability e^-10 ≈ 5e-5) is marked; a chain
 * whose chips are all silent that long is reported for re-initialisation (docs/bm13xx.md
 * "Failures and recovery").
 *
 * Silence only counts while the chain has work: with no unit sent for a whole window (no pool, a pool
 * failing before the fallback is up, a job the chains cannot split) the checks pause, and when work
 * starts again silence is counted from that moment. A chain is never re-initialised for lack of work.
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

export type HealthAction =
  | { kind: 'chip-silent'; chip: number; silentMs: number }
  | { kind: 'chip-recovered'; chip: number }
  | { kind: 'chain-dead'; silentMs: number };

export class ChainHealth {
  private readonly lastNonce: number[];
  private readonly marked = new Set<number>();
  private lastAny: number;
  private since: number;
  /** When a unit last went to the chain (undefined: never since the last reset). */
  private lastWork: number | undefined;
  /** Start of the current stretch of work (after a pause silence is counted from here). */
  private workFrom = 0;
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

  /** A unit went to the chain (at `now`). After a pause (no work for a whole window), silence counts from then. */
  workSent(now = this.o.clock.now()): void {
    if (this.lastWork === undefined || now - this.lastWork > this.chainWindow()) this.workFrom = now;
    this.lastWork = now;
  }

  /** True while the checks are paused: no unit went to the chain within the last window. */
  paused(): boolean {
    return this.lastWork === undefined || this.o.clock.now() - this.lastWork > this.chainWindow();
  }

  private chainWindow(): number {
    return this.window(this.chipIntervalMs() / Math.max(1, this.o.chips));
  }

  /** A valid nonce from `chip` (at `now`). */
  nonce(chip: number, now = this.o.clock.now()): HealthAction | undefined {
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
    this.lastWork = undefined;
    this.marked.clear();
  }

  /** Periodic check; returns what changed. Nothing while paused (no work in the last window). */
  check(): HealthAction[] {
    const now = this.o.clock.now();
    const out: HealthAction[] = [];
    if (this.paused()) return out;
    const chipWindow = this.window(this.chipIntervalMs());
    const chainWindow = this.chainWindow();
    // Silence is only silence while there was work to do.
    const from = (t: number): number => Math.max(t, this.workFrom, this.since);
    if (now - from(this.lastAny) > chainWindow) {
      this.chainReinits++;
      out.push({ kind: 'chain-dead', silentMs: now - from(this.lastAny) });
      return out;
    }
    this.lastNonce.forEach((t, chip) => {
      if (now - from(t) > chipWindow && !this.marked.has(chip)) {
        this.marked.add(chip);
        this.chipsMarked++;
        out.push({ kind: 'chip-silent', chip, silentMs: now - from(t) });
      }
    });
    return out;
  }

  /** Chips currently marked silent. */
  silentChips(): number[] {
    return [...this.marked].sort((a, b) => a - b);
  }
}
