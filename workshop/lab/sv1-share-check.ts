/**
 * How the lab Stratum V1 pool judges one mining.submit, as a pure function: rebuild the coinbase,
 * merkle root and header from the pool's own record of the job, hash it, compare with the share target.
 * Error codes follow slush's table (20 other, 21 job not found, 22 duplicate, 23 low difficulty,
 * 24 unauthorized, 25 not subscribed); duplicates and stale jobs are the pool's business (it keeps
 * the state), everything that depends only on the share is here.
 */
import { fromHex } from '../../src/work/bytes.js';
import { prevHashFromStratumV1 } from '../../src/work/byte-order.js';
import { assembleSv1Coinbase, coinbaseTxid } from '../../src/work/coinbase.js';
import { buildHeader, headerHash } from '../../src/work/header.js';
import { merkleRootFromBranch } from '../../src/work/merkle.js';
import { difficultyOfHash, difficultyToTarget, hashToBigInt, nbitsToTarget } from '../../src/work/target.js';
import type { SubmitParams } from '../../src/upstream/sv1/miner-messages.js';

/** Bitcoin Core's MAX_FUTURE_BLOCK_TIME (validation.h): a block may be at most two hours ahead. */
export const MAX_NTIME_AHEAD_S = 7200;

export interface LabV1Job {
  id: string;
  /** Stratum order, as sent in mining.notify. */
  prevHashStratum: Uint8Array;
  coinb1: Uint8Array;
  coinb2: Uint8Array;
  merkleBranch: Uint8Array[];
  version: number;
  nbits: number;
  ntime: number;
}

export interface ShareCheckInput {
  job: LabV1Job;
  extranonce1: Uint8Array;
  extranonce2Size: number;
  /** Mask granted to this connection; 0 when version rolling was not negotiated. */
  versionMask: number;
  /** Difficulty the job was issued at. */
  difficulty: number;
  submit: SubmitParams;
}

export type ShareCheck =
  | { ok: true; hash: Uint8Array; header: Uint8Array; shareDifficulty: number; isBlock: boolean }
  | { ok: false; code: number; message: string };

export function checkSv1Share(i: ShareCheckInput): ShareCheck {
  const s = i.submit;
  if (s.extranonce2.length !== i.extranonce2Size * 2) {
    return { ok: false, code: 20, message: `invalid extranonce2 size (${s.extranonce2.length / 2} bytes, expected ${i.extranonce2Size})` };
  }
  if (s.ntime < i.job.ntime) return { ok: false, code: 20, message: 'ntime too old' };
  if (s.ntime > i.job.ntime + MAX_NTIME_AHEAD_S) return { ok: false, code: 20, message: 'ntime too new' };
  let version = i.job.version;
  if (s.versionBits !== undefined) {
    if (i.versionMask === 0) return { ok: false, code: 20, message: 'version rolling not negotiated' };
    // BIP310: version_bits & ~last_mask == 0, nVersion = (job_version & ~last_mask) | (version_bits & last_mask).
    if ((s.versionBits & ~i.versionMask) !== 0) return { ok: false, code: 20, message: 'version bits outside the mask' };
    version = ((i.job.version & ~i.versionMask) | (s.versionBits & i.versionMask)) >>> 0;
  }
  const coinbase = assembleSv1Coinbase(i.job.coinb1, i.extranonce1, fromHex(s.extranonce2), i.job.coinb2);
  const root = merkleRootFromBranch(coinbaseTxid(coinbase), i.job.merkleBranch);
  const header = buildHeader({
    version,
    prevHash: prevHashFromStratumV1(i.job.prevHashStratum),
    merkleRoot: root,
    ntime: s.ntime,
    nbits: i.job.nbits,
    nonce: s.nonce,
  });
  const hash = headerHash(header);
  const value = hashToBigInt(hash);
  if (value > difficultyToTarget(i.difficulty)) {
    return { ok: false, code: 23, message: `low difficulty share (${difficultyOfHash(hash).toPrecision(4)} < ${i.difficulty})` };
  }
  return { ok: true, hash, header, shareDifficulty: difficultyOfHash(hash), isBlock: value <= nbitsToTarget(i.job.nbits) };
}

/** Key that identifies a share for duplicate detection. */
export function shareKey(s: SubmitParams): string {
  return `${s.jobId}/${s.extranonce2}/${s.ntime}/${s.nonce}/${s.versionBits ?? ''}`;
}
