/**
 * The lab SV2 pool's brain, independent of any socket: channels, jobs built from lab blocks, share
 * validation and accounting (spec 05-Mining-Protocol). A listener (sv2-pool.ts) feeds it decoded
 * messages and gives each channel a `send` function; tests can drive it directly. The later lab
 * JDS + pool pair reuses it (custom jobs plug in as more `PoolJobView`s).
 *
 * Rounds: each round is one (varied) prev hash from a lab block. A new round sends every channel a
 * future job and a SetNewPrevHash naming it; `newJobs()` sends non-future jobs on the current round.
 * Every job has its own coinbase (the scriptSig tag carries the job id), so merkle roots differ.
 */
import { TypedEmitter } from '../../src/typed-emitter.js';
import type { Clock, TimerHandle } from '../../src/clock.js';
import { logger, type Logger } from '../../src/log.js';
import { concatBytes, equalBytes, toHex, u32le } from '../../src/work/bytes.js';
import { writeCompactSize } from '../../src/work/transaction.js';
import { merkleRootFromBranch } from '../../src/work/merkle.js';
import { sha256d } from '../../src/work/sha256d.js';
import { bigIntToU256Le, difficultyToTarget, nbitsToTarget, targetToDifficulty, targetToNbits, u256LeToBigInt } from '../../src/work/target.js';
import { BIP320_MASK } from '../../src/work/version-rolling.js';
import type { Sv2Message, Sv2MessageOf } from '../../src/upstream/sv2/messages/registry.js';
import { labCoinbase, variedPrevHash, type LabBlock, type LabBlocks } from './block-data.js';
import { validateShare, type PoolJobView } from './sv2-share-validation.js';

/**
 * A job as the pool holds it for one channel: what validation needs, and the share target it was
 * activated with. Spec 5.3.21 (sv2-spec @ 0f38d51, 05-Mining-Protocol.md "SetTarget"): a SetTarget
 * applies to jobs received afterwards and to future jobs not yet activated, "not applicable for already
 * received jobs with min_ntime=nTime, as their maximum target remains stable". So every share is judged
 * by its own job's target, never by the channel's latest one.
 */
export interface PoolJob extends PoolJobView {
  /** Share target of this job; undefined while it is a future job (it takes the target in force when activated). */
  target: bigint | undefined;
}

export interface PoolCoreOptions {
  blocks: LabBlocks;
  clock: Clock;
  /** Share difficulty for new channels (fractional allowed: tiny values for CPU miners). */
  difficulty: number;
  /** Block target override (so that blocks can be found in the lab); default: each block's nbits. */
  networkDifficulty?: number;
  /** Version bits miners may roll (default BIP320). */
  versionMask?: number;
  /** SetupConnection.Success REQUIRES_FIXED_VERSION: no version rolling at all. */
  fixedVersion?: boolean;
  /**
   * REQUIRES_FIXED_VERSION for every connection that did not ask REQUIRES_VERSION_ROLLING (the listener
   * decides per connection), as real pools may answer (spec 5.3.1).
   */
  fixedVersionUnlessAsked?: boolean;
  /** NewExtendedMiningJob.version_rolling_allowed (default true). */
  versionRollingAllowed?: boolean;
  /** Accepted shares per SubmitShares.Success (SRI default 10). */
  shareBatchSize?: number;
  /** Also acknowledge a partial batch after this long (0 = never, like SRI). */
  ackFlushMs?: number;
  /** Pool-assigned extranonce prefix length (default 8). */
  extranoncePrefixBytes?: number;
  /** Extended channels: bytes the client rolls when it asks for less (default 8). */
  defaultExtranonceSize?: number;
  /** Coinbase scriptSig tag. */
  tag?: string;
  /**
   * Lab misbehaviour: acknowledge custom jobs, then reject every share on them ('invalid-share'), the
   * way a pool that censors after the fact would (spec 6.2: the miner must fall back).
   */
  rejectCustomShares?: boolean;
}

/**
 * Who decides whether a custom job may be mined (the lab JDS, jds-core.ts): token, outputs, declared
 * transactions. The core builds the job from the message and validates shares on it.
 */
export interface CustomJobAuthority {
  checkCustomJob(
    m: Sv2MessageOf<'SetCustomMiningJob'>,
    ch: { extranoncePrefix: Uint8Array; extranonceSize: number },
    nowSeconds: number,
  ): { ok: true } | { ok: false; code: string; detail: string };
}

export interface PoolChannel {
  id: number;
  kind: 'standard' | 'extended';
  connectionId: number;
  user: string;
  target: bigint;
  maxTarget: bigint;
  nominalHashrate: number;
  extranoncePrefix: Uint8Array;
  extranonceSize: number;
  send: (msg: Sv2Message) => void;
  jobs: Map<number, PoolJob>;
  stale: Set<number>;
  seen: Set<string>;
  lastSeq: number;
  batchCount: number;
  batchWork: bigint;
  flushTimer: TimerHandle | undefined;
  accepted: number;
  rejected: number;
  /** Opened on a REQUIRES_WORK_SELECTION connection: mines custom jobs only, gets no pool jobs. */
  workSelection: boolean;
  /** Version bits this channel's miner may roll: 0 when its connection got REQUIRES_FIXED_VERSION. */
  versionMask: number;
  /** Prev hash of the channel's current custom jobs (a custom job on another one makes them stale). */
  customPrevHash?: Uint8Array;
}

interface Round {
  n: number;
  block: LabBlock;
  prevHash: Uint8Array;
  nbits: number;
  networkTarget: bigint;
  minNtime: number;
}

export interface PoolCounters {
  customJobsAccepted: number;
  customJobsRefused: Record<string, number>;
  accepted: number;
  /** Rejections by SubmitShares.Error code. */
  rejected: Record<string, number>;
  blocksFound: number;
  channelsOpened: number;
  jobsSent: number;
  rounds: number;
}

export interface ShareEvent {
  channelId: number;
  user: string;
  ok: boolean;
  /** The job the share named. */
  jobId?: number;
  /** Difficulty of that job's target (accepted shares). */
  jobDifficulty?: number;
  code?: string;
  detail?: string;
  difficulty?: number;
  hash?: string;
  isBlock?: boolean;
}

export type PoolCoreEvents = {
  share: [e: ShareEvent];
  block: [e: { channelId: number; user: string; hash: string; header: string; coinbase?: string; height?: number; custom?: boolean }];
};

type OpenResult = { ok: true; channel: PoolChannel } | { ok: false; code: string };

/** How the connection a channel opens on was set up. */
export interface ChannelSetup {
  /** REQUIRES_WORK_SELECTION: custom jobs only (spec 5.3.18). */
  workSelection?: boolean;
  /** The connection got REQUIRES_FIXED_VERSION: no version rolling on this channel. */
  fixedVersion?: boolean;
}

const MAX_JOBS_PER_CHANNEL = 64;
const MAX_STALE_IDS = 1024;

export class Sv2PoolCore extends TypedEmitter<PoolCoreEvents> {
  readonly counters: PoolCounters = {
    customJobsAccepted: 0,
    customJobsRefused: {},
    accepted: 0,
    rejected: {},
    blocksFound: 0,
    channelsOpened: 0,
    jobsSent: 0,
    rounds: 0,
  };
  private readonly channels = new Map<number, PoolChannel>();
  private nextChannelId = 1;
  private nextJobId = 1;
  private nextPrefix = 1n;
  private round: Round;
  private defaultTarget: bigint;
  private readonly log: Logger;
  private readonly versionMask: number;

  constructor(private readonly o: PoolCoreOptions) {
    super();
    if (o.blocks.blocks.length === 0) throw new Error('lab pool needs at least one block');
    this.log = logger('lab.sv2-pool');
    this.defaultTarget = difficultyToTarget(o.difficulty);
    this.versionMask = o.fixedVersion ? 0 : (o.versionMask ?? BIP320_MASK) >>> 0;
    this.round = this.makeRound(0);
  }

  get currentRound(): Readonly<Round> {
    return this.round;
  }

  /** The last job id handed out (on any channel): jobs up to it exist now (tests, soak runs). */
  get lastJobId(): number {
    return this.nextJobId - 1;
  }

  channel(id: number): PoolChannel | undefined {
    return this.channels.get(id);
  }

  channelCount(): number {
    return this.channels.size;
  }

  /** Ids of the channels open on one connection. */
  channelIdsOf(connectionId: number): number[] {
    return [...this.channels.values()].filter((c) => c.connectionId === connectionId).map((c) => c.id);
  }

  private makeRound(n: number): Round {
    const blocks = this.o.blocks.blocks;
    const block = blocks[n % blocks.length] as LabBlock;
    let nbits = block.nbits;
    if (this.o.networkDifficulty !== undefined) nbits = targetToNbits(difficultyToTarget(this.o.networkDifficulty));
    // Block detection uses exactly what the header commits to: the compact nbits.
    return { n, block, prevHash: variedPrevHash(block, n), nbits, networkTarget: nbitsToTarget(nbits), minNtime: this.o.clock.wallSeconds() };
  }

  // ---------------------------------------------------------------------------------------------
  // Channels

  openStandard(connectionId: number, m: Sv2MessageOf<'OpenStandardMiningChannel'>, send: (msg: Sv2Message) => void, setup: ChannelSetup = {}): OpenResult {
    return this.open('standard', connectionId, m.userIdentity, m.nominalHashRate, m.maxTarget, 0, send, setup);
  }

  openExtended(connectionId: number, m: Sv2MessageOf<'OpenExtendedMiningChannel'>, send: (msg: Sv2Message) => void, setup: ChannelSetup = {}): OpenResult {
    return this.open('extended', connectionId, m.userIdentity, m.nominalHashRate, m.maxTarget, m.minExtranonceSize, send, setup);
  }

  private open(
    kind: 'standard' | 'extended',
    connectionId: number,
    user: string,
    rate: number,
    maxTargetLe: Uint8Array,
    minEn: number,
    send: (msg: Sv2Message) => void,
    setup: ChannelSetup,
  ): OpenResult {
    if (user.length === 0) return { ok: false, code: 'invalid-user-identity' };
    if (!Number.isFinite(rate) || rate < 0) return { ok: false, code: 'invalid-nominal-hashrate' };
    const prefixBytes = this.o.extranoncePrefixBytes ?? 8;
    let size = 0;
    if (kind === 'extended') {
      // B0_32: prefix + rolled part may not exceed 32 bytes (docs/sv2.md "Values and their sources").
      if (minEn > 32 - prefixBytes) return { ok: false, code: 'min-extranonce-size-too-large' };
      size = Math.max(minEn, this.o.defaultExtranonceSize ?? 8);
      size = Math.min(size, 32 - prefixBytes);
    }
    const maxTarget = u256LeToBigInt(maxTargetLe);
    const target = this.defaultTarget < maxTarget ? this.defaultTarget : maxTarget;
    if (target === 0n) return { ok: false, code: 'max-target-out-of-range' };
    const prefix = bigIntToU256Le(this.nextPrefix++)
      .slice(0, prefixBytes)
      .reverse();
    const ch: PoolChannel = {
      id: this.nextChannelId++,
      kind,
      connectionId,
      user,
      target,
      maxTarget,
      nominalHashrate: rate,
      extranoncePrefix: prefix,
      extranonceSize: size,
      send,
      jobs: new Map(),
      stale: new Set(),
      seen: new Set(),
      lastSeq: 0,
      batchCount: 0,
      batchWork: 0n,
      flushTimer: undefined,
      accepted: 0,
      rejected: 0,
      workSelection: setup.workSelection ?? false,
      versionMask: setup.fixedVersion ? 0 : this.versionMask,
    };
    this.channels.set(ch.id, ch);
    this.counters.channelsOpened++;
    this.log.info(
      { channelId: ch.id, kind, user, difficulty: targetToDifficulty(target), extranoncePrefix: toHex(prefix), extranonceSize: size },
      'channel opened',
    );
    return { ok: true, channel: ch };
  }

  /** The Success message for a freshly opened channel (send it before `startChannel`). */
  openSuccess(ch: PoolChannel, requestId: number): Sv2Message {
    const common = { requestId, channelId: ch.id, target: bigIntToU256Le(ch.target), extranoncePrefix: ch.extranoncePrefix, groupChannelId: 0 };
    return ch.kind === 'extended'
      ? { type: 'OpenExtendedMiningChannelSuccess', ...common, extranonceSize: ch.extranonceSize }
      : { type: 'OpenStandardMiningChannelSuccess', ...common };
  }

  /** First work on a new channel: a future job, then the SetNewPrevHash that activates it (SRI order). */
  startChannel(ch: PoolChannel): void {
    // A work-selection channel mines the miner's own jobs: the pool sends it none (as SRI's pool).
    if (!ch.workSelection) this.sendRoundStart(ch);
  }

  /** Closes a channel (client CloseChannel, disconnect, or `closeChannel` from the pool side). */
  removeChannel(id: number): void {
    const ch = this.channels.get(id);
    if (!ch) return;
    this.o.clock.clearTimeout(ch.flushTimer);
    this.channels.delete(id);
  }

  removeConnection(connectionId: number): void {
    for (const ch of [...this.channels.values()]) if (ch.connectionId === connectionId) this.removeChannel(ch.id);
  }

  /** Pool-initiated CloseChannel. */
  closeChannel(id: number, reason: string): void {
    const ch = this.channels.get(id);
    if (!ch) return;
    ch.send({ type: 'CloseChannel', channelId: id, reasonCode: reason });
    this.removeChannel(id);
  }

  updateChannel(m: Sv2MessageOf<'UpdateChannel'>, connectionId: number): void {
    const ch = this.channels.get(m.channelId);
    if (!ch || ch.connectionId !== connectionId) return;
    if (!Number.isFinite(m.nominalHashRate) || m.nominalHashRate < 0) {
      ch.send({ type: 'UpdateChannelError', channelId: ch.id, errorCode: 'invalid-nominal-hashrate' });
      return;
    }
    ch.nominalHashrate = m.nominalHashRate;
    ch.maxTarget = u256LeToBigInt(m.maximumTarget);
    this.log.info({ channelId: ch.id, hashrate: m.nominalHashRate }, 'channel hashrate updated');
    if (ch.maxTarget < ch.target) this.setTarget(ch, ch.maxTarget);
  }

  /** New share difficulty for every channel (or one), sent as SetTarget. */
  setDifficulty(difficulty: number, channelId?: number): void {
    const t = difficultyToTarget(difficulty);
    if (channelId === undefined) this.defaultTarget = t;
    for (const ch of this.channels.values()) if (channelId === undefined || ch.id === channelId) this.setTarget(ch, t < ch.maxTarget ? t : ch.maxTarget);
  }

  private setTarget(ch: PoolChannel, t: bigint): void {
    // Active jobs keep theirs (spec 5.3.21); future jobs take it when a SetNewPrevHash activates them.
    ch.target = t;
    ch.send({ type: 'SetTarget', channelId: ch.id, maximumTarget: bigIntToU256Le(t) });
  }

  // ---------------------------------------------------------------------------------------------
  // Jobs

  /** A new prev hash (the next round) for every channel. */
  newRound(): void {
    this.round = this.makeRound(this.round.n + 1);
    this.counters.rounds++;
    this.log.info({ round: this.round.n, height: this.round.block.height, prevHash: toHex(this.round.prevHash) }, 'new prev hash');
    for (const ch of this.channels.values()) if (!ch.workSelection) this.sendRoundStart(ch);
  }

  /** A non-future job (min_ntime set) on the current round for every channel: active at once. */
  newJobs(): void {
    const ntime = Math.max(this.round.minNtime, this.o.clock.wallSeconds());
    for (const ch of this.channels.values()) {
      if (ch.workSelection) continue;
      const { job, msg } = this.buildJob(ch, ntime);
      this.remember(ch, job);
      ch.send(msg);
      this.counters.jobsSent++;
    }
  }

  private sendRoundStart(ch: PoolChannel): void {
    for (const id of ch.jobs.keys()) this.markStale(ch, id);
    ch.jobs.clear();
    ch.seen.clear();
    const { job, msg } = this.buildJob(ch, null);
    job.minNtime = this.round.minNtime;
    this.remember(ch, job);
    ch.send(msg);
    ch.send({
      type: 'SetNewPrevHash',
      channelId: ch.id,
      jobId: job.jobId,
      prevHash: this.round.prevHash,
      minNtime: this.round.minNtime,
      nbits: this.round.nbits,
    });
    // Activated now: the target in force at this moment is the job's for good.
    job.target = ch.target;
    this.counters.jobsSent++;
  }

  private markStale(ch: PoolChannel, id: number): void {
    ch.stale.add(id);
    if (ch.stale.size > MAX_STALE_IDS) ch.stale.delete(ch.stale.values().next().value as number);
  }

  private remember(ch: PoolChannel, job: PoolJob): void {
    if (ch.jobs.size >= MAX_JOBS_PER_CHANNEL) {
      const oldest = ch.jobs.keys().next().value as number;
      ch.jobs.delete(oldest);
      this.markStale(ch, oldest);
    }
    ch.jobs.set(job.jobId, job);
  }

  /** One job for one channel; `minNtime` null = a future job (no target until it is activated). */
  private buildJob(ch: PoolChannel, minNtime: number | null): { job: PoolJob; msg: Sv2Message } {
    const jobId = this.nextJobId++;
    const r = this.round;
    const { prefix, suffix } = labCoinbase(r.block, ch.extranoncePrefix.length + ch.extranonceSize, `${this.o.tag ?? '/asic-agent lab/'}${jobId}/`);
    const rolling = (this.o.versionRollingAllowed ?? true) && ch.versionMask !== 0;
    const base = {
      jobId,
      version: r.block.version,
      prevHash: r.prevHash,
      nbits: r.nbits,
      minNtime: minNtime ?? r.minNtime,
      target: minNtime === null ? undefined : ch.target,
    };
    if (ch.kind === 'standard') {
      // The standard channel's full extranonce is its prefix: the pool fixes the merkle root.
      const root = merkleRootFromBranch(sha256d(concatBytes(prefix, ch.extranoncePrefix, suffix)), r.block.merkleBranch);
      return {
        job: { ...base, versionRollingAllowed: true, merkleRoot: root },
        msg: { type: 'NewMiningJob', channelId: ch.id, jobId, minNtime, version: r.block.version, merkleRoot: root },
      };
    }
    return {
      job: {
        ...base,
        versionRollingAllowed: rolling,
        coinbase: { txPrefix: prefix, extranoncePrefix: ch.extranoncePrefix, txSuffix: suffix, merklePath: r.block.merkleBranch },
      },
      msg: {
        type: 'NewExtendedMiningJob',
        channelId: ch.id,
        jobId,
        minNtime,
        version: r.block.version,
        versionRollingAllowed: rolling,
        merklePath: r.block.merkleBranch,
        coinbaseTxPrefix: prefix,
        coinbaseTxSuffix: suffix,
      },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Custom jobs (job declaration)

  /**
   * SetCustomMiningJob (spec 5.3.18-5.3.20): the authority checks it; the core rebuilds the coinbase the
   * way the miner must have built it (coinbase_prefix | extranonce_prefix | extranonce in the
   * scriptSig, the declared outputs) and validates shares on it by SHA-256 like any job. A custom job
   * on a new prev hash makes the channel's earlier custom jobs stale.
   */
  setCustomJob(m: Sv2MessageOf<'SetCustomMiningJob'>, connectionId: number, authority: CustomJobAuthority): void {
    const ch = this.channels.get(m.channelId);
    const refuse = (code: string, detail: string, send?: (msg: Sv2Message) => void): void => {
      this.counters.customJobsRefused[code] = (this.counters.customJobsRefused[code] ?? 0) + 1;
      this.log.info({ channelId: m.channelId, requestId: m.requestId, code, detail }, 'custom job refused');
      send?.({ type: 'SetCustomMiningJobError', channelId: m.channelId, requestId: m.requestId, errorCode: code });
    };
    if (!ch || ch.connectionId !== connectionId) return refuse('invalid-channel-id', `no channel ${m.channelId} on this connection`);
    if (ch.kind !== 'extended' || !ch.workSelection)
      return refuse('invalid-channel-id', 'custom jobs need an extended channel on a work-selection connection', ch.send);
    const v = authority.checkCustomJob(m, { extranoncePrefix: ch.extranoncePrefix, extranonceSize: ch.extranonceSize }, this.o.clock.wallSeconds());
    if (!v.ok) return refuse(v.code, v.detail, ch.send);
    const jobId = this.nextJobId++;
    const scriptLen = m.coinbasePrefix.length + ch.extranoncePrefix.length + ch.extranonceSize;
    const txPrefix = concatBytes(
      u32le(m.coinbaseTxVersion),
      Uint8Array.of(1),
      new Uint8Array(32),
      Uint8Array.of(0xff, 0xff, 0xff, 0xff),
      writeCompactSize(scriptLen),
      m.coinbasePrefix,
    );
    const txSuffix = concatBytes(u32le(m.coinbaseTxInputNSequence), m.coinbaseTxOutputs, u32le(m.coinbaseTxLocktime));
    if (ch.customPrevHash && !equalBytes(ch.customPrevHash, m.prevHash)) {
      for (const [id, j] of ch.jobs) {
        if (!j.custom) continue;
        ch.jobs.delete(id);
        this.markStale(ch, id);
      }
      ch.seen.clear();
    }
    ch.customPrevHash = m.prevHash.slice();
    this.remember(ch, {
      jobId,
      custom: true,
      version: m.version,
      versionRollingAllowed: true,
      prevHash: m.prevHash.slice(),
      nbits: m.nbits,
      minNtime: m.minNtime,
      // A custom job is active from its acceptance: the channel's target now is its target (spec 5.3.21).
      target: ch.target,
      coinbase: { txPrefix, extranoncePrefix: ch.extranoncePrefix, txSuffix, merklePath: m.merklePath.map((p) => p.slice()) },
    });
    this.counters.customJobsAccepted++;
    this.log.info({ channelId: ch.id, requestId: m.requestId, jobId, merklePath: m.merklePath.length }, 'custom job accepted');
    ch.send({ type: 'SetCustomMiningJobSuccess', channelId: ch.id, requestId: m.requestId, jobId });
  }

  // ---------------------------------------------------------------------------------------------
  // Shares

  submit(m: Sv2MessageOf<'SubmitSharesStandard'> | Sv2MessageOf<'SubmitSharesExtended'>, connectionId: number): void {
    const ch = this.channels.get(m.channelId);
    if (!ch || ch.connectionId !== connectionId) {
      this.counters.rejected['invalid-channel-id'] = (this.counters.rejected['invalid-channel-id'] ?? 0) + 1;
      this.emit('share', { channelId: m.channelId, user: '', ok: false, code: 'invalid-channel-id' });
      return;
    }
    const reject = (code: string, detail: string, hash?: Uint8Array): void => {
      ch.rejected++;
      this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1;
      ch.send({ type: 'SubmitSharesError', channelId: ch.id, sequenceNumber: m.sequenceNumber, errorCode: code });
      this.log.info({ channelId: ch.id, seq: m.sequenceNumber, code, detail }, 'share rejected');
      this.emit('share', { channelId: ch.id, user: ch.user, ok: false, jobId: m.jobId, code, detail, ...(hash ? { hash: toHex(hash) } : {}) });
    };
    const extended = m.type === 'SubmitSharesExtended';
    if (extended !== (ch.kind === 'extended')) return reject('invalid-share', `${m.type} on a ${ch.kind} channel`);
    const job = ch.jobs.get(m.jobId);
    if (!job) return ch.stale.has(m.jobId) ? reject('stale-share', `job ${m.jobId} is no longer valid`) : reject('invalid-job-id', `unknown job ${m.jobId}`);
    // A future job nobody activated cannot be mined yet (spec 5.3.15: mined once a SetNewPrevHash names it).
    if (job.target === undefined) return reject('invalid-job-id', `job ${m.jobId} is a future job not activated yet`);
    const target = job.target;
    if (job.custom && this.o.rejectCustomShares) return reject('invalid-share', 'lab pool refuses shares on custom jobs (--reject-custom-shares)');
    let networkTarget = this.round.networkTarget;
    if (job.custom) {
      try {
        networkTarget = nbitsToTarget(job.nbits);
      } catch {
        networkTarget = 0n;
      }
    }
    const v = validateShare(
      job,
      { nonce: m.nonce, ntime: m.ntime, version: m.version, ...(extended ? { extranonce: m.extranonce } : {}) },
      {
        target,
        networkTarget,
        versionMask: ch.versionMask,
        extranonceSize: ch.extranonceSize,
        nowSeconds: this.o.clock.wallSeconds(),
        seen: ch.seen,
      },
    );
    if (!v.ok) return reject(v.code, v.detail, v.hash);
    ch.seen.add(v.hashHex);
    ch.accepted++;
    this.counters.accepted++;
    ch.lastSeq = m.sequenceNumber;
    ch.batchCount++;
    // new_shares_sum: the work credited, as the job's difficulty (rounded; tiny lab difficulties give 0).
    ch.batchWork += BigInt(Math.round(targetToDifficulty(target)));
    this.emit('share', {
      channelId: ch.id,
      user: ch.user,
      ok: true,
      jobId: m.jobId,
      difficulty: v.difficulty,
      jobDifficulty: targetToDifficulty(target),
      hash: toHex(v.hash),
      isBlock: v.isBlock,
    });
    if (v.isBlock) {
      this.counters.blocksFound++;
      const hashDisplay = toHex(v.hash.slice().reverse());
      this.log.warn({ channelId: ch.id, user: ch.user, hash: hashDisplay }, 'BLOCK FOUND (lab network target)');
      this.emit('block', {
        channelId: ch.id,
        user: ch.user,
        hash: hashDisplay,
        header: toHex(v.header),
        ...(v.coinbase ? { coinbase: toHex(v.coinbase) } : {}),
        ...(job.custom ? { custom: true } : { height: this.round.block.height }),
      });
    }
    // SRI acknowledges when the batch is full, and at once for a block.
    if (v.isBlock || ch.batchCount >= (this.o.shareBatchSize ?? 10)) this.flush(ch);
    else if ((this.o.ackFlushMs ?? 0) > 0 && !ch.flushTimer) {
      ch.flushTimer = this.o.clock.setTimeout(() => this.flush(ch), this.o.ackFlushMs ?? 0);
    }
  }

  /** Sends SubmitShares.Success for the shares accepted since the last one. */
  flush(ch: PoolChannel): void {
    this.o.clock.clearTimeout(ch.flushTimer);
    ch.flushTimer = undefined;
    if (ch.batchCount === 0 || !this.channels.has(ch.id)) return;
    ch.send({
      type: 'SubmitSharesSuccess',
      channelId: ch.id,
      lastSequenceNumber: ch.lastSeq,
      newSubmitsAcceptedCount: ch.batchCount,
      newSharesSum: ch.batchWork,
    });
    ch.batchCount = 0;
    ch.batchWork = 0n;
  }

  /** Stops timers (pool shutdown). */
  dispose(): void {
    for (const ch of this.channels.values()) this.o.clock.clearTimeout(ch.flushTimer);
    this.channels.clear();
  }
}
