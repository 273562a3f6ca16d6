/**
 * The 80-byte header a share stands for, rebuilt from its Job: for coinbase work the merkle root is
 * txid(prefix | extranonce | suffix) folded with the branch; for header-only work it is fixed.
 * Used by the CPU miner and by tests that check shares end to end; the chips' nonce verifier builds the
 * same header from the same Job.
 */
import { buildHeader } from '../work/header.js';
import { coinbaseTemplate, merkleRootForExtranonce, type CoinbaseTemplate } from '../work/coinbase.js';
import type { CoinbaseWork, Job } from '../upstream/job.js';

/** Non-witness coinbase templates, one per coinbase work object (stripping BIP141 fields costs a parse). */
const templates = new WeakMap<CoinbaseWork, CoinbaseTemplate>();

function templateOf(work: CoinbaseWork): CoinbaseTemplate {
  let t = templates.get(work);
  if (!t) {
    t = coinbaseTemplate(work.coinbasePrefix, work.extranonceSize, work.coinbaseSuffix);
    templates.set(work, t);
  }
  return t;
}

/** Merkle root (internal order) for a job and, for coinbase work, one extranonce. */
export function jobMerkleRoot(job: Job, extranonce?: Uint8Array): Uint8Array {
  if (job.work.kind === 'header') return job.work.merkleRoot;
  if (!extranonce) throw new RangeError('coinbase work needs an extranonce');
  return merkleRootForExtranonce(templateOf(job.work), extranonce, job.work.merkleBranch);
}

export interface ShareFields {
  extranonce?: Uint8Array;
  ntime: number;
  /** Full header version (rolled bits included). */
  version: number;
  nonce: number;
}

export function shareHeader(job: Job, f: ShareFields, merkleRoot = jobMerkleRoot(job, f.extranonce)): Uint8Array {
  return buildHeader({ version: f.version, prevHash: job.prevHash, merkleRoot, ntime: f.ntime, nbits: job.nbits, nonce: f.nonce });
}
