/**
 * The one stats sink of the share path (docs/architecture.md): counters of the mining pipeline, per
 * chip, chain and pool, what the status records, the cgminer API, the Prometheus metrics and chain health
 * read. Hashrate per chip/chain/board comes from HashrateMeters fed by valid nonces; shares are counted
 * by pool and by outcome reason.
 */
import type { Clock } from '../clock.js';
import { HashrateMeter } from './hashrate-meter.js';

export interface ChipStats {
  chain: number;
  chip: number;
  nonces: number;
  hwErrors: number;
  lastNonceAt?: number;
  meter: HashrateMeter;
}

export interface PoolShareStats {
  accepted: number;
  rejected: number;
  stale: number;
  lost: number;
  acceptedDifficulty: number;
  rejectedDifficulty: number;
  staleDifficulty: number;
  /** Rejected/stale/lost counts by reason. */
  reasons: Record<string, number>;
  /** The same counts split by result (the API and metrics label shares by result and reason). */
  reasonsByResult: { rejected: Record<string, number>; stale: Record<string, number>; lost: Record<string, number> };
  lastShareAt?: number;
  lastShareDifficulty?: number;
}

export class MiningStats {
  readonly startedAt: number;
  readonly board: HashrateMeter;
  private readonly chains = new Map<number, HashrateMeter>();
  /** Per chain, per chip index (arrays: this is looked up for every nonce). */
  private readonly chips = new Map<number, ChipStats[]>();
  private readonly pools = new Map<string, PoolShareStats>();
  bestShare = 0;
  /** Block candidates handed to someone who can publish them: a pool that took the share, or the own node (JD). */
  blocksFound = 0;
  /** Block candidates nobody could take (no pool connected, job gone): found, never published. */
  blocksLost = 0;
  /** Shares (nonces meeting a pool target) that reached the share path, duplicates excluded. */
  sharesFound = 0;
  /** Shares of a re-issued copy of their job (same pool, same job id) already sent once. */
  duplicates = 0;
  /** Nonce replies a chip repeated for the same unit (a chain glitch): dropped, counted nowhere else. */
  repeatedNonces = 0;
  hwErrors = 0;
  validNonces = 0;
  /**
   * Valid nonces that came back after their chip job id had been given to a newer unit (counted valid
   * for the older unit, whose share, if any, the share path judges stale or not; never hardware errors).
   */
  lateNonces = 0;
  /**
   * Nonces that matched no unit still known for their chip job id while older units of that id had been
   * forgotten (a job flood): possibly late, so counted here (stale), not as hardware errors.
   */
  lateUnmatched = 0;
  /** Work units sent to chains. */
  workSent = 0;
  /** When a unit last went to each chain (chain health counts silence only while there is work). */
  private readonly lastWork: number[] = [];
  /** Times a chain's work space ran out before fresh work was allowed. */
  workExhausted = 0;

  constructor(private readonly clock: Clock) {
    this.startedAt = clock.now();
    this.board = new HashrateMeter(clock);
  }

  chip(chain: number, chip: number): ChipStats {
    let list = this.chips.get(chain);
    if (!list) {
      list = [];
      this.chips.set(chain, list);
    }
    let c = list[chip];
    if (!c) {
      c = { chain, chip, nonces: 0, hwErrors: 0, meter: new HashrateMeter(this.clock) };
      list[chip] = c;
    }
    return c;
  }

  chainMeter(chain: number): HashrateMeter {
    let m = this.chains.get(chain);
    if (!m) {
      m = new HashrateMeter(this.clock);
      this.chains.set(chain, m);
    }
    return m;
  }

  pool(id: string): PoolShareStats {
    let p = this.pools.get(id);
    if (!p) {
      p = {
        accepted: 0,
        rejected: 0,
        stale: 0,
        lost: 0,
        acceptedDifficulty: 0,
        rejectedDifficulty: 0,
        staleDifficulty: 0,
        reasons: {},
        reasonsByResult: { rejected: {}, stale: {}, lost: {} },
      };
      this.pools.set(id, p);
    }
    return p;
  }

  /** A nonce that met the chip's ticket: counts toward hashrate. */
  recordValidNonce(chain: number, chip: number, ticketDifficulty: number): void {
    const c = this.chip(chain, chip);
    // One clock read for the four records (this runs for every valid nonce).
    const now = this.clock.now();
    c.nonces++;
    c.lastNonceAt = now;
    c.meter.record(ticketDifficulty, now);
    this.chainMeter(chain).record(ticketDifficulty, now);
    this.board.record(ticketDifficulty, now);
    this.validNonces++;
  }

  /** A unit went to `chain`. */
  recordWorkSent(chain: number): void {
    this.workSent++;
    this.lastWork[chain] = this.clock.now();
  }

  /** When a unit last went to `chain`, if ever. */
  lastWorkAt(chain: number): number | undefined {
    return this.lastWork[chain];
  }

  recordHwError(chain: number, chip: number): void {
    this.chip(chain, chip).hwErrors++;
    this.hwErrors++;
  }

  recordShareOutcome(poolId: string, status: 'accepted' | 'rejected' | 'stale' | 'lost', difficulty: number, reason?: string): void {
    const p = this.pool(poolId);
    p[status]++;
    if (status === 'accepted') p.acceptedDifficulty += difficulty;
    if (status === 'rejected') p.rejectedDifficulty += difficulty;
    if (status === 'stale') p.staleDifficulty += difficulty;
    if (reason) p.reasons[reason] = (p.reasons[reason] ?? 0) + 1;
    if (status !== 'accepted') {
      const by = p.reasonsByResult[status];
      const r = reason || 'unknown';
      by[r] = (by[r] ?? 0) + 1;
    }
    p.lastShareAt = this.clock.now();
    p.lastShareDifficulty = difficulty;
  }

  recordShareFound(difficulty: number): void {
    this.sharesFound++;
    if (difficulty > this.bestShare) this.bestShare = difficulty;
  }

  chipList(): ChipStats[] {
    const out: ChipStats[] = [];
    for (const list of this.chips.values()) for (const c of list) if (c) out.push(c);
    return out.sort((a, b) => a.chain - b.chain || a.chip - b.chip);
  }

  chainIds(): number[] {
    return [...this.chains.keys()].sort((a, b) => a - b);
  }

  poolEntries(): [string, PoolShareStats][] {
    return [...this.pools.entries()];
  }

  /** Totals over every pool. */
  totals(): { accepted: number; rejected: number; stale: number; lost: number } {
    const t = { accepted: 0, rejected: 0, stale: 0, lost: 0 };
    for (const p of this.pools.values()) {
      t.accepted += p.accepted;
      t.rejected += p.rejected;
      t.stale += p.stale;
      t.lost += p.lost;
    }
    return t;
  }
}
