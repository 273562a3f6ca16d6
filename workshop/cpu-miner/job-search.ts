/**
 * Searching a `Job` for shares on the CPU: the reference miner behind `asic-agent probe --cpu-mine`, lab
 * tests and simulators. It builds the header exactly as a chip's work unit would be built (merkle root
 * from the coinbase and extranonce for coinbase work, rolled version and ntime) and scans a nonce range
 * with the midstate engine, keeping the nonces whose hash meets the job's target.
 */
import type { Job, Share } from '../../src/upstream/job.js';
import { buildHeader } from '../../src/work/header.js';
import { coinbaseTemplate, merkleRootForExtranonce } from '../../src/work/coinbase.js';
import { MiningHasher } from '../../src/work/sha256-engine.js';
import { difficultyOfHash, hashToBigInt, targetTopWord } from '../../src/work/target.js';
import { applyVersionBits } from '../../src/work/version-rolling.js';

export interface WorkPoint {
  /** Rolled extranonce (coinbase work only; exactly job.work.extranonceSize bytes). */
  extranonce?: Uint8Array;
  ntime: number;
  /** Rolled version bits (only bits under job.versionMask are used). */
  versionBits: number;
}

export class JobSearch {
  private readonly hasher = new MiningHasher();
  private readonly hash = new Uint8Array(32);
  private header: Uint8Array = new Uint8Array(80);
  private version = 0;
  private readonly topLimit: number;

  constructor(
    readonly job: Job,
    readonly point: WorkPoint,
  ) {
    let merkleRoot: Uint8Array;
    if (job.work.kind === 'header') merkleRoot = job.work.merkleRoot;
    else {
      const en = point.extranonce ?? new Uint8Array(job.work.extranonceSize);
      const t = coinbaseTemplate(job.work.coinbasePrefix, job.work.extranonceSize, job.work.coinbaseSuffix);
      merkleRoot = merkleRootForExtranonce(t, en, job.work.merkleBranch);
    }
    this.version = applyVersionBits(job.version, point.versionBits, job.versionMask);
    this.header = buildHeader({ version: this.version, prevHash: job.prevHash, merkleRoot, ntime: point.ntime, nbits: job.nbits, nonce: 0 });
    this.hasher.setHeader(this.header);
    this.topLimit = targetTopWord(job.target);
  }

  /** Scans `count` nonces from `start` (wrapping at 2^32) and returns the shares found. */
  scan(start: number, count: number, now: number, networkTarget?: bigint): Share[] {
    const found: Share[] = [];
    for (let i = 0; i < count; i++) {
      const nonce = (start + i) >>> 0;
      if (this.hasher.topWord(nonce) > this.topLimit) continue;
      this.hasher.hashBytes(nonce, this.hash);
      const value = hashToBigInt(this.hash);
      if (value > this.job.target) continue;
      found.push({
        job: this.job,
        ...(this.point.extranonce ? { extranonce: this.point.extranonce.slice() } : {}),
        ntime: this.point.ntime,
        nonce,
        version: this.version,
        hash: this.hash.slice(),
        difficulty: difficultyOfHash(this.hash),
        isBlock: networkTarget !== undefined && value <= networkTarget,
        foundAt: now,
      });
    }
    return found;
  }

  /** The 80-byte header with nonce 0 (for tests). */
  headerTemplate(): Uint8Array {
    return this.header.slice();
  }
}
