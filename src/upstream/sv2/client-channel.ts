/**
 * One mining channel as the client sees it (spec 05-Mining-Protocol 5.3): its parameters, the jobs the
 * pool announced, and which of them are active. Pure state: messages in, `Job`s out, no I/O.
 *
 * Job lifecycle (sv2-spec @ 0f38d51, 05-Mining-Protocol.md 5.3.15-5.3.17, 5.3.21):
 * - a job without min_ntime is a *future* job: kept (bounded store) until a SetNewPrevHash names it;
 * - SetNewPrevHash activates the job it names (a clean job) and invalidates every other job;
 * - a job with min_ntime is active at once on the current prev hash (not clean: older jobs stay valid);
 * - a job's share target is the channel target in force when it becomes active, for good: SetTarget
 *   applies to jobs received afterwards and to future jobs not yet activated, not to active ones.
 * Standard channels get header-only work; extended channels get coinbase work the client rolls the
 * extranonce of. A standard channel that receives NewExtendedMiningJob through its group channel
 * builds the merkle root itself with its extranonce_prefix (spec 5.2, standard channels in groups).
 */
import type { Job, JobIssuer, JobSource } from '../job.js';
import { concatBytes } from '../../work/bytes.js';
import { coinbaseTemplate } from '../../work/coinbase.js';
import { merkleRootFromBranch } from '../../work/merkle.js';
import { sha256d } from '../../work/sha256d.js';
import type { NewExtendedMiningJobMsg, NewMiningJobMsg, SetNewPrevHashMsg } from './messages/mining.js';

/** Bounded stores: a pool sends one or two future jobs per block; anything beyond is stale or abuse. */
export const MAX_FUTURE_JOBS = 16;
export const MAX_ACTIVE_JOBS = 64;

export interface ChannelParams {
  kind: 'standard' | 'extended';
  channelId: number;
  groupChannelId: number;
  target: bigint;
  extranoncePrefix: Uint8Array;
  /** Bytes the client rolls (extended only; 0 for standard). */
  extranonceSize: number;
}

export interface ChannelContext {
  poolId: string;
  /** The client whose channel this is (the jobs' issuer). */
  upstream: JobIssuer;
  /** Mask the client may roll (BIP320 by default); 0 when the pool requires a fixed version. */
  versionMask: number;
}

/** A job announced but not yet active, with the work it will carry. */
interface PendingJob {
  jobId: number;
  version: number;
  versionMask: number;
  minNtime: number | null;
  work: Job['work'];
}

export class ChannelProtocolError extends Error {
  override readonly name = 'ChannelProtocolError';
}

export class ClientChannel {
  private readonly future = new Map<number, PendingJob>();
  private readonly active = new Map<number, Job>();
  private prev: { prevHash: Uint8Array; minNtime: number; nbits: number; at: number } | null = null;
  private latest: Job | undefined;

  constructor(
    readonly params: ChannelParams,
    private readonly ctx: ChannelContext,
  ) {}

  get target(): bigint {
    return this.params.target;
  }

  /** True when a message addressed to `channelId` is for this channel (directly or via its group). */
  addressedBy(channelId: number): boolean {
    return channelId === this.params.channelId || (this.params.groupChannelId !== 0 && channelId === this.params.groupChannelId);
  }

  /** The most recently activated job. */
  current(): Job | undefined {
    return this.latest;
  }

  /**
   * Whether a share's job is one of this channel's active jobs: the exact Job object this channel
   * issued (Jobs are immutable and never copied; job ids restart with a new channel).
   */
  isActive(job: Job): boolean {
    return this.active.get(Number(job.id)) === job;
  }

  activeJobCount(): number {
    return this.active.size;
  }

  futureJobCount(): number {
    return this.future.size;
  }

  /** Spec 5.3.21: for jobs activated from now on; active jobs keep their own target. */
  setTarget(target: bigint): void {
    this.params.target = target;
  }

  /** Applies to jobs received after it (spec 5.3.10). */
  setExtranoncePrefix(prefix: Uint8Array): void {
    this.params.extranoncePrefix = prefix.slice();
  }

  onNewMiningJob(m: NewMiningJobMsg, now: number): Job | undefined {
    if (this.params.kind !== 'standard') throw new ChannelProtocolError('NewMiningJob on an extended channel');
    return this.accept(
      {
        jobId: m.jobId,
        version: m.version,
        versionMask: this.ctx.versionMask,
        minNtime: m.minNtime,
        work: { kind: 'header', merkleRoot: m.merkleRoot.slice() },
      },
      now,
    );
  }

  onNewExtendedMiningJob(m: NewExtendedMiningJobMsg, now: number): Job | undefined {
    const mask = m.versionRollingAllowed ? this.ctx.versionMask : 0;
    const prefix = concatBytes(m.coinbaseTxPrefix, this.params.extranoncePrefix);
    let work: Job['work'];
    try {
      if (this.params.kind === 'extended') {
        // Parse once now so that a coinbase that is not a transaction is refused here, not mined.
        coinbaseTemplate(prefix, this.params.extranonceSize, m.coinbaseTxSuffix);
        work = {
          kind: 'coinbase',
          coinbasePrefix: prefix,
          coinbaseSuffix: m.coinbaseTxSuffix.slice(),
          extranonceSize: this.params.extranonceSize,
          merkleBranch: m.merklePath.map((p) => p.slice()),
        };
      } else {
        // Standard channel in a group: the full extranonce is just our prefix.
        const t = coinbaseTemplate(prefix, 0, m.coinbaseTxSuffix);
        const root = merkleRootFromBranch(sha256d(concatBytes(t.prefix, t.suffix)), m.merklePath);
        work = { kind: 'header', merkleRoot: root };
      }
    } catch (err) {
      throw new ChannelProtocolError(`NewExtendedMiningJob ${m.jobId}: coinbase is not a transaction (${err instanceof Error ? err.message : String(err)})`);
    }
    return this.accept({ jobId: m.jobId, version: m.version, versionMask: mask, minNtime: m.minNtime, work }, now);
  }

  /** Activates the named future job; every other job becomes invalid. */
  onSetNewPrevHash(m: SetNewPrevHashMsg, now: number): Job | undefined {
    this.prev = { prevHash: m.prevHash.slice(), minNtime: m.minNtime, nbits: m.nbits, at: now };
    const pending = this.future.get(m.jobId);
    this.future.clear();
    this.active.clear();
    this.latest = undefined;
    if (!pending) {
      // Spec 5.3.21 (2026-08): a server must not reference an unknown job. Nothing is minable until the next job.
      throw new ChannelProtocolError(`SetNewPrevHash names unknown job ${m.jobId}`);
    }
    return this.activate(pending, m.minNtime, true, now);
  }

  private accept(p: PendingJob, now: number): Job | undefined {
    if (p.minNtime === null || !this.prev) {
      // Future job (or a job that arrived before any prev hash: keep it until one names it).
      if (this.future.size >= MAX_FUTURE_JOBS) {
        const oldest = this.future.keys().next().value as number;
        this.future.delete(oldest);
      }
      this.future.delete(p.jobId);
      this.future.set(p.jobId, p);
      return undefined;
    }
    return this.activate(p, p.minNtime, false, now);
  }

  private activate(p: PendingJob, ntime: number, clean: boolean, now: number): Job {
    const prev = this.prev as NonNullable<typeof this.prev>;
    const source: JobSource = { poolId: this.ctx.poolId, protocol: 'sv2', channelId: this.params.channelId };
    const job: Job = {
      id: String(p.jobId),
      source,
      upstream: this.ctx.upstream,
      prevHash: prev.prevHash,
      version: p.version,
      versionMask: p.versionMask,
      nbits: prev.nbits,
      ntime,
      // Spec 5.3.21: ntime may advance with real time from min_ntime.
      ntimeRolling: true,
      target: this.params.target,
      clean,
      receivedAt: now,
      work: p.work,
    };
    if (this.active.size >= MAX_ACTIVE_JOBS) {
      const oldest = this.active.keys().next().value as number;
      this.active.delete(oldest);
    }
    this.active.delete(p.jobId);
    this.active.set(p.jobId, job);
    this.latest = job;
    return job;
  }
}
