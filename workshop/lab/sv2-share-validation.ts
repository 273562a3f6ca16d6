/**
 * Pool-side validation of one SV2 share (spec 05-Mining-Protocol 5.3.12-5.3.14), by SHA-256, with
 * SRI's SubmitShares.Error codes. Pure: the caller (the lab pool core, and later the lab JDS/pool pair)
 * looks the job up, keeps the duplicate set and does the accounting.
 *
 * Checks, in order: extranonce size (extended) -> version bits -> ntime window -> hash (duplicate,
 * channel target) -> block (network target).
 */
import { concatBytes } from '../../src/work/bytes.js';
import { buildHeader, headerHash } from '../../src/work/header.js';
import { merkleRootFromBranch } from '../../src/work/merkle.js';
import { coinbaseTxid } from '../../src/work/coinbase.js';
import { difficultyOfHash, hashToBigInt } from '../../src/work/target.js';
import { versionWithinMask } from '../../src/work/version-rolling.js';

/** Bitcoin's consensus allows block times up to 2 hours ahead of network-adjusted time. */
export const MAX_FUTURE_NTIME_SECONDS = 7200;

/** What the pool remembers about a job it sent. */
export interface PoolJobView {
  jobId: number;
  /** A job the miner declared (SetCustomMiningJob): its nbits is the block target. */
  custom?: boolean;
  version: number;
  /** False: the version must be sent unchanged (NewExtendedMiningJob.version_rolling_allowed). */
  versionRollingAllowed: boolean;
  prevHash: Uint8Array;
  nbits: number;
  /** The smallest ntime allowed (job min_ntime or the SetNewPrevHash min_ntime). */
  minNtime: number;
  /** Standard jobs: the merkle root sent. */
  merkleRoot?: Uint8Array;
  /** Extended jobs: the coinbase around the full extranonce, and the branch. */
  coinbase?: { txPrefix: Uint8Array; extranoncePrefix: Uint8Array; txSuffix: Uint8Array; merklePath: Uint8Array[] };
}

export interface ShareSubmission {
  nonce: number;
  ntime: number;
  version: number;
  /** Extended channels: the client-rolled part of the extranonce. */
  extranonce?: Uint8Array;
}

export interface ShareRules {
  /** Share target of the job (the channel target in force when the job became active, spec 5.3.21). */
  target: bigint;
  /** Target a hash must meet to be a block. */
  networkTarget: bigint;
  /** Version bits miners may roll (BIP320 by default); 0 with REQUIRES_FIXED_VERSION. */
  versionMask: number;
  /** Extended channels: bytes the client must roll. */
  extranonceSize?: number;
  /** Wall-clock Unix seconds. */
  nowSeconds: number;
  /** Hashes already accepted since the last prev hash (hex). */
  seen: ReadonlySet<string>;
}

export type ShareVerdict =
  | { ok: true; hash: Uint8Array; hashHex: string; difficulty: number; isBlock: boolean; header: Uint8Array; coinbase?: Uint8Array }
  | { ok: false; code: string; detail: string; hash?: Uint8Array };

export function validateShare(job: PoolJobView, s: ShareSubmission, rules: ShareRules): ShareVerdict {
  let merkleRoot: Uint8Array;
  let coinbase: Uint8Array | undefined;
  if (job.coinbase) {
    const en = s.extranonce ?? new Uint8Array(0);
    if (en.length !== (rules.extranonceSize ?? 0)) {
      return { ok: false, code: 'bad-extranonce-size', detail: `extranonce of ${en.length} bytes, channel rolls ${rules.extranonceSize ?? 0}` };
    }
    coinbase = concatBytes(job.coinbase.txPrefix, job.coinbase.extranoncePrefix, en, job.coinbase.txSuffix);
    // The txid is over the non-witness form (coinbaseTxid strips BIP141 fields if a job carries them,
    // as custom jobs declared through JD do).
    let txid: Uint8Array;
    try {
      txid = coinbaseTxid(coinbase);
    } catch {
      return { ok: false, code: 'invalid-share', detail: 'the coinbase with this extranonce is not a transaction' };
    }
    merkleRoot = merkleRootFromBranch(txid, job.coinbase.merklePath);
  } else if (job.merkleRoot) {
    merkleRoot = job.merkleRoot;
  } else {
    throw new Error(`job ${job.jobId} has neither a merkle root nor a coinbase`);
  }

  const mask = job.versionRollingAllowed ? rules.versionMask : 0;
  if (s.version >>> 0 !== job.version >>> 0) {
    if (mask === 0)
      return { ok: false, code: 'version-rolling-not-allowed', detail: `version ${hex32(s.version)} differs from the job's ${hex32(job.version)}` };
    if (!versionWithinMask(job.version, s.version, mask)) {
      return { ok: false, code: 'invalid-non-rollable-version-bit', detail: `version ${hex32(s.version)} changes bits outside ${hex32(mask)}` };
    }
  }

  if (s.ntime < job.minNtime) return { ok: false, code: 'invalid-share', detail: `ntime ${s.ntime} before min_ntime ${job.minNtime}` };
  if (s.ntime > Math.max(job.minNtime, rules.nowSeconds) + MAX_FUTURE_NTIME_SECONDS) {
    return { ok: false, code: 'invalid-share', detail: `ntime ${s.ntime} is more than 2 hours in the future` };
  }

  const header = buildHeader({ version: s.version >>> 0, prevHash: job.prevHash, merkleRoot, ntime: s.ntime, nbits: job.nbits, nonce: s.nonce >>> 0 });
  const hash = headerHash(header);
  const hashHex = hexOf(hash);
  if (rules.seen.has(hashHex)) return { ok: false, code: 'duplicate-share', detail: 'share already accepted', hash };
  const value = hashToBigInt(hash);
  if (value > rules.target)
    return { ok: false, code: 'difficulty-too-low', detail: `share difficulty ${difficultyOfHash(hash).toPrecision(6)} below the job's target`, hash };
  return { ok: true, hash, hashHex, difficulty: difficultyOfHash(hash), isBlock: value <= rules.networkTarget, header, ...(coinbase ? { coinbase } : {}) };
}

function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}

function hexOf(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
