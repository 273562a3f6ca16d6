/**
 * Mines a Job on the CPU with MiningHasher: the one CPU miner, for `asic-agent probe --cpu-mine` (both
 * protocols, through src/mining/cpu-mining.ts) and for tests against lab pools at tiny difficulties. Not a hashrate source (a few MH/s at best); it proves that the work a pool
 * sends turns into shares the pool accepts.
 *
 * Search order: a step is one (extranonce, version) pair scanned over nonces 0..batch-1. Steps walk the
 * version-rolling field first (when the job has a mask, so shares carry rolled bits the way ASIC shares
 * do), then the extranonce counter. No (extranonce, version, nonce) triple repeats within a job.
 */
import { MiningHasher } from '../../src/work/sha256-engine.js';
import { hashToBigInt, nbitsToTarget, targetTopWord, difficultyOfHash } from '../../src/work/target.js';
import { incrementVersion, popcount32 } from '../../src/work/version-rolling.js';
import type { Job, Share } from '../../src/upstream/job.js';
import type { CpuMiner as CpuMinerShape, CpuMining } from '../../src/mining/cpu-mining.js';
import { shareHeader } from '../../src/mining/share-header.js';

/** Extranonce bytes for step counter `n`: big-endian in the last bytes (any fixed layout works). */
function extranonceFor(size: number, n: number): Uint8Array {
  const b = new Uint8Array(size);
  let v = n;
  for (let i = size - 1; i >= 0 && v > 0; i--) {
    b[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return b;
}

export interface ScanResult {
  shares: Share[];
  hashes: number;
}

/**
 * Scans one step of a job synchronously: `step` selects the extranonce and version, nonces
 * firstNonce..firstNonce+count-1. `now` stamps the shares' foundAt.
 */
export function scanStep(job: Job, step: number, count: number, hasher: MiningHasher, now: number, target = job.target, firstNonce = 0): ScanResult {
  const bits = popcount32(job.versionMask);
  const versions = job.versionMask === 0 ? 1 : 2 ** Math.min(bits, 16);
  const version = job.versionMask === 0 ? job.version : incrementVersion(job.version, job.versionMask, step % versions);
  const enIndex = Math.floor(step / versions);
  const extranonce = job.work.kind === 'coinbase' ? extranonceFor(job.work.extranonceSize, enIndex) : undefined;
  if (job.work.kind === 'header' && enIndex > 0) return { shares: [], hashes: 0 };
  const header = shareHeader(job, { ...(extranonce ? { extranonce } : {}), ntime: job.ntime, version, nonce: 0 });
  hasher.setHeader(header);
  const top = targetTopWord(target);
  const network = nbitsToTarget(job.nbits);
  const shares: Share[] = [];
  const hash = new Uint8Array(32);
  const end = Math.min(firstNonce + count, 2 ** 32);
  for (let nonce = firstNonce; nonce < end; nonce++) {
    if (hasher.topWord(nonce) > top) continue;
    hasher.hashBytes(nonce, hash, 0);
    const v = hashToBigInt(hash);
    if (v > target) continue;
    shares.push({
      job,
      ...(extranonce ? { extranonce } : {}),
      ntime: job.ntime,
      nonce,
      version,
      hash: hash.slice(),
      difficulty: difficultyOfHash(hash),
      isBlock: v <= network,
      foundAt: now,
    });
  }
  return { shares, hashes: end - firstNonce };
}

export interface CpuMinerOptions {
  /** Nonces per step (and per event-loop turn). Default 65 536. */
  batch?: number;
  now?: () => number;
}

/** Runs scanStep in event-loop-friendly slices on the latest job until stopped. */
export class CpuMiner implements CpuMinerShape {
  private job?: Job;
  private step = 0;
  private running = false;
  private scheduled = false;
  private readonly hasher = new MiningHasher();
  private readonly batch: number;
  private readonly now: () => number;
  hashes = 0;

  constructor(
    private readonly onShare: (s: Share) => void,
    opts: CpuMinerOptions = {},
  ) {
    this.batch = opts.batch ?? 65_536;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Mines this job, at its own target, from now on (any earlier job is dropped). */
  setJob(job: Job): void {
    this.job = job;
    this.step = 0;
    this.schedule();
  }

  clearJob(): void {
    this.job = undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
  }

  /** One slice per event-loop turn (setImmediate lets socket I/O run in between); idle without a job. */
  private schedule(): void {
    if (!this.running || this.scheduled || !this.job) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const job = this.job;
      if (!this.running || !job) return;
      const r = scanStep(job, this.step++, this.batch, this.hasher, this.now());
      this.hashes += r.hashes;
      for (const s of r.shares) this.onShare(s);
      this.schedule();
    });
  }
}

/** A rough CPU hash rate (what a probe announces as its nominal hashrate before it mines). */
export function measureCpuRate(): number {
  const h = new MiningHasher();
  h.setHeader(new Uint8Array(80));
  let n = 0;
  // Warm up first so the optimising compiler has run, then measure.
  for (const end = performance.now() + 100; performance.now() < end; ) for (let i = 0; i < 5000; i++) h.topWord(n++);
  const t0 = performance.now();
  let m = 0;
  while (performance.now() - t0 < 150) for (let i = 0; i < 5000; i++, m++) h.topWord(n++);
  return m / ((performance.now() - t0) / 1000);
}

/** The CPU miner as the probes take it. */
export const cpuMining: CpuMining = {
  miner: (onShare) => new CpuMiner(onShare),
  measureRate: measureCpuRate,
};
