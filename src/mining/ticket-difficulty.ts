/**
 * The ticket difficulty a chain's chips report nonces at, chosen from the chain's nominal hashrate so that
 * the nonces it returns stay at or under a ceiling (docs/bm13xx.md "Ticket difficulty").
 *
 * A chip reports a nonce when its hash meets the ticket: at hashrate H and ticket difficulty D it returns
 * H / (D · 2^32) nonces per second on average. Every returned nonce costs a UART reply (9 or 11 bytes) and
 * a SHA-256 check on the host; every nonce not returned is a sample the hashrate meter, chain health and
 * the autotuner never see. So the ticket is the smallest power of two (register 0x14 holds a mask of
 * leading zero bits, docs/bm13xx.md "Registers") whose nonce rate stays at or under the ceiling.
 *
 * It is never above the lowest share difficulty in effect when that is known: a chip never returns a hash
 * that misses its ticket, so a ticket above the pool's share difficulty loses every share in between.
 */
import { MAX_TICKET_DIFFICULTY } from '../../drivers/asic/bm13xx/ticket-mask.js';

export { MAX_TICKET_DIFFICULTY };

/** Default ceiling of nonces per second per chain ([asic] max_nonces_per_s, docs/board.md). */
export const DEFAULT_MAX_NONCES_PER_S = 1000;

/** Register 0x14 = 0: every hash of difficulty 1 is reported; the chip cannot report less. */
export const MIN_TICKET_DIFFICULTY = 1;

const TWO_32 = 2 ** 32;

export interface TicketDifficultyInput {
  /** The chain's nominal hashrate, H/s (chips × small cores × MHz × 10^6). */
  hashrate: number;
  /** The most nonces per second the chain may return on average. */
  maxNoncesPerSecond: number;
  /**
   * Lowest pool share difficulty in effect, when known: the ticket stays at or under it, even if the
   * nonce rate then exceeds the ceiling (a lost share costs more than a busy host).
   */
  shareDifficulty?: number;
  /** Lowest ticket difficulty allowed, a power of two (default MIN_TICKET_DIFFICULTY). */
  floor?: number;
}

/** What bounded the choice: the ceiling, the floor, the share difficulty, or the register's range. */
export type TicketLimit = 'ceiling' | 'floor' | 'share-difficulty' | 'register';

export interface TicketDifficultyChoice {
  /** A power of two from MIN_TICKET_DIFFICULTY to MAX_TICKET_DIFFICULTY. */
  difficulty: number;
  /** Expected nonces per second of the chain at that difficulty. */
  noncesPerSecond: number;
  limitedBy: TicketLimit;
}

/** Expected nonces per second at `hashrate` H/s and ticket difficulty `difficulty`. */
export function expectedNoncesPerSecond(hashrate: number, difficulty: number): number {
  return hashrate / (difficulty * TWO_32);
}

/**
 * The largest power of two D at or under `shareDifficulty`. The chip reports hashes strictly below
 * 2^224 / D; a share at difficulty S has a hash at or below 0xFFFF · 2^208 / S, which is below 2^224 / D
 * whenever D ≤ S (docs/bm13xx.md "Ticket difficulty"). Below 1 the chip cannot go: shares under
 * difficulty 1 are lost whatever the ticket.
 */
export function largestTicketForShare(shareDifficulty: number): number {
  if (!(shareDifficulty >= 1)) return MIN_TICKET_DIFFICULTY;
  let d = 2 ** Math.floor(Math.log2(shareDifficulty));
  // log2 rounds: a difficulty just under a power of two can land on it.
  if (d > shareDifficulty) d /= 2;
  return Math.min(MAX_TICKET_DIFFICULTY, d);
}

/** The smallest power of two D ≥ 1 with expectedNoncesPerSecond(hashrate, D) ≤ max, within the register. */
function smallestMeetingCeiling(hashrate: number, max: number): number {
  let k = Math.max(0, Math.ceil(Math.log2(hashrate / (TWO_32 * max))));
  // log2 of a quotient can land one off either way in floating point: settle on the exact comparison.
  while (k < 32 && expectedNoncesPerSecond(hashrate, 2 ** k) > max) k++;
  while (k > 0 && expectedNoncesPerSecond(hashrate, 2 ** (k - 1)) <= max) k--;
  return Math.min(2 ** k, MAX_TICKET_DIFFICULTY);
}

/** Chooses the ticket difficulty of a chain (see the file comment). */
export function chooseTicketDifficulty(input: TicketDifficultyInput): TicketDifficultyChoice {
  const { hashrate, maxNoncesPerSecond: max } = input;
  if (!(hashrate >= 0) || !Number.isFinite(hashrate)) throw new RangeError(`hashrate must be a finite number >= 0, got ${hashrate}`);
  if (!(max > 0) || !Number.isFinite(max)) throw new RangeError(`maxNoncesPerSecond must be a finite number > 0, got ${max}`);
  const floor = input.floor ?? MIN_TICKET_DIFFICULTY;
  if (!(floor >= 1 && floor <= MAX_TICKET_DIFFICULTY) || 2 ** Math.round(Math.log2(floor)) !== floor) {
    throw new RangeError(`floor must be a power of two from 1 to 2^32, got ${floor}`);
  }
  let d = smallestMeetingCeiling(hashrate, max);
  let limitedBy: TicketLimit = 'ceiling';
  if (expectedNoncesPerSecond(hashrate, d) > max) limitedBy = 'register';
  if (d <= floor) {
    d = floor;
    limitedBy = 'floor';
  }
  if (input.shareDifficulty !== undefined) {
    const cap = largestTicketForShare(input.shareDifficulty);
    if (d > cap) {
      d = cap;
      limitedBy = 'share-difficulty';
    }
  }
  return { difficulty: d, noncesPerSecond: expectedNoncesPerSecond(hashrate, d), limitedBy };
}

/** A chain's nominal hashrate, H/s: chips × small cores × MHz × 10^6 (as ESP-Miner counts it). */
export function chainNominalHashrate(chips: number, smallCores: number, frequencyMhz: number): number {
  return chips * smallCores * frequencyMhz * 1e6;
}
