/**
 * The ticket difficulty of a board's chains, and the check that a job's share difficulty stays at or above
 * it (docs/bm13xx.md "Ticket difficulty").
 *
 * At bring-up the ticket comes from the config: `[asic] ticket_difficulty` pins it; else (for a simulated
 * board, a `[sim] ticket_difficulty`) the smallest power of two that keeps the chain's nominal hashrate
 * under `[asic] max_nonces_per_s`: chips × small cores × the configured MHz, or × the board's
 * max_frequency_mhz when the autotuner may raise the clocks. No pool difficulty is known then, so a pool
 * that later asks for shares below a chain's ticket loses the shares in between: the chips never return
 * them. The agent warns of that when a job or a chain comes up (TicketShareCheck).
 */
import { chipTicketBound } from '../../drivers/asic/bm13xx/ticket-mask.js';
import { familyByName } from '../../drivers/asic/bm13xx/family.js';
import type { RunConfig } from '../config/run-config.js';
import { targetToDifficulty } from '../work/target.js';
import { chainNominalHashrate, chooseTicketDifficulty, expectedNoncesPerSecond, type TicketDifficultyChoice } from '../mining/ticket-difficulty.js';

/** Where a chain's ticket difficulty came from (for the log). */
export type TicketSource = 'asic.ticket_difficulty' | 'sim.ticket_difficulty' | 'max_nonces_per_s';

export interface ChainTicket {
  /** Register 0x14's difficulty, a power of two. */
  difficulty: number;
  /** Expected nonces per second of one chain at its nominal hashrate. */
  noncesPerSecond: number;
  /** The chain's nominal hashrate the choice was made for, H/s. */
  hashrate: number;
  source: TicketSource;
  /** What bounded a choice from max_nonces_per_s. */
  limitedBy?: TicketDifficultyChoice['limitedBy'];
}

/** The ticket difficulty every chain of the config's board is brought up with (register 0x14). */
export function chainTicket(cfg: RunConfig): ChainTicket {
  const a = cfg.board.asic;
  // The autotuner may clock chips up to max_frequency_mhz: the ceiling holds there too.
  const mhz = cfg.agent.tuning.enabled ? Math.max(cfg.frequencyMhz, a.max_frequency_mhz) : cfg.frequencyMhz;
  const hashrate = chainNominalHashrate(a.chips, familyByName(a.family).smallCores, mhz);
  const pinned = a.ticket_difficulty ?? cfg.board.sim?.ticket_difficulty;
  if (pinned !== undefined) {
    // Register 0x14 takes a power of two (docs/bm13xx.md "Registers"); [sim] takes any number >= 1.
    const d = 2 ** Math.floor(Math.log2(Math.max(1, pinned)));
    const source = a.ticket_difficulty !== undefined ? 'asic.ticket_difficulty' : 'sim.ticket_difficulty';
    return { difficulty: d, noncesPerSecond: expectedNoncesPerSecond(hashrate, d), hashrate, source };
  }
  const c = chooseTicketDifficulty({ hashrate, maxNoncesPerSecond: a.max_nonces_per_s });
  return { difficulty: c.difficulty, noncesPerSecond: c.noncesPerSecond, hashrate, source: 'max_nonces_per_s', limitedBy: c.limitedBy };
}

/**
 * True when a share at `shareTarget` could miss a chip's ticket at `ticketDifficulty`: the chip reports only
 * hashes below 2^224 / D, and a share is any hash at or below its target.
 */
export function ticketAboveShares(shareTarget: bigint, ticketDifficulty: number): boolean {
  return shareTarget >= chipTicketBound(ticketDifficulty);
}

/** Chains whose ticket is above a job's share difficulty, reported once per share target and set of chains. */
export interface TicketAboveShares {
  shareDifficulty: number;
  /** Indexes of the chains, and their effective ticket difficulties. */
  chains: number[];
  tickets: number[];
}

/** Remembers what it last reported, so that a pool's every job (or every chain coming up) does not warn again. */
export class TicketShareCheck {
  private last: string | undefined;

  /** `tickets[i]`: chain i's effective ticket difficulty, undefined while it is not up. */
  check(shareTarget: bigint, tickets: readonly (number | undefined)[]): TicketAboveShares | undefined {
    const chains: number[] = [];
    tickets.forEach((t, i) => {
      if (t !== undefined && ticketAboveShares(shareTarget, t)) chains.push(i);
    });
    const key = `${shareTarget}:${chains.join(',')}`;
    if (chains.length === 0 || key === this.last) return undefined;
    this.last = key;
    return { shareDifficulty: targetToDifficulty(shareTarget), chains, tickets: chains.map((i) => tickets[i] as number) };
  }
}
