/**
 * The uniform Job and Share model: every upstream (Stratum V2 standard or extended channel, Stratum V1,
 * Job Declaration custom jobs, solo) turns its work into `Job`s, and every verified nonce comes back as a
 * `Share`. The mining pipeline (src/mining) only knows these types.
 *
 * A Job is immutable. It carries everything a share of it is judged and sent with: its share target,
 * its version-rolling rule (`versionMask`) and a handle of the upstream that issued it. When a pool
 * changes any of these (SV2 SetTarget, SV1 set_difficulty, a new version mask), the upstream issues new
 * Jobs; nothing rewrites a Job that units are already out for. (sv2-spec 5.3.21 "SetTarget": the new
 * target applies to jobs received afterwards and to future jobs not yet activated, never to active ones.)
 */
import type { ShareCode } from './share-code.js';

/** Which upstream produced a job and will take its shares. */
export interface JobSource {
  /** Stable id of the pool entry (config name or URL). */
  poolId: string;
  protocol: 'sv2' | 'sv1' | 'jd' | 'solo';
  /** SV2 channel the job belongs to. */
  channelId?: number;
}

/** Header-only work (SV2 standard channel): the merkle root is fixed by the pool. */
export interface HeaderOnlyWork {
  kind: 'header';
  /** Internal byte order. */
  merkleRoot: Uint8Array;
}

/**
 * Coinbase work (SV1, SV2 extended channel, JD): the miner rolls `extranonceSize` bytes between
 * `coinbasePrefix` and `coinbaseSuffix` and rebuilds the merkle root.
 * SV1: prefix = coinb1 | extranonce1, suffix = coinb2, extranonceSize = extranonce2_size.
 * SV2: prefix = coinbase_tx_prefix | extranonce_prefix, suffix = coinbase_tx_suffix, extranonceSize = extranonce_size.
 * Prefix and suffix may carry BIP141 fields; src/work/coinbase.ts strips them for the txid.
 */
export interface CoinbaseWork {
  kind: 'coinbase';
  coinbasePrefix: Uint8Array;
  coinbaseSuffix: Uint8Array;
  extranonceSize: number;
  /** Siblings of the coinbase txid, deepest first, internal byte order. */
  merkleBranch: Uint8Array[];
}

/**
 * The upstream that issued a job: its shares go back through it (architecture principle 8). The pool
 * manager routes by this handle, so a share of a job from a connection that is gone is never sent on
 * another one.
 */
export interface JobIssuer {
  /** Pool id (config name or URL), as in `JobSource.poolId`. */
  readonly id: string;
  /** Sends a verified share of one of this upstream's jobs; resolves with what became of it. */
  submit(share: Share): Promise<ShareOutcome>;
  /**
   * Publishes a block found on one of its jobs at once, even a job replaced since (Job Declaration: the
   * miner's own node); true when it went somewhere that publishes it. Upstreams without their own node
   * leave it out: the pool publishes the block it accepts.
   */
  publishBlock?(share: Share): boolean;
}

export interface Job {
  /** The upstream's job id, as the upstream will want it back (SV2 u32 as decimal, SV1 string). */
  readonly id: string;
  readonly source: Readonly<JobSource>;
  /** The upstream that issued the job and takes its shares. */
  readonly upstream: JobIssuer;
  /** Internal byte order. */
  readonly prevHash: Uint8Array;
  readonly version: number;
  /** Bits of `version` the miner may roll (0 = fixed version). */
  readonly versionMask: number;
  readonly nbits: number;
  /** ntime to start from (SV2 min_ntime, SV1 notify ntime). */
  readonly ntime: number;
  /**
   * When true the miner may advance ntime by the whole seconds elapsed since `receivedAt`
   * (SV2 spec: ntime <= min_ntime + seconds since the job became active).
   */
  readonly ntimeRolling: boolean;
  /**
   * Share target of this job for its whole life (hash as little-endian integer must be <= this): the
   * target in force when the job became active.
   */
  readonly target: bigint;
  /** True when this job invalidates every earlier one (new prev hash / clean_jobs). */
  readonly clean: boolean;
  /** Clock time (ms) at which the job became active. */
  readonly receivedAt: number;
  readonly work: HeaderOnlyWork | CoinbaseWork;
}

/** A verified nonce that meets its job's share target. */
export interface Share {
  job: Job;
  /** The rolled extranonce for coinbase work (exactly `extranonceSize` bytes). */
  extranonce?: Uint8Array;
  ntime: number;
  nonce: number;
  /** Full header version, rolled bits included. */
  version: number;
  /** SHA-256d of the header, internal byte order. */
  hash: Uint8Array;
  difficulty: number;
  /** True when the hash also meets the network target (a block). */
  isBlock: boolean;
  /** Where it came from, for stats and logs. */
  origin?: { chain: number; chip: number };
  /** Clock time (ms) the nonce arrived. */
  foundAt: number;
}

/** What happened to a submitted share. */
export type ShareOutcome =
  | { status: 'accepted' }
  /** `reason` is a typed code (share-code.ts); `detail` what the pool said, when it said more. */
  | { status: 'rejected'; reason: ShareCode; detail?: string }
  | { status: 'stale'; reason: ShareCode; detail?: string }
  /** Never acknowledged: the connection dropped or the pool was switched away. */
  | { status: 'lost'; reason: 'lost-to-disconnect' | 'lost-to-switch' | 'lost-to-timeout' | 'lost-refused-job' };
