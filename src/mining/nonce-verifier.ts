/**
 * The nonce path's core: a nonce a chip returned for a work unit -> the header it hashed -> SHA-256d
 * from the midstate -> hardware error, ticket-only nonce, share, or block.
 *
 * A nonce is a hardware error when its version changes bits outside the unit's roll mask, or when its
 * hash does not meet the ticket difficulty the chip was told to report (bm13xx.md §7: "count a nonce whose
 * recomputed hash fails the ticket difficulty as a HW error"). Otherwise it is a valid nonce and counts
 * toward the measured hashrate; it becomes a share when it also meets the job's target.
 */
import type { Share } from '../upstream/job.js';
import { writeU32LE } from '../work/bytes.js';
import { MiningHasher } from '../work/sha256-engine.js';
import { difficultyToTarget, nbitsToTarget, u256LeToBigInt } from '../work/target.js';
import { versionWithinMask } from '../work/version-rolling.js';
import type { WorkUnit } from './work-unit.js';

export type NonceVerdict =
  | { kind: 'hw-error'; reason: 'version-outside-mask' | 'below-ticket'; difficulty: number }
  /** Valid for the chip's ticket but below the pool target. */
  | { kind: 'ticket'; difficulty: number }
  | { kind: 'share'; share: Share };

export class NonceVerifier {
  private readonly hasher = new MiningHasher({ simd: false });
  private readonly header = new Uint8Array(80);
  private readonly hash = new Uint8Array(32);
  private readonly networkTargets = new Map<number, bigint>();

  /**
   * @param ticketDifficulty the difficulty the chips report at (the ticket mask, or the simulator's
   *        sim-only difficulty): a valid nonce's hash must meet it.
   */
  constructor(private ticketDifficulty: number) {}

  setTicketDifficulty(d: number): void {
    this.ticketDifficulty = d;
  }

  private networkTarget(nbits: number): bigint {
    let t = this.networkTargets.get(nbits);
    if (t === undefined) {
      t = nbitsToTarget(nbits);
      if (this.networkTargets.size > 64) this.networkTargets.clear();
      this.networkTargets.set(nbits, t);
    }
    return t;
  }

  verify(unit: WorkUnit, version: number, nonce: number, foundAt: number, origin?: { chain: number; chip: number }): NonceVerdict {
    if (!versionWithinMask(unit.versionBase, version, unit.rollMask)) {
      return { kind: 'hw-error', reason: 'version-outside-mask', difficulty: 0 };
    }
    const h = this.header;
    h.set(unit.header);
    writeU32LE(h, 0, version);
    writeU32LE(h, 76, nonce);
    this.hasher.setHeader(h);
    this.hasher.hashBytes(nonce, this.hash);
    const value = u256LeToBigInt(this.hash);
    const difficulty = this.hasher.difficulty(nonce);
    // Compare exactly against the ticket target; a float comparison could misjudge the boundary.
    if (value > difficultyToTarget(this.ticketDifficulty)) return { kind: 'hw-error', reason: 'below-ticket', difficulty };
    if (value > unit.job.target) return { kind: 'ticket', difficulty };
    const share: Share = {
      job: unit.job,
      ntime: unit.ntime,
      nonce,
      version,
      hash: this.hash.slice(),
      difficulty,
      isBlock: value <= this.networkTarget(unit.job.nbits),
      foundAt,
    };
    if (unit.extranonce) share.extranonce = unit.extranonce;
    if (origin) share.origin = origin;
    return { kind: 'share', share };
  }
}

/** The target of a U256 little-endian hash value, exported for tests that check boundaries. */
export const hashValue = u256LeToBigInt;
