/**
 * The Stratum V2 mining client (spec 05-Mining-Protocol), the agent's first-choice upstream.
 *
 * The session supervisor (session-supervisor.ts) connects, runs the Noise NX handshake against the
 * authority key from the URL, sends SetupConnection and reconnects with backoff, as it does for the TP
 * and JDS links; this client adds what is particular to mining: one standard or extended channel ->
 * jobs in, shares out. The session counts as established once the channel is open. Any failure ends
 * the session with a typed failure; outstanding shares resolve as lost-to-disconnect. Reconnect
 * messages re-handshake against the same authority key.
 *
 * Implements `Upstream` (src/upstream/upstream.ts); extra events (`session`, `disconnected`) let the
 * probe command report what the pool presented.
 */
import { sv2ShareCode } from '../share-code.js';
import { isIP } from 'node:net';
import { TypedEmitter } from '../../typed-emitter.js';
import { systemClock, type Clock, type TimerHandle } from '../../clock.js';
import { logger, type Logger } from '../../log.js';
import type { Job, Share, ShareOutcome } from '../job.js';
import { countShareOutcome, emptyUpstreamStats, type Upstream, type UpstreamEvents, type UpstreamState, type UpstreamStats } from '../upstream.js';
import { BIP320_MASK } from '../../work/version-rolling.js';
import { bigIntToU256Le, MAX_TARGET, targetToDifficulty, u256LeToBigInt } from '../../work/target.js';
import { toHex } from '../../work/bytes.js';
import type { HandshakeInfo } from './transport.js';
import type { Sv2Message, Sv2MessageOf } from './messages/registry.js';
import { LogSummary } from '../../log-summary.js';
import { ABSURD_SHARE_DIFFICULTY, ProtocolStrikes } from '../protocol-strikes.js';
import { MiningSetupFlags, MiningSuccessFlags, Sv2SubProtocol } from './messages/common.js';
import { parseSv2Url, type Sv2PoolUrl } from './url.js';
import { isPrivateAddress } from './private-address.js';
import { Sv2SessionSupervisor, type SessionOpen, type SessionPhase as LinkPhase } from './session-supervisor.js';
import type { BackoffOptions } from './backoff.js';
import type { FailureCategory, SessionFailure } from '../session-failure.js';
import { ChannelProtocolError, ClientChannel, type ChannelParams } from './client-channel.js';
import { ShareTracker, type OutstandingShare } from './share-tracker.js';

export interface Sv2ClientOptions {
  url: string;
  /** Pool id for job sources and logs (default: the URL). */
  id?: string;
  /** Pool login, e.g. `account.worker` (OpenMiningChannel.user_identity). */
  user: string;
  /** Unused by SV2 (kept so pool configs can be shared with SV1). */
  password?: string;
  channel: 'standard' | 'extended';
  /** Expected hashrate in H/s, sent when opening the channel. */
  nominalHashrate: number;
  /** Extended channels: bytes of extranonce the miner wants to roll (default 4). */
  minExtranonceSize?: number;
  /** Allow a URL without an authority key; only effective for loopback / RFC 1918 / ULA addresses. */
  allowUnauthenticated?: boolean;
  /** No Noise at all (SRI's test-only plain port). Requires allowUnauthenticated and a URL without key. */
  plain?: boolean;
  clock?: Clock;
  backoff?: BackoffOptions;
  /** Reconnect after a failure (default true). The probe makes one attempt only. */
  reconnect?: boolean;
  device?: { vendor?: string; hardwareVersion?: string; firmware?: string; deviceId?: string };
  /** Version bits the miner may roll (default BIP320 0x1fffe000); 0 = never roll. */
  versionMask?: number;
  /**
   * Ask the pool for version-rolling jobs only (SetupConnection REQUIRES_VERSION_ROLLING, spec 5.3.1).
   * A pool that refuses the flag: an extended channel sets up again without it (and mines a fixed
   * version, the agent rolling the extranonce fast); a standard channel is unusable (see below).
   */
  requireVersionRolling?: boolean;
  /**
   * The chips roll version bits. On a standard channel the version is the only field the miner can
   * roll, so a pool that fixes it (REQUIRES_FIXED_VERSION, or refusing REQUIRES_VERSION_ROLLING) leaves
   * the chips idle almost all the time: the session ends as `unusable` and the pool manager fails over.
   */
  chipsRollVersions?: boolean;
  /** Largest target the device accepts (default: no limit). */
  maxTarget?: bigint;
  /**
   * connectMs / handshakeMs / setupMs: each step of a session (default 10 s). shareAckMs: a share with
   * no answer after this is lost-to-timeout (default 300 s; pools batch acknowledgements). idleMs: a
   * pool that sends no complete message for this long is dropped (default 900 s; 0 = never). SV2 has
   * no ping, and a hung pool would otherwise keep the miner on stale work.
   */
  timeouts?: { connectMs?: number; handshakeMs?: number; setupMs?: number; shareAckMs?: number; idleMs?: number; customJobMs?: number };
  /** UpdateChannel: send when the measured rate moved more than `minChange` (fraction), at most every `minIntervalMs`. */
  hashrateUpdate?: { minIntervalMs?: number; minChange?: number };
  /** Random source for backoff jitter (tests pass a fixed one). */
  random?: () => number;
  /** Inbound payload cap (default 1 MiB). */
  maxInboundPayload?: number;
  /**
   * Job declaration (spec 5.3.18): send REQUIRES_WORK_SELECTION and accept SetCustomMiningJob on the
   * channel, which is then always extended (custom jobs are not allowed on standard channels).
   */
  workSelection?: boolean;
}

/** Fields of SetCustomMiningJob the caller provides (the client adds channel_id and request_id). */
export type CustomJobFields = Omit<Sv2MessageOf<'SetCustomMiningJob'>, 'type' | 'channelId' | 'requestId'>;

/**
 * The pool's answer to SetCustomMiningJob: `refused` carries SetCustomMiningJob.Error's code;
 * `timeout` and `disconnected` mean no answer (both count as failures of the pool, spec 5.3.19).
 */
export type CustomJobResult = { ok: true; jobId: number } | { ok: false; kind: 'refused' | 'timeout' | 'disconnected'; code: string };

/** How far a mining session got: the supervisor's phases, then the channel request, then mining. */
export type SessionPhase = 'connect' | 'handshake' | 'setup' | 'channel' | 'mining';

export interface SessionInfo {
  host: string;
  port: number;
  remoteAddress: string | undefined;
  handshake: HandshakeInfo;
  setup: { usedVersion: number; flags: number; requestedFlags: number };
  channel: ChannelParams;
  difficulty: number;
}

export type Sv2ClientEvents = UpstreamEvents & {
  /** A channel is open (state 'ready' follows). */
  session: [info: SessionInfo];
  /** A session ended; `phase` tells how far it got, `failure` what kind of end it was. */
  disconnected: [reason: string, phase: SessionPhase, failure: SessionFailure];
  /** A share outcome (for the probe and stats listeners). */
  share: [share: Share, outcome: ShareOutcome];
};

/** What one session of the mining protocol holds on top of the supervisor's connection. */
interface Session {
  host: string;
  port: number;
  kind: 'standard' | 'extended';
  setup?: { usedVersion: number; flags: number };
  requestedFlags: number;
  channel?: ClientChannel;
  tracker?: ShareTracker;
  timer?: TimerHandle;
  /** SetCustomMiningJob requests waiting for their answer, by request_id. */
  customJobs: Map<number, { resolve: (r: CustomJobResult) => void; timer: TimerHandle }>;
}

const REQUEST_ID = 1;

/** The security choices the supervisor checks the URL against (only those the options set). */
function security(o: Sv2ClientOptions): { allowUnauthenticated?: boolean; plain?: boolean } {
  return {
    ...(o.allowUnauthenticated !== undefined ? { allowUnauthenticated: o.allowUnauthenticated } : {}),
    ...(o.plain !== undefined ? { plain: o.plain } : {}),
  };
}

export class Sv2MiningClient extends TypedEmitter<Sv2ClientEvents> implements Upstream {
  readonly id: string;
  readonly url: string;
  readonly protocol = 'sv2' as const;
  private st: UpstreamState = 'idle';
  private readonly pool: Sv2PoolUrl;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly counters: UpstreamStats = emptyUpstreamStats();
  /** Bad or unexpected messages of the current session (issue 21 D9); warnings about them are summarised. */
  private readonly strikes: ProtocolStrikes;
  private readonly summary: LogSummary;
  private readonly sup: Sv2SessionSupervisor;
  private session: Session | null = null;
  private ackTimer: TimerHandle | undefined;
  private stopped = false;
  private measuredRate: number | null = null;
  private lastRateSent: { rate: number; at: number } | null = null;
  private job: Job | undefined;
  private nextCustomRequest = 2;
  private readonly versionMask: number;
  /** Set once a pool made clear it only takes extended channels; the agent can mine those too. */
  private forceExtended = false;
  /** What the current session's SetupConnection.Success and handshake said (for the `session` event). */
  private handshakeInfo: SessionOpen | undefined;
  /** Set once the pool refused REQUIRES_VERSION_ROLLING on an extended channel: set up without it. */
  private rollingRefused = false;

  constructor(private readonly opts: Sv2ClientOptions) {
    super();
    if (!(opts.nominalHashrate >= 0) || !Number.isFinite(opts.nominalHashrate)) throw new RangeError('nominalHashrate must be a finite number >= 0');
    this.clock = opts.clock ?? systemClock;
    const t = opts.timeouts ?? {};
    this.id = opts.id ?? parseSv2Url(opts.url).text;
    this.log = logger('sv2.client', { pool: this.id });
    this.sup = new Sv2SessionSupervisor({
      url: opts.url,
      role: 'pool',
      log: this.log,
      protocol: Sv2SubProtocol.Mining,
      setupFlags: () => this.setupFlags0(),
      ...security(opts),
      clock: this.clock,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.random ? { random: opts.random } : {}),
      timeouts: { ...t, idleMs: t.idleMs ?? 900_000 },
      ...(opts.maxInboundPayload !== undefined ? { maxInboundPayload: opts.maxInboundPayload } : {}),
      ...(opts.device ? { device: opts.device } : {}),
      ...(opts.reconnect !== undefined ? { reconnect: opts.reconnect } : {}),
      establishOnSetup: false,
    });
    this.pool = this.sup.url;
    this.url = this.pool.text;
    this.strikes = new ProtocolStrikes(this.clock);
    this.summary = new LogSummary(this.log, this.clock);
    this.versionMask = (opts.versionMask ?? BIP320_MASK) >>> 0;
    // Custom jobs only exist on extended channels (spec 5.3.18).
    if (opts.workSelection) this.forceExtended = true;
    this.sup.on('attempt', (endpoint) => this.onAttempt(endpoint));
    this.sup.on('handshake', (info) => this.onHandshake(info));
    this.sup.on('setupRefused', (msg, requested) => this.onSetupRefused(msg, requested));
    this.sup.on('open', (info) => this.onSetupSuccess(info));
    this.sup.on('message', (msg) => this.onMessageGuarded(msg));
    this.sup.on('protocolError', () => this.counters.protocolErrors++);
    this.sup.on('close', (failure, end) => this.onSessionEnd(failure, end.phase, end.established));
    this.sup.on('state', (st, failure) => this.onSupState(st, failure));
  }

  get state(): UpstreamState {
    return this.st;
  }

  start(): void {
    if (this.st !== 'idle') return;
    this.stopped = false;
    this.ackTimer = this.clock.setInterval(() => this.expireShares(), 5_000);
    this.sup.start();
  }

  async stop(reason = 'stopped'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clock.clearInterval(this.ackTimer);
    this.summary.close();
    const s = this.session;
    if (s?.channel) this.sup.send({ type: 'CloseChannel', channelId: s.channel.params.channelId, reasonCode: 'shutdown' });
    this.sup.stop(reason);
    // Let the CloseChannel leave the socket before it is destroyed.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  currentJob(): Job | undefined {
    return this.job;
  }

  stats(): UpstreamStats {
    return { ...this.counters, rejectReasons: { ...this.counters.rejectReasons } };
  }

  /** Shares sent and not yet answered. */
  pendingShares(): number {
    return this.session?.tracker?.size ?? 0;
  }

  /** The open channel's parameters, if any. */
  channelParams(): ChannelParams | undefined {
    return this.session?.channel?.params;
  }

  submit(share: Share): Promise<ShareOutcome> {
    const ch = this.session?.channel;
    if (!ch || !this.sup.isOpen) return this.settled(share, { status: 'lost', reason: 'lost-to-disconnect' });
    if (!ch.isActive(share.job)) return this.settled(share, { status: 'stale', reason: 'job-not-active' });
    // Judged with its own job's target, which a later SetTarget does not change (spec 5.3.21).
    return this.submitOnChannel(share, Number(share.job.id), share.job.target, share.job.work.kind === 'coinbase');
  }

  /** A share outcome decided here, without the pool: counted, and resolved at once. */
  private settled(share: Share, o: ShareOutcome): Promise<ShareOutcome> {
    this.count(share, o, 0);
    return Promise.resolve(o);
  }

  /**
   * SubmitSharesExtended (`extended`) or SubmitSharesStandard for `jobId` on the open channel, unless the
   * share misses `target` or its extranonce does not fit the channel.
   */
  private submitOnChannel(share: Share, jobId: number, target: bigint, extended: boolean): Promise<ShareOutcome> {
    const s = this.session;
    const ch = s?.channel;
    if (!s || !ch || !s.tracker || !this.sup.isOpen) return this.settled(share, { status: 'lost', reason: 'lost-to-disconnect' });
    if (u256LeToBigInt(share.hash) > target) return this.settled(share, { status: 'stale', reason: 'below-job-target' });
    const extranonce = share.extranonce;
    if (extended && (!extranonce || extranonce.length !== ch.params.extranonceSize))
      return this.settled(share, { status: 'rejected', reason: 'bad-extranonce-size' });
    const seq = s.tracker.nextSequence();
    const fields = {
      channelId: ch.params.channelId,
      sequenceNumber: seq,
      jobId: jobId >>> 0,
      nonce: share.nonce >>> 0,
      ntime: share.ntime >>> 0,
      version: share.version >>> 0,
    };
    const msg: Sv2Message = extended && extranonce ? { type: 'SubmitSharesExtended', ...fields, extranonce } : { type: 'SubmitSharesStandard', ...fields };
    return this.sendTracked(s.tracker, share, seq, msg, targetToDifficulty(target));
  }

  /**
   * Sends a share message and tracks it until the pool's (batched) answer, a SubmitShares.Error, the
   * acknowledgement timeout or a disconnect resolves it; every outcome is counted.
   */
  private sendTracked(tracker: ShareTracker, share: Share, seq: number, msg: Sv2Message, targetDifficulty: number): Promise<ShareOutcome> {
    return new Promise<ShareOutcome>((resolve) => {
      tracker.add({
        seq,
        share,
        targetDifficulty,
        sentAt: this.clock.now(),
        resolve: (o) => {
          this.count(share, o, targetDifficulty);
          resolve(o);
        },
      });
      if (!this.sup.send(msg)) tracker.reject(seq)?.resolve({ status: 'lost', reason: 'lost-to-disconnect' });
    });
  }

  /**
   * SetCustomMiningJob (spec 5.3.18) on the open channel; resolves with the pool's job id, its refusal,
   * or a timeout / disconnect. Needs `workSelection`.
   */
  setCustomMiningJob(fields: CustomJobFields): Promise<CustomJobResult> {
    const s = this.session;
    const ch = s?.channel;
    if (!this.opts.workSelection) return Promise.resolve({ ok: false, kind: 'refused', code: 'work-selection-not-negotiated' });
    if (!s || !ch || !this.sup.isOpen) return Promise.resolve({ ok: false, kind: 'disconnected', code: 'no open channel' });
    const requestId = this.nextCustomRequest++ >>> 0;
    if (this.nextCustomRequest > 0xffffffff) this.nextCustomRequest = 2;
    return new Promise<CustomJobResult>((resolve) => {
      const ms = this.opts.timeouts?.customJobMs ?? 10_000;
      const timer = this.clock.setTimeout(() => {
        s.customJobs.delete(requestId);
        resolve({ ok: false, kind: 'timeout', code: `no answer to SetCustomMiningJob within ${Math.round(ms / 1000)} s` });
      }, ms);
      s.customJobs.set(requestId, { resolve, timer });
      this.sup.send({ type: 'SetCustomMiningJob', channelId: ch.params.channelId, requestId, ...fields });
    });
  }

  /**
   * Submits a share of a custom job the pool acknowledged with `jobId` (SetCustomMiningJob.Success).
   * The caller decides whether that job is still current. `target` is the custom job's share target as
   * the pool holds it: the channel target in force when the pool accepted the job (spec 5.3.21); the
   * extranonce size is checked here as for pool jobs.
   */
  submitCustom(share: Share, jobId: number, target: bigint): Promise<ShareOutcome> {
    return this.submitOnChannel(share, jobId, target, true);
  }

  /** Flags the pool answered SetupConnection with (REQUIRES_FIXED_VERSION...), once set up. */
  setupFlags(): number | undefined {
    return this.session?.setup?.flags;
  }

  reportHashrate(hashesPerSecond: number): void {
    if (!Number.isFinite(hashesPerSecond) || hashesPerSecond < 0) return;
    this.measuredRate = hashesPerSecond;
    this.maybeSendHashrate();
  }

  // ---------------------------------------------------------------------------------------------
  // Session lifecycle

  /** The supervisor's state is this client's: 'ready' once the channel is open, with its typed failures. */
  private onSupState(st: UpstreamState, failure: SessionFailure | undefined): void {
    if (st === 'closed') {
      this.stopped = true;
      this.clock.clearInterval(this.ackTimer);
    }
    this.st = st;
    this.emit('state', st, failure);
  }

  /** How far the current session got, in mining terms. */
  private miningPhase(phase: LinkPhase | undefined = this.sup.phase, s = this.session): SessionPhase {
    if (phase === undefined) return 'connect';
    if (phase !== 'open') return phase;
    return s?.channel ? 'mining' : 'channel';
  }

  /** A new session begins: fresh channel state, strikes forgiven. */
  private onAttempt(endpoint: { host: string; port: number }): void {
    this.session = {
      host: endpoint.host,
      port: endpoint.port,
      kind: this.forceExtended ? 'extended' : this.opts.channel,
      requestedFlags: 0,
      customJobs: new Map(),
    };
    this.strikes.reset();
  }

  private onHandshake(info: HandshakeInfo): void {
    if (info.server) {
      const c = info.server.certificate;
      this.log.info(
        { authenticated: info.server.authenticated, validFrom: c.validFrom, notValidAfter: c.notValidAfter, serverKey: toHex(info.server.serverStaticXOnly) },
        'noise handshake complete',
      );
    } else this.log.warn('plain connection: no encryption, no pool authentication');
  }

  /** SetupConnection.flags for the session about to set up (spec 5.3.1). */
  private setupFlags0(): number {
    const s = this.session;
    let flags = 0;
    // ESP-Miner and SRI's mining device send REQUIRES_STANDARD_JOBS with a standard channel so the
    // pool sends NewMiningJob rather than group-channel extended jobs (docs/sv2.md "Values and their
    // sources").
    if (s?.kind === 'standard') flags |= MiningSetupFlags.REQUIRES_STANDARD_JOBS;
    if (this.opts.requireVersionRolling && !this.rollingRefused) flags |= MiningSetupFlags.REQUIRES_VERSION_ROLLING;
    if (this.opts.workSelection) flags |= MiningSetupFlags.REQUIRES_WORK_SELECTION;
    if (s) s.requestedFlags = flags;
    return flags;
  }

  private armTimeout(s: Session, what: string): void {
    this.clock.clearTimeout(s.timer);
    s.timer = this.clock.setTimeout(() => this.end(`timeout: ${what}`), this.opts.timeouts?.setupMs ?? 10_000);
  }

  private openChannel(s: Session): void {
    const maxTarget = bigIntToU256Le(this.opts.maxTarget ?? MAX_TARGET);
    const rate = this.measuredRate ?? this.opts.nominalHashrate;
    if (s.kind === 'extended') {
      this.sup.send({
        type: 'OpenExtendedMiningChannel',
        requestId: REQUEST_ID,
        userIdentity: this.opts.user,
        nominalHashRate: rate,
        maxTarget,
        minExtranonceSize: this.opts.minExtranonceSize ?? 4,
      });
    } else {
      this.sup.send({ type: 'OpenStandardMiningChannel', requestId: REQUEST_ID, userIdentity: this.opts.user, nominalHashRate: rate, maxTarget });
    }
    this.armTimeout(s, 'the pool did not answer the channel request');
  }

  /** Ends the current session (the supervisor reconnects unless told otherwise). */
  private end(reason: string, o: { immediate?: boolean; category?: FailureCategory } = {}): void {
    this.sup.end(reason, o);
  }

  /**
   * A session ended once: outstanding shares become lost-to-disconnect, pending custom jobs are
   * answered `disconnected`, and the job is dropped.
   */
  private onSessionEnd(failure: SessionFailure, phase: LinkPhase, established: boolean): void {
    const s = this.session;
    this.session = null;
    this.job = undefined;
    const miningPhase = this.miningPhase(phase, s);
    if (s) {
      this.clock.clearTimeout(s.timer);
      for (const e of s.tracker?.drain() ?? []) e.resolve({ status: 'lost', reason: 'lost-to-disconnect' });
      for (const r of s.customJobs.values()) {
        this.clock.clearTimeout(r.timer);
        r.resolve({ ok: false, kind: 'disconnected', code: failure.detail });
      }
      s.customJobs.clear();
    }
    if (established) this.counters.disconnects++;
    this.emit('disconnected', failure.detail, miningPhase, failure);
  }

  // ---------------------------------------------------------------------------------------------
  // Inbound messages

  /** A message of the open session; a pool's channel protocol error is a strike, not the session's end. */
  private onMessageGuarded(msg: Sv2Message): void {
    const s = this.session;
    if (!s) return;
    try {
      this.onMessage(s, msg);
    } catch (err) {
      this.counters.protocolErrors++;
      if (!(err instanceof ChannelProtocolError)) throw err;
      // E.g. SetNewPrevHash naming an unknown job: the old jobs are gone and there is none to mine
      // until the pool sends one (shares of the old job are then stale locally).
      this.job = s.channel?.current();
      this.summary.warn('channel-protocol', { err: err.message }, 'pool protocol error');
      this.strike(err.message);
    }
  }

  private unexpected(msg: Sv2Message): void {
    this.counters.protocolErrors++;
    this.summary.warn(`unexpected:${msg.type}`, { type: msg.type, phase: this.miningPhase() }, 'unexpected message ignored');
    this.strike(`unexpected ${msg.type}`);
  }

  /** One more strike against the session; at the limit it ends (the pool is broken or hostile, issue 21 D9). */
  private strike(what: string): void {
    if (!this.strikes.strike() || !this.session) return;
    this.end(`${this.strikes.limit} bad messages within ${this.strikes.windowMs / 1000} s (last: ${what})`, { category: 'protocol-error' });
  }

  /** One handler per message (SRI handlers-sv2 style); a message this client does not expect is a strike. */
  private onMessage(s: Session, msg: Sv2Message): void {
    switch (msg.type) {
      case 'OpenStandardMiningChannelSuccess':
      case 'OpenExtendedMiningChannelSuccess':
        if (this.miningPhase() !== 'channel' || msg.requestId !== REQUEST_ID) return this.unexpected(msg);
        return this.onChannelOpen(s, msg);
      case 'OpenMiningChannelError':
        if (this.miningPhase() !== 'channel') return this.unexpected(msg);
        return this.end(`channel refused: ${msg.errorCode}`);
      case 'NewMiningJob':
      case 'NewExtendedMiningJob':
      case 'SetNewPrevHash':
        return this.onJobMessage(s, msg);
      case 'SetTarget':
        return this.onSetTarget(s, msg);
      case 'SetExtranoncePrefix':
        return this.onSetExtranoncePrefix(s, msg);
      case 'SetCustomMiningJobSuccess':
      case 'SetCustomMiningJobError':
        return this.onCustomJobAnswer(s, msg);
      case 'SubmitSharesSuccess':
        return this.onSharesSuccess(s, msg);
      case 'SubmitSharesError':
        return this.onSharesError(s, msg);
      case 'UpdateChannelError':
        this.log.warn({ code: msg.errorCode }, 'UpdateChannel refused');
        return;
      case 'CloseChannel':
        return this.onCloseChannel(s, msg);
      case 'Reconnect':
        return this.onReconnect(s, msg);
      case 'ChannelEndpointChanged':
        this.log.info({ channelId: msg.channelId }, 'channel endpoint changed upstream');
        return;
      case 'SetGroupChannel':
        return this.onSetGroupChannel(s, msg);
      default:
        return this.unexpected(msg);
    }
  }

  private onSetTarget(s: Session, msg: Sv2MessageOf<'SetTarget'>): void {
    const ch = s.channel;
    if (!ch || !ch.addressedBy(msg.channelId)) return this.unexpected(msg);
    // For jobs activated from now on; the active ones keep their target (spec 5.3.21).
    const t = u256LeToBigInt(msg.maximumTarget);
    ch.setTarget(t);
    this.noteTarget(t, 'SetTarget');
    this.emit('target', t);
  }

  private onSetExtranoncePrefix(s: Session, msg: Sv2MessageOf<'SetExtranoncePrefix'>): void {
    const ch = s.channel;
    if (!ch || msg.channelId !== ch.params.channelId) return this.unexpected(msg);
    if (msg.extranoncePrefix.length + ch.params.extranonceSize > 32) {
      // The full extended extranonce (prefix + the channel's extranonce) is at most 32 bytes
      // (sv2-spec 05-Mining-Protocol.md@066971c §5.1.2.1 and the B0_32 extranonce fields of
      // §5.3.5 / §5.3.12), the same rule as at channel opening (issue 21 D9).
      this.counters.protocolErrors++;
      return this.end(`SetExtranoncePrefix of ${msg.extranoncePrefix.length} bytes with an extranonce of ${ch.params.extranonceSize} is over 32 bytes`, {
        category: 'protocol-error',
      });
    }
    ch.setExtranoncePrefix(msg.extranoncePrefix);
    this.log.info({ extranoncePrefix: toHex(msg.extranoncePrefix) }, 'extranonce prefix changed');
  }

  private onCustomJobAnswer(s: Session, msg: Sv2MessageOf<'SetCustomMiningJobSuccess'> | Sv2MessageOf<'SetCustomMiningJobError'>): void {
    const ch = s.channel;
    const r = s.customJobs.get(msg.requestId);
    if (!ch || msg.channelId !== ch.params.channelId || !r) return this.unexpected(msg);
    s.customJobs.delete(msg.requestId);
    this.clock.clearTimeout(r.timer);
    if (msg.type === 'SetCustomMiningJobSuccess') r.resolve({ ok: true, jobId: msg.jobId });
    else r.resolve({ ok: false, kind: 'refused', code: msg.errorCode });
  }

  private onCloseChannel(s: Session, msg: Sv2MessageOf<'CloseChannel'>): void {
    const ch = s.channel;
    if (!ch || !ch.addressedBy(msg.channelId)) return this.unexpected(msg);
    // The channel is gone; a fresh session opens a new one (after backoff).
    this.end(`pool closed the channel: ${msg.reasonCode}`);
  }

  private onReconnect(s: Session, msg: Sv2MessageOf<'Reconnect'>): void {
    const host = msg.newHost.length > 0 ? msg.newHost : s.host;
    const port = msg.newPort !== 0 ? msg.newPort : s.port;
    if (!this.pool.authorityKey && isIP(host) !== 0 && !isPrivateAddress(host)) {
      this.log.warn({ host }, 'ignoring Reconnect of an unauthenticated pool to a public address');
      return;
    }
    this.log.info({ host, port }, 'pool asked to reconnect');
    // The same authority key is kept: a Reconnect can never move us to another pool (spec 3.6.5).
    this.sup.redirect(host, port, `pool asked to reconnect to ${host}:${port}`);
  }

  private onSetGroupChannel(s: Session, msg: Sv2MessageOf<'SetGroupChannel'>): void {
    const ch = s.channel;
    if (ch && msg.channelIds.includes(ch.params.channelId)) ch.params.groupChannelId = msg.groupChannelId;
  }

  /**
   * SetupConnection.Error (spec 5.3.1). A pool that takes only extended channels, or cannot promise
   * version rolling on an extended one, gets an immediate second setup without what it refused; on a
   * standard channel without version rolling the chips would idle, so the pool is unusable.
   */
  private onSetupRefused(msg: Sv2MessageOf<'SetupConnectionError'>, requested: number): void {
    const s = this.session;
    if (!s) return;
    const reason = `setup refused: ${msg.errorCode}${msg.flags ? ` (flags 0x${msg.flags.toString(16)})` : ''}`;
    if (msg.flags & MiningSetupFlags.REQUIRES_STANDARD_JOBS && s.kind === 'standard') {
      this.forceExtended = true;
      this.log.warn('pool refuses standard-jobs-only clients; switching to an extended channel');
      return this.end(reason, { immediate: true });
    }
    if (msg.flags & MiningSetupFlags.REQUIRES_VERSION_ROLLING && requested & MiningSetupFlags.REQUIRES_VERSION_ROLLING) {
      if (s.kind === 'extended') {
        this.rollingRefused = true;
        this.log.warn('pool refuses REQUIRES_VERSION_ROLLING: setting up again without it; on a fixed version the extranonce is rolled fast instead');
        return this.end(reason, { immediate: true });
      }
      return this.unusable(
        s,
        `${reason}: the pool offers no version rolling, and on a standard channel the version is all these chips can roll (use channel = "extended", or another pool)`,
      );
    }
  }

  private onSetupSuccess(info: SessionOpen): void {
    const s = this.session;
    if (!s) return;
    s.setup = { usedVersion: info.usedVersion, flags: info.flags };
    s.requestedFlags = info.requestedFlags;
    if (info.flags & MiningSuccessFlags.REQUIRES_EXTENDED_CHANNELS && s.kind === 'standard') {
      this.log.warn('pool requires extended channels; opening an extended channel instead of a standard one');
      s.kind = 'extended';
      this.forceExtended = true;
    }
    if (info.flags & MiningSuccessFlags.REQUIRES_FIXED_VERSION) {
      // Spec 5.3.1: not allowed when we asked REQUIRES_VERSION_ROLLING; some pools do it anyway.
      if (s.kind === 'standard' && this.opts.chipsRollVersions) {
        this.unusable(
          s,
          'the pool requires a fixed version (REQUIRES_FIXED_VERSION), and on a standard channel the version is all these chips can roll (use channel = "extended", or another pool)',
        );
        return;
      }
      this.log.warn(
        { askedForRolling: (s.requestedFlags & MiningSetupFlags.REQUIRES_VERSION_ROLLING) !== 0 },
        'pool requires a fixed version: mining without version rolling (the extranonce is rolled fast instead)',
      );
    }
    this.handshakeInfo = info;
    this.openChannel(s);
  }

  /** Ends a session with a pool whose work these chips cannot mine: failover, and retries with backoff. */
  private unusable(s: Session, why: string): void {
    this.counters.protocolErrors++;
    this.log.error({ host: s.host, port: s.port, channel: s.kind }, `pool unusable for these chips: ${why}`);
    this.end(why, { category: 'unusable' });
  }

  private onChannelOpen(s: Session, msg: Sv2MessageOf<'OpenStandardMiningChannelSuccess'> | Sv2MessageOf<'OpenExtendedMiningChannelSuccess'>): void {
    this.clock.clearTimeout(s.timer);
    const extended = msg.type === 'OpenExtendedMiningChannelSuccess';
    const params: ChannelParams = {
      kind: extended ? 'extended' : 'standard',
      channelId: msg.channelId,
      groupChannelId: msg.groupChannelId,
      target: u256LeToBigInt(msg.target),
      extranoncePrefix: msg.extranoncePrefix.slice(),
      extranonceSize: extended ? msg.extranonceSize : 0,
    };
    if (extended && (params.extranonceSize === 0 || params.extranoncePrefix.length + params.extranonceSize > 32)) {
      // B0_32 caps the full extranonce at 32 bytes (docs/sv2.md "Values and their sources"); 0 leaves nothing
      // to roll.
      this.end(`pool offered an unusable extranonce (prefix ${params.extranoncePrefix.length} + size ${params.extranonceSize} bytes)`);
      return;
    }
    const fixed = ((s.setup?.flags ?? 0) & MiningSuccessFlags.REQUIRES_FIXED_VERSION) !== 0;
    s.channel = new ClientChannel(params, { poolId: this.id, upstream: this, versionMask: fixed ? 0 : this.versionMask });
    s.tracker = new ShareTracker();
    this.counters.connects++;
    this.lastRateSent = { rate: this.measuredRate ?? this.opts.nominalHashrate, at: this.clock.now() };
    const difficulty = this.noteTarget(params.target, 'channel opened');
    this.log.info(
      {
        kind: params.kind,
        channelId: params.channelId,
        groupChannelId: params.groupChannelId,
        extranoncePrefix: toHex(params.extranoncePrefix),
        extranonceSize: params.extranonceSize,
        versionMask: fixed ? 0 : this.versionMask,
      },
      'channel open',
    );
    this.emit('session', {
      host: s.host,
      port: s.port,
      remoteAddress: this.handshakeInfo?.remoteAddress,
      handshake: this.handshakeInfo?.handshake ?? { mode: 'plain' },
      setup: { usedVersion: s.setup?.usedVersion ?? 0, flags: s.setup?.flags ?? 0, requestedFlags: s.requestedFlags },
      channel: { ...params, extranoncePrefix: params.extranoncePrefix.slice() },
      difficulty,
    });
    this.sup.established();
    this.emit('target', params.target);
  }

  /**
   * Logs the target as a difficulty (a byte-swapped target shows up here, docs/sv2.md "Values and their
   * sources").
   */
  private noteTarget(target: bigint, why: string): number {
    const difficulty = targetToDifficulty(target);
    this.counters.difficulty = difficulty;
    this.log.info({ difficulty, target: target.toString(16).padStart(64, '0'), why }, 'share target');
    if (difficulty > ABSURD_SHARE_DIFFICULTY)
      this.log.warn({ difficulty }, 'absurd share difficulty: is the pool sending its target big-endian? (U256 is little-endian)');
    return difficulty;
  }

  private onJobMessage(s: Session, msg: Sv2MessageOf<'NewMiningJob'> | Sv2MessageOf<'NewExtendedMiningJob'> | Sv2MessageOf<'SetNewPrevHash'>): void {
    const ch = s.channel;
    if (!ch || !ch.addressedBy(msg.channelId)) return this.unexpected(msg);
    const now = this.clock.now();
    const job =
      msg.type === 'NewMiningJob'
        ? ch.onNewMiningJob(msg, now)
        : msg.type === 'NewExtendedMiningJob'
          ? ch.onNewExtendedMiningJob(msg, now)
          : ch.onSetNewPrevHash(msg, now);
    if (!job) return;
    if (job.work.kind === 'header' && job.versionMask === 0 && this.opts.chipsRollVersions) {
      // A group's extended job without version_rolling_allowed, on a standard channel: nothing to roll.
      return this.unusable(
        s,
        `job ${job.id} allows no version rolling, and on a standard channel the version is all these chips can roll (use channel = "extended", or another pool)`,
      );
    }
    this.job = job;
    this.log.debug({ jobId: job.id, clean: job.clean, ntime: job.ntime }, 'job');
    this.emit('job', job);
  }

  private onSharesSuccess(s: Session, msg: Sv2MessageOf<'SubmitSharesSuccess'>): void {
    const ch = s.channel;
    if (!ch || !s.tracker || msg.channelId !== ch.params.channelId) return this.unexpected(msg);
    const acked = s.tracker.acknowledge(msg.lastSequenceNumber);
    if (acked.length !== msg.newSubmitsAcceptedCount) {
      this.log.debug(
        { acked: acked.length, poolCount: msg.newSubmitsAcceptedCount, last: msg.lastSequenceNumber },
        'batched acknowledgement count differs from ours',
      );
    }
    for (const e of acked) e.resolve({ status: 'accepted' });
  }

  private onSharesError(s: Session, msg: Sv2MessageOf<'SubmitSharesError'>): void {
    const ch = s.channel;
    if (!ch || !s.tracker || msg.channelId !== ch.params.channelId) return this.unexpected(msg);
    const e = s.tracker.reject(msg.sequenceNumber);
    if (!e) {
      this.summary.warn('unknown-share-error', { seq: msg.sequenceNumber, code: msg.errorCode }, 'SubmitShares.Error for a share we are not waiting for');
      this.strike('SubmitShares.Error for a share we are not waiting for');
      return;
    }
    this.log.warn({ seq: msg.sequenceNumber, code: msg.errorCode, jobId: e.share.job.id }, 'share rejected');
    const code = sv2ShareCode(msg.errorCode);
    const detail = code === 'other' ? { detail: msg.errorCode } : {};
    e.resolve(code === 'stale-share' ? { status: 'stale', reason: code } : { status: 'rejected', reason: code, ...detail });
  }

  // ---------------------------------------------------------------------------------------------
  // Bookkeeping

  private count(share: Share, o: ShareOutcome, targetDifficulty: number): void {
    countShareOutcome(this.counters, o, targetDifficulty, this.clock.now());
    this.emit('share', share, o);
  }

  private expireShares(): void {
    const s = this.session;
    if (!s?.tracker) return;
    const timeout = this.opts.timeouts?.shareAckMs ?? 300_000;
    for (const e of s.tracker.expire(this.clock.now() - timeout)) e.resolve({ status: 'lost', reason: 'lost-to-timeout' });
    this.maybeSendHashrate();
  }

  private maybeSendHashrate(): void {
    const s = this.session;
    const rate = this.measuredRate;
    if (!s?.channel || rate === null || !this.sup.isOpen) return;
    const now = this.clock.now();
    const cfg = this.opts.hashrateUpdate ?? {};
    const last = this.lastRateSent;
    if (last) {
      if (now - last.at < (cfg.minIntervalMs ?? 60_000)) return;
      const change = last.rate > 0 ? Math.abs(rate - last.rate) / last.rate : 1;
      if (change < (cfg.minChange ?? 0.1)) return;
    }
    this.sup.send({
      type: 'UpdateChannel',
      channelId: s.channel.params.channelId,
      nominalHashRate: rate,
      maximumTarget: bigIntToU256Le(this.opts.maxTarget ?? MAX_TARGET),
    });
    this.lastRateSent = { rate, at: now };
    this.log.info({ hashrate: rate }, 'UpdateChannel sent');
  }
}

export type { OutstandingShare };
