/**
 * Hop 6 of the share path (docs/architecture.md): a NonceReport -> mask, hash, ticket, target, duplicate
 * and staleness, each checked once, here -> a hardware error, a ticket-only nonce, or a Share.
 *
 * - mask: the version the chip hashed may differ from the unit's only in the unit's roll mask;
 * - hash and ticket: SHA-256d of the unit's header fields with that version and nonce must meet the
 *   difficulty the chips report at (a nonce whose recomputed hash fails it is a hardware error:
 *   docs/agent.md "Nonces, shares and blocks");
 * - target: a valid nonce whose hash also meets its Job's own target is a share (and a block when it
 *   meets the network target);
 * - duplicate: a nonce already seen is dropped (DuplicateFilter);
 * - staleness: a share of a job its pool has replaced since (a new prev hash, or too many newer jobs)
 *   is built but marked stale, with the reason: it is counted, never sent (JobBook).
 *
 * This runs for every nonce (tens of thousands per second on an S19-class board), so the header scratch
 * is reused, targets are compared as 32-bit limbs computed once per target, and nothing is allocated
 * unless a share is found.
 */
import type { LocalShareCode } from '../upstream/share-code.js';
import type { Job, Share } from '../upstream/job.js';
import { writeU32LE } from '../work/bytes.js';
import { HeaderOffset } from '../work/header.js';
import { difficultyOfHashWords, midstate, MiningHasher } from '../work/sha256-engine.js';
import { difficultyToTarget, hashWordsMeetTarget, nbitsToTarget, targetLimbs } from '../work/target.js';
import type { DuplicateFilter } from './duplicate-filter.js';
import type { JobBook } from './job-book.js';
import { popcount32 } from '../work/version-rolling.js';
import type { NonceReport, WorkUnit } from './work-unit.js';

/**
 * Units whose chips hash at most this many versions (BM1397's four midstates) keep the midstate of each
 * version: their nonces then skip the first SHA-256 block. Units rolled in the chip (up to 2^16
 * versions) rarely see a version twice, so theirs is computed per nonce.
 */
const CACHED_VERSION_BITS = 2;

/**
 * What one nonce report is. `late`: it matched an earlier unit that held its chip job id moments before,
 * not the unit the id names now (a late nonce: valid, never a hardware error).
 */
export type NonceVerdict =
  | { kind: 'hw-error'; reason: 'version-outside-mask' | 'below-ticket'; difficulty: number }
  /** Valid for the chip's ticket but below the job's target. */
  | { kind: 'ticket'; difficulty: number; late: boolean }
  /**
   * The same nonce again: `of` 'nonce' for a repeated reply of the same unit (dropped: it proves nothing),
   * 'share' for a share of a re-issued copy of its job (a valid nonce whose share is not sent twice).
   */
  | { kind: 'duplicate'; of: 'nonce' | 'share'; difficulty: number; late: boolean }
  /** A share; `stale` says why it can no longer be submitted (undefined: it can). */
  | { kind: 'share'; share: Share; stale: LocalShareCode | undefined; late: boolean };

export class NonceCheck {
  private readonly hasher = new MiningHasher({ simd: false });
  private readonly header = new Uint8Array(80);
  /** The unit whose fields are in `header` now (only the version changes between its nonces). */
  private headerUnit: WorkUnit | undefined;
  /** Its midstates by version, when it has few versions (CACHED_VERSION_BITS). */
  private headerMids: Map<number, Uint32Array> | undefined;
  private readonly mids = new WeakMap<WorkUnit, Map<number, Uint32Array>>();
  /** Header bytes 64..75 (merkle-root tail, ntime, nbits) of `headerUnit`. */
  private readonly tail = this.header.subarray(64, 76);
  private readonly networkLimbs = new Map<number, Uint32Array>();
  private readonly jobLimbs = new WeakMap<Job, Uint32Array>();
  private ticketDifficulty = 0;
  private ticketLimbs: Uint32Array = new Uint32Array(8);

  constructor(
    private readonly duplicates: DuplicateFilter,
    private readonly jobs: JobBook,
  ) {}

  /** The difficulty the chips report at (the ticket mask, or a simulator's): a valid nonce's hash meets it. */
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
    let l = this.jobLimbs.get(job);
    if (l === undefined) {
      l = targetLimbs(job.target);
      this.jobLimbs.set(job, l);
    }
    return l;
  }

  /** Mask, hash and ticket of one nonce; the hash words stay in the hasher for `judge`. */
  private hash(unit: WorkUnit, version: number, nonce: number): number | 'version-outside-mask' | 'below-ticket' {
    if (((unit.version ^ version) & ~unit.rollMask) !== 0) return 'version-outside-mask';
    const h = this.header;
    if (this.headerUnit !== unit) {
      this.headerUnit = unit;
      h.set(unit.prevHash, HeaderOffset.prevHash);
      h.set(unit.merkleRoot, HeaderOffset.merkleRoot);
      writeU32LE(h, HeaderOffset.ntime, unit.ntime);
      writeU32LE(h, HeaderOffset.nbits, unit.nbits);
      this.headerMids = undefined;
      if (popcount32(unit.rollMask) <= CACHED_VERSION_BITS) {
        this.headerMids = this.mids.get(unit);
        if (!this.headerMids) this.mids.set(unit, (this.headerMids = new Map()));
      }
    }
    writeU32LE(h, HeaderOffset.version, version);
    const mids = this.headerMids;
    if (mids) {
      let mid = mids.get(version);
      if (!mid) {
        mid = midstate(h);
        mids.set(version, mid);
      }
      this.hasher.setMidstate(mid, this.tail);
    } else {
      this.hasher.setHeader(h);
    }
    const words = this.hasher.hash(nonce);
    if (!hashWordsMeetTarget(words, this.ticketLimbs)) return 'below-ticket';
    return difficultyOfHashWords(words);
  }

  /**
   * Checks a nonce report of chain `chain` against its unit and, when it fails there, against the earlier
   * units that held the same chip job id moments before (a late nonce).
   */
  check(n: NonceReport, chain: number): NonceVerdict {
    const nonce = n.nonce;
    let u = n.unit;
    let v = n.version;
    let late = false;
    let r = this.hash(u, v, nonce);
    if (typeof r !== 'number' && n.earlier) {
      for (const e of n.earlier) {
        const x = this.hash(e.unit, e.version, nonce);
        if (typeof x !== 'number') continue;
        u = e.unit;
        v = e.version;
        r = x;
        late = true;
        break;
      }
    }
    if (typeof r !== 'number') return { kind: 'hw-error', reason: r, difficulty: 0 };
    const difficulty = r;
    const words = this.hasher.words;
    const job = u.job;
    const isShare = hashWordsMeetTarget(words, this.shareLimbs(job));
    const dup = this.duplicates.seen(u, v, nonce, isShare);
    if (dup) return { kind: 'duplicate', of: dup, difficulty, late };
    if (!isShare) return { kind: 'ticket', difficulty, late };
    const hash = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
      const x = words[i] as number;
      hash[i * 4] = x >>> 24;
      hash[i * 4 + 1] = x >>> 16;
      hash[i * 4 + 2] = x >>> 8;
      hash[i * 4 + 3] = x;
    }
    const share: Share = {
      job,
      ntime: u.ntime,
      nonce,
      version: v,
      hash,
      difficulty,
      isBlock: hashWordsMeetTarget(words, this.network(job.nbits)),
      origin: { chain, chip: n.chip },
      foundAt: n.at,
    };
    if (u.extranonce) share.extranonce = u.extranonce;
    return { kind: 'share', share, stale: this.jobs.staleReason(job), late };
  }
}
