/**
 * The nonce path's core: a nonce a chip returned for a work unit -> the header it hashed -> SHA-256d
 * from the midstate -> hardware error, ticket-only nonce, share, or block.
 *
 * A nonce is a hardware error when its version changes bits outside the unit's roll mask, or when its
 * hash does not meet the ticket difficulty the chip was told to report (docs/bm13xx.md
 * "Failures and recovery"). Otherwise it is a valid nonce and counts
 * toward the measured hashrate; it becomes a share when it also meets the job's target.
 *
 * This runs for every nonce (thousands per second on a big board), so targets are compared as 32-bit
 * limbs computed once per target, and nothing is allocated unless a share is found.
 */
import type { Job, Share } from '../upstream/job.js';
import { writeU32LE } from '../work/bytes.js';
import { difficultyOfHashWords, MiningHasher } from '../work/sha256-engine.js';
import { difficultyToTarget, hashWordsMeetTarget, nbitsToTarget, targetLimbs } from '../work/target.js';
import { versionWithinMask } from '../work/version-rolling.js';
import type { WorkUnit } from './work-unit.js';

export type NonceVerdict =
  | { kind: 'hw-error'; reason: 'version-outside-mask' | 'below-ticket'; difficulty: number }
  /** Valid for the chip's ticket but below the pool target. */
  | { kind: 'ticket'; difficulty: number }
  | { kind: 'share'; share: Share };

/** A job's share target as limbs, recomputed only when the job's target changes (SetTarget). */
interface JobLimbs {
  target: bigint;
  limbs: Uint32Array;
}

export class NonceVerifier {
  private readonly hasher = new MiningHasher({ simd: false });
  private readonly header = new Uint8Array(80);
  private readonly networkLimbs = new Map<number, Uint32Array>();
  private readonly jobLimbs = new WeakMap<Job, JobLimbs>();
  private ticketDifficulty = 0;
  private ticketLimbs: Uint32Array = new Uint32Array(8);

  /**
   * @param ticketDifficulty the difficulty the chips report at (the ticket mask, or the simulator's
   *        sim-only difficulty): a valid nonce's hash must meet it.
   */
  constructor(ticketDifficulty: number) {
    this.setTicketDifficulty(ticketDifficulty);
  }

  setTicketDifficulty(d: number): void {
    if (d === this.ticketDifficulty) return;
    this.ticketDifficulty = d;
    this.ticketLimbs = targetLimbs(difficultyToTarget(d));
  }

  private network(nbits: number): Uint32Array {
    let l = this.networkLimbs.get(nbits);
    if (l === undefined) {
      l = targetLimbs(nbitsToTarget(nbits));
      if (this.networkLimbs.size > 64) this.networkLimbs.clear();
      this.networkLimbs.set(nbits, l);
    }
    return l;
  }

  private shareLimbs(job: Job): Uint32Array {
    let j = this.jobLimbs.get(job);
    if (j === undefined || j.target !== job.target) {
      j = { target: job.target, limbs: targetLimbs(job.target) };
      this.jobLimbs.set(job, j);
    }
    return j.limbs;
  }

  verify(unit: WorkUnit, version: number, nonce: number, foundAt: number, origin?: { chain: number; chip: number }): NonceVerdict {
    if (!versionWithinMask(unit.versionBase, version, unit.rollMask)) {
      return { kind: 'hw-error', reason: 'version-outside-mask', difficulty: 0 };
    }
    const h = this.header;
    h.set(unit.header);
    writeU32LE(h, 0, version);
    this.hasher.setHeader(h);
    const words = this.hasher.hash(nonce);
    const difficulty = difficultyOfHashWords(words);
    if (!hashWordsMeetTarget(words, this.ticketLimbs)) return { kind: 'hw-error', reason: 'below-ticket', difficulty };
    if (!hashWordsMeetTarget(words, this.shareLimbs(unit.job))) return { kind: 'ticket', difficulty };
    const hash = new Uint8Array(32);
    this.hasher.hashBytes(nonce, hash);
    const share: Share = {
      job: unit.job,
      ntime: unit.ntime,
      nonce,
      version,
      hash,
      difficulty,
      isBlock: hashWordsMeetTarget(words, this.network(unit.job.nbits)),
      foundAt,
    };
    if (unit.extranonce) share.extranonce = unit.extranonce;
    if (origin) share.origin = origin;
    return { kind: 'share', share };
  }
}
