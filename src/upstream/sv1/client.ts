/**
 * Stratum V1 mining client: one pool connection (plain TCP or TLS), implementing `Upstream`.
 *
 * Handshake (pipelined, as ESP-Miner does, docs/stratum-v1-and-pools.md "Handshake"):
 *   1. mining.configure  ["version-rolling"] with mask and min-bit-count (BIP310), unless disabled;
 *   2. mining.subscribe  [user agent `asic-agent/<version>`];
 *   3. mining.authorize  [user, password];
 *   then, once authorize succeeded: mining.suggest_difficulty (when configured) and
 *   mining.extranonce.subscribe (when the pool entry enables it).
 * The connection is `ready` when both the subscribe and the authorize replies succeeded. A pool that
 * never answers mining.configure (some old pools ignore unknown methods) is treated as granting no
 * mask; a late configure reply or a mining.set_version_mask still applies (BIP310: "valid immediately"),
 * including one that arrives before the subscribe reply (the ESP-Miner #80 crash).
 *
 * Difficulty: a mining.set_difficulty that arrives mid-job sets the target of every later job; a Job
 * keeps the target it was issued with (src/upstream/job.ts). For the job being mined a new difficulty
 * can only make this client stricter: pools differ on whether it applies to the current job (ckpool:
 * next job; others: at once), so while the same job runs the client holds back the shares that miss
 * the stricter of the old and new targets (counted stale, `below-new-difficulty`) — a share it sends is
 * then acceptable under either rule. Pools nearly always follow set_difficulty with a notify anyway.
 *
 * Every submit is matched to its reply by id; the outcome is accepted, rejected or stale with the
 * pool's reason (whatever error shape it used), or lost (timeout, disconnect, job from an earlier
 * connection). Bad lines are counted and logged, never fatal.
 */
import { sv1ShareCode } from '../share-code.js';
import { sessionFailure, type FailureCategory, type SessionFailure } from '../session-failure.js';
import { redactUrlCredentials } from '../../url-credentials.js';
import { LogSummary } from '../../log-summary.js';
import { ABSURD_SHARE_DIFFICULTY, ProtocolStrikes } from '../protocol-strikes.js';
import type { Socket } from 'node:net';
import { systemClock, type Clock, type TimerHandle } from '../../clock.js';
import { logger, type Logger } from '../../log.js';
import { TypedEmitter } from '../../typed-emitter.js';
import { toHex, equalBytes } from '../../work/bytes.js';
import { difficultyToTarget, hashToBigInt, targetToDifficulty } from '../../work/target.js';
import { BIP320_MASK, versionWithinMask } from '../../work/version-rolling.js';
import { USER_AGENT } from '../../version.js';
import type { Job, Share, ShareOutcome } from '../job.js';
import { countShareOutcome, emptyUpstreamStats, type Upstream, type UpstreamEvents, type UpstreamState, type UpstreamStats } from '../upstream.js';
import { jobFromNotify, type Sv1Session } from './job-from-notify.js';
import { decodeSv1Line, encodeRequest, encodeResult, replyFailure, Sv1ProtocolError, type Sv1Response } from './json-rpc.js';
import { LineSplitter } from './line-splitter.js';
import { authorizeParams, configureParams, submitParams, subscribeParams } from './miner-messages.js';
import { PendingRequests, type PendingEnd } from './pending-requests.js';
import {
  parseConfigureResult,
  parsePoolMessage,
  parseSubscribeResult,
  type ExtranonceParams,
  type NotifyParams,
  type PoolMessage,
  type ReconnectParams,
} from './pool-messages.js';
import { openSv1Socket, type Sv1TlsOptions } from './transport.js';
import { formatSv1Url, parseSv1Url, type Sv1Endpoint } from './url.js';

export interface Sv1VersionRolling {
  /** Mask requested in mining.configure. Default BIP320 0x1fffe000. */
  mask?: number;
  /** version-rolling.min-bit-count (BIP310). Default 2, BIP310's example. */
  minBitCount?: number;
}

export interface Sv1ClientOptions {
  /** Pool id (config name or URL). */
  id: string;
  url: string;
  user: string;
  password: string;
  clock?: Clock;
  /** Sent in mining.subscribe. Default `asic-agent/<version>`. */
  userAgent?: string;
  /** false: never send mining.configure, never roll versions. */
  versionRolling?: Sv1VersionRolling | false;
  /** Sent as mining.suggest_difficulty after authorize when > 0. */
  suggestDifficulty?: number;
  /** Send mining.extranonce.subscribe after authorize. */
  extranonceSubscribe?: boolean;
  tls?: Sv1TlsOptions;
  /** Follow client.reconnect to another host or port. Default false: reconnect to the configured URL (a redirect moves the hashrate). */
  followRedirects?: boolean;
  connectTimeoutMs?: number;
  /** Subscribe and authorize must both succeed within this time. */
  handshakeTimeoutMs?: number;
  /** A submit without a reply by then counts as lost-to-timeout. */
  submitTimeoutMs?: number;
  /** Longest line accepted from the pool. Default 128 KiB (a notify with a large coinb2 and 13-deep branch is ~10 KiB). */
  maxLineBytes?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Cap on the wait a client.reconnect may ask for. */
  maxReconnectWaitMs?: number;
  /** Jobs remembered per connection for routing submits. */
  maxJobs?: number;
}

/** Counters beyond UpstreamStats, for the API and for tests. */
export interface Sv1Stats extends UpstreamStats {
  /** Lost shares by reason (lost-to-disconnect, lost-to-timeout, lost-refused-job). */
  lostReasons: Record<string, number>;
  lines: number;
  lineTooLong: number;
  invalidJson: number;
  badMessages: number;
  unknownMethods: number;
  unmatchedReplies: number;
  submitTimeouts: number;
  reconnectRequests: number;
  messagesShown: number;
  lastMessage?: string;
  jobs: number;
  versionMask: number;
  extranonce1?: string;
  extranonce2Size?: number;
  lastSubmitLatencyMs?: number;
}

type Ctx =
  | { kind: 'configure' }
  | { kind: 'subscribe' }
  | { kind: 'authorize' }
  | { kind: 'suggest_difficulty' }
  | { kind: 'extranonce.subscribe' }
  | { kind: 'submit'; share: Share; difficulty: number; finish: (o: ShareOutcome) => void };

interface JobEntry {
  job: Job;
  /** A later clean_jobs notify made this job stale. */
  stale: boolean;
  /** A stricter target from a set_difficulty received while this job ran (see the module comment). */
  limit?: bigint;
}

/** One connection's state; replaced on every connect. */
interface Connection {
  socket: Socket;
  startedAt: number;
  session: Sv1Session;
  subscribed: boolean;
  authorized: boolean;
  configurePending: boolean;
  /** Difficulty for the next job (set_difficulty). */
  nextTarget: bigint;
  pendingExtranonce?: ExtranonceParams;
  /** Last notify received before the handshake finished. */
  bufferedNotify?: NotifyParams;
  jobs: Map<string, JobEntry>;
  current?: Job;
  sentFirstJob: boolean;
  handshakeTimer?: TimerHandle;
  closed: boolean;
}

export class Sv1Client extends TypedEmitter<UpstreamEvents> implements Upstream {
  readonly id: string;
  readonly url: string;
  readonly protocol = 'sv1' as const;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Bad messages of the current connection (issue 21 D9); warnings about them are summarised. */
  private readonly strikes: ProtocolStrikes;
  private readonly summary: LogSummary;
  private readonly endpoint: Sv1Endpoint;
  private readonly o: Required<Omit<Sv1ClientOptions, 'tls' | 'versionRolling' | 'suggestDifficulty' | 'clock'>> & {
    tls?: Sv1TlsOptions;
    versionRolling: Required<Sv1VersionRolling> | false;
    suggestDifficulty?: number;
  };
  private st: UpstreamState = 'idle';
  private conn?: Connection;
  private readonly pending: PendingRequests<Ctx>;
  private readonly counters: Sv1Stats = {
    ...emptyUpstreamStats(),
    lostReasons: {},
    lines: 0,
    lineTooLong: 0,
    invalidJson: 0,
    badMessages: 0,
    unknownMethods: 0,
    unmatchedReplies: 0,
    submitTimeouts: 0,
    reconnectRequests: 0,
    messagesShown: 0,
    jobs: 0,
    versionMask: 0,
  };
  private retryTimer?: TimerHandle;
  private failures = 0;
  /** Where the next connect goes (differs from `endpoint` only after a followed client.reconnect). */
  private target: Sv1Endpoint;
  private lastDifficulty = 1;
  private stopped = false;

  constructor(opts: Sv1ClientOptions) {
    super();
    this.endpoint = parseSv1Url(opts.url);
    this.target = this.endpoint;
    this.id = opts.id;
    this.url = formatSv1Url(this.endpoint);
    this.clock = opts.clock ?? systemClock;
    this.log = logger('sv1.client', { pool: opts.id, url: redactUrlCredentials(this.url) });
    this.strikes = new ProtocolStrikes(this.clock);
    this.summary = new LogSummary(this.log, this.clock);
    const vr = opts.versionRolling === false ? false : { mask: opts.versionRolling?.mask ?? BIP320_MASK, minBitCount: opts.versionRolling?.minBitCount ?? 2 };
    this.o = {
      id: opts.id,
      url: opts.url,
      user: opts.user,
      password: opts.password,
      userAgent: opts.userAgent ?? USER_AGENT,
      versionRolling: vr,
      extranonceSubscribe: opts.extranonceSubscribe ?? false,
      followRedirects: opts.followRedirects ?? false,
      connectTimeoutMs: opts.connectTimeoutMs ?? 5000,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 10_000,
      submitTimeoutMs: opts.submitTimeoutMs ?? 30_000,
      maxLineBytes: opts.maxLineBytes ?? 128 * 1024,
      reconnectMinMs: opts.reconnectMinMs ?? 1000,
      reconnectMaxMs: opts.reconnectMaxMs ?? 60_000,
      maxReconnectWaitMs: opts.maxReconnectWaitMs ?? 600_000,
      maxJobs: opts.maxJobs ?? 256,
    };
    if (opts.tls) this.o.tls = opts.tls;
    if (opts.suggestDifficulty !== undefined && opts.suggestDifficulty > 0) this.o.suggestDifficulty = opts.suggestDifficulty;
    this.pending = new PendingRequests<Ctx>(this.clock);
  }

  get state(): UpstreamState {
    return this.st;
  }

  start(): void {
    if (this.st !== 'idle') return;
    this.setState('connecting');
    void this.connect();
  }

  async stop(reason = 'stopped'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.summary.close();
    const c = this.conn;
    this.setState('closed', sessionFailure('stopped', reason));
    if (c) this.dropConnection(c, reason);
    if (c && !c.socket.destroyed) {
      await new Promise<void>((resolve) => {
        c.socket.once('close', () => resolve());
        c.socket.destroy();
      });
    }
  }

  currentJob(): Job | undefined {
    return this.st === 'ready' ? this.conn?.current : undefined;
  }

  reportHashrate(): void {
    // Stratum V1 has no hashrate message; the pool estimates it from shares.
  }

  stats(): Sv1Stats {
    const s: Sv1Stats = {
      ...this.counters,
      rejectReasons: { ...this.counters.rejectReasons },
      lostReasons: { ...this.counters.lostReasons },
      difficulty: this.lastDifficulty,
    };
    const c = this.conn;
    if (c && !c.closed) {
      s.versionMask = c.session.versionMask;
      if (c.subscribed) {
        s.extranonce1 = toHex(c.session.extranonce1);
        s.extranonce2Size = c.session.extranonce2Size;
      }
    }
    return s;
  }

  submit(share: Share): Promise<ShareOutcome> {
    const outcome = this.trySubmit(share);
    if (outcome) {
      this.record(share, outcome, 0);
      return Promise.resolve(outcome);
    }
    return new Promise<ShareOutcome>((resolve) => {
      const c = this.conn as Connection;
      const job = share.job;
      const mask = c.session.versionMask;
      const difficulty = targetToDifficulty(job.target);
      const id = this.pending.add({ kind: 'submit', share, difficulty, finish: resolve }, this.o.submitTimeoutMs, (end) => this.onSubmitEnd(end));
      const extranonce2 = toHex(share.extranonce as Uint8Array);
      const params = submitParams({
        user: this.o.user,
        jobId: job.id,
        extranonce2,
        ntime: share.ntime,
        nonce: share.nonce,
        ...(mask !== 0 ? { versionBits: (share.version & mask) >>> 0 } : {}),
      });
      this.send(c, encodeRequest(id, 'mining.submit', params));
    });
  }

  /** Checks a share before sending; returns an outcome when it cannot be sent. */
  private trySubmit(share: Share): ShareOutcome | undefined {
    const job = share.job;
    if (job.source.poolId !== this.id) return { status: 'lost', reason: 'lost-refused-job' };
    const c = this.conn;
    if (!c || c.closed || this.st !== 'ready') return { status: 'lost', reason: 'lost-to-disconnect' };
    // Jobs of an earlier connection: their extranonce1 and job ids mean nothing to this session.
    if (job.receivedAt < c.startedAt) return { status: 'lost', reason: 'lost-to-disconnect' };
    const entry = c.jobs.get(job.id);
    if (!entry) return { status: 'stale', reason: 'job-expired' };
    if (!sameWork(entry.job, job)) return { status: 'lost', reason: 'lost-to-disconnect' };
    if (entry.limit !== undefined && hashToBigInt(share.hash) > entry.limit) return { status: 'stale', reason: 'below-new-difficulty' };
    if (job.work.kind !== 'coinbase' || !share.extranonce || share.extranonce.length !== job.work.extranonceSize) {
      return { status: 'rejected', reason: 'bad-extranonce-size', detail: 'extranonce2 size does not match the job' };
    }
    const mask = c.session.versionMask;
    if (!versionWithinMask(job.version, share.version, mask)) {
      // BIP310: the pool rebuilds the version with its last mask; bits outside it cannot be sent.
      if (versionWithinMask(job.version, share.version, job.versionMask)) return { status: 'stale', reason: 'version-mask-changed' };
      return { status: 'rejected', reason: 'version-outside-mask' };
    }
    return undefined;
  }

  private onSubmitEnd(end: PendingEnd<Ctx>): void {
    const ctx = end.context;
    if (ctx.kind !== 'submit') return;
    let outcome: ShareOutcome;
    if (end.kind === 'timeout') {
      this.counters.submitTimeouts++;
      outcome = { status: 'lost', reason: 'lost-to-timeout' };
    } else if (end.kind === 'closed') {
      outcome = { status: 'lost', reason: 'lost-to-disconnect' };
    } else {
      const failure = replyFailure(end.response);
      if (!failure) outcome = { status: 'accepted' };
      else {
        const detail = failure.code !== null ? `${failure.message} (${failure.code})` : failure.message;
        const judged = sv1ShareCode(failure.code, failure.message);
        outcome = judged.status === 'stale' ? { status: 'stale', reason: judged.code, detail } : { status: 'rejected', reason: judged.code, detail };
      }
    }
    this.record(ctx.share, outcome, ctx.difficulty);
    if (outcome.status !== 'accepted') this.log.info({ job: ctx.share.job.id, nonce: ctx.share.nonce, outcome }, 'share not accepted');
    ctx.finish(outcome);
  }

  private record(share: Share, o: ShareOutcome, difficulty: number): void {
    const s = this.counters;
    // A rejection counts the share's difficulty, or the job's when the reply came without one.
    const d = o.status === 'accepted' ? difficulty : difficulty || targetToDifficulty(share.job.target);
    countShareOutcome(s, o, d, this.clock.now());
    // V1 counts stale difficulty as rejected (cgminer's Difficulty Rejected) and keeps lost reasons.
    if (o.status === 'stale') s.rejectedDifficulty += d;
    if (o.status === 'lost') s.lostReasons[o.reason] = (s.lostReasons[o.reason] ?? 0) + 1;
  }

  // ---- connection ----

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const endpoint = this.target;
    let socket: Socket;
    try {
      if (endpoint.tls && this.o.tls?.allowSelfSigned) this.log.warn('TLS certificate verification is off (allow self-signed): lab use only');
      socket = await openSv1Socket(endpoint, { timeoutMs: this.o.connectTimeoutMs, clock: this.clock, ...(this.o.tls ? { tls: this.o.tls } : {}) });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.log.warn({ err: msg, endpoint: formatSv1Url(endpoint) }, 'connect failed');
      // A redirect that does not work falls back to the configured pool.
      this.target = this.endpoint;
      this.retry(sessionFailure('connect-failed', msg));
      return;
    }
    if (this.stopped) {
      socket.destroy();
      return;
    }
    this.counters.connects++;
    const vr = this.o.versionRolling;
    const c: Connection = {
      socket,
      startedAt: this.clock.now(),
      session: { poolId: this.id, upstream: this, extranonce1: new Uint8Array(0), extranonce2Size: 0, versionMask: 0, target: difficultyToTarget(1) },
      subscribed: false,
      authorized: false,
      configurePending: vr !== false,
      nextTarget: difficultyToTarget(1),
      jobs: new Map(),
      sentFirstJob: false,
      closed: false,
    };
    this.lastDifficulty = 1;
    this.conn = c;
    this.strikes.reset();
    const splitter = new LineSplitter(this.o.maxLineBytes, {
      line: (l) => this.onLine(c, l),
      overlong: (n) => {
        this.counters.lineTooLong++;
        this.counters.protocolErrors++;
        this.summary.warn('line-too-long', { bytes: n, limit: this.o.maxLineBytes }, 'line too long from pool: dropped');
        this.strike(c, 'line too long');
      },
    });
    socket.on('data', (d: Buffer) => {
      if (!c.closed) splitter.push(d);
    });
    socket.on('error', (err) => this.onSocketEnd(c, err.message));
    socket.on('close', () => this.onSocketEnd(c, 'connection closed by pool'));
    c.handshakeTimer = this.clock.setTimeout(() => {
      if (!c.closed && !(c.subscribed && c.authorized)) this.fail(c, 'handshake-failed', `no subscribe/authorize reply within ${this.o.handshakeTimeoutMs} ms`);
    }, this.o.handshakeTimeoutMs);

    this.log.info({ endpoint: formatSv1Url(endpoint) }, 'connected');
    // Pipelined handshake; the pool answers in order.
    if (vr !== false) {
      const id = this.pending.add({ kind: 'configure' }, this.o.handshakeTimeoutMs, (e) => this.onConfigureEnd(c, e));
      this.send(
        c,
        encodeRequest(
          id,
          'mining.configure',
          configureParams({ extensions: ['version-rolling'], versionRollingMask: vr.mask, versionRollingMinBitCount: vr.minBitCount }),
        ),
      );
    }
    const sid = this.pending.add({ kind: 'subscribe' }, this.o.handshakeTimeoutMs, (e) => this.onSubscribeEnd(c, e));
    this.send(c, encodeRequest(sid, 'mining.subscribe', subscribeParams(this.o.userAgent)));
    const aid = this.pending.add({ kind: 'authorize' }, this.o.handshakeTimeoutMs, (e) => this.onAuthorizeEnd(c, e));
    this.send(c, encodeRequest(aid, 'mining.authorize', authorizeParams(this.o.user, this.o.password)));
  }

  private send(c: Connection, line: string): void {
    if (c.closed || c.socket.destroyed) return;
    c.socket.write(line);
  }

  private retry(failure: SessionFailure): void {
    if (this.stopped) return;
    this.failures++;
    const base = Math.min(this.o.reconnectMaxMs, this.o.reconnectMinMs * 2 ** Math.min(this.failures - 1, 20));
    // Up to 20 % jitter so a fleet that lost its pool does not reconnect in lockstep.
    const delay = Math.round(base * (1 + Math.random() * 0.2));
    this.setState('connecting', failure);
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
  }

  /** Ends a connection because of a handshake failure or a protocol decision. */
  private fail(c: Connection, category: FailureCategory, detail: string): void {
    if (c.closed) return;
    const reason = `${category}: ${detail}`;
    this.log.warn({ reason }, 'closing connection');
    this.dropConnection(c, reason);
    c.socket.destroy();
    this.retry(sessionFailure(category, detail));
  }

  private onSocketEnd(c: Connection, why: string): void {
    if (c.closed) return;
    const wasReady = c.subscribed && c.authorized;
    const failure = sessionFailure(wasReady ? 'disconnected' : 'handshake-failed', why);
    const reason = `${failure.category}: ${why}`;
    this.log.warn({ reason }, 'connection ended');
    this.dropConnection(c, reason);
    this.retry(failure);
  }

  private dropConnection(c: Connection, reason: string): void {
    if (c.closed) return;
    c.closed = true;
    this.clock.clearTimeout(c.handshakeTimer);
    if (c.subscribed && c.authorized) this.counters.disconnects++;
    this.pending.closeAll(reason);
    if (this.conn === c) this.conn = undefined;
  }

  private setState(s: UpstreamState, failure?: SessionFailure): void {
    if (this.st === s && failure === undefined) return;
    this.st = s;
    this.emit('state', s, failure);
  }

  // ---- incoming ----

  private onLine(c: Connection, line: string): void {
    if (c.closed) return;
    this.counters.lines++;
    let msg: PoolMessage;
    try {
      msg = parsePoolMessage(decodeSv1Line(line));
    } catch (err) {
      this.countBad(c, err, line);
      return;
    }
    try {
      if (msg.kind === 'response') this.onResponse(msg.response);
      else this.onPoolMessage(c, msg);
    } catch (err) {
      this.countBad(c, err, line);
    }
  }

  /**
   * One more strike against the connection; at the limit it is closed (the pool is broken or hostile,
   * issue 21 D9) and the client reconnects later with backoff.
   */
  private strike(c: Connection, what: string): void {
    if (!this.strikes.strike() || c.closed) return;
    this.fail(c, 'protocol-error', `${this.strikes.limit} bad messages within ${this.strikes.windowMs / 1000} s (last: ${what})`);
  }

  private countBad(c: Connection, err: unknown, line: string): void {
    this.counters.protocolErrors++;
    if (err instanceof Sv1ProtocolError && err.kind === 'invalid-json') this.counters.invalidJson++;
    else this.counters.badMessages++;
    if (!(err instanceof Sv1ProtocolError)) {
      // Anything else is a bug of ours; still never fatal for the connection.
      this.summary.note('internal', 'error', { err: err instanceof Error ? err.stack : String(err) }, 'error handling a pool line');
      return;
    }
    this.summary.warn(`bad-line:${err.kind}`, { kind: err.kind, err: err.message, line: line.slice(0, 200) }, 'bad line from pool');
    this.strike(c, err.message);
  }

  private onResponse(r: Sv1Response): void {
    const { matched, latencyMs } = this.pending.resolve(r);
    if (!matched) {
      this.counters.unmatchedReplies++;
      this.counters.protocolErrors++;
      // Summarised but no strike: a late reply to a request that timed out is no sign of a broken pool.
      this.summary.warn('unmatched-reply', { id: r.id, error: r.error }, 'reply to no pending request');
      return;
    }
    if (latencyMs !== undefined) this.counters.lastSubmitLatencyMs = latencyMs;
  }

  private onConfigureEnd(c: Connection, e: PendingEnd<Ctx>): void {
    c.configurePending = false;
    if (e.kind !== 'reply' || c.closed) {
      if (e.kind === 'timeout') this.log.info('no reply to mining.configure: no version rolling');
      return;
    }
    const failure = replyFailure(e.response);
    if (failure) {
      this.log.info({ error: failure.message }, 'mining.configure refused: no version rolling');
      return;
    }
    try {
      const r = parseConfigureResult(e.response.result);
      const requested = this.o.versionRolling === false ? 0 : this.o.versionRolling.mask;
      if (r.versionRollingMask === null) {
        this.log.info({ reason: r.versionRollingError }, 'pool does not allow version rolling');
        return;
      }
      this.applyMask(c, (r.versionRollingMask & requested) >>> 0, 'mining.configure');
    } catch (err) {
      this.countBad(c, err, JSON.stringify(e.response.result ?? null));
    }
  }

  private onSubscribeEnd(c: Connection, e: PendingEnd<Ctx>): void {
    if (c.closed || e.kind === 'closed') return;
    if (e.kind === 'timeout') {
      this.fail(c, 'handshake-failed', 'no reply to mining.subscribe');
      return;
    }
    const failure = replyFailure(e.response);
    if (failure) {
      this.fail(c, 'handshake-failed', `mining.subscribe refused: ${failure.message}`);
      return;
    }
    try {
      const r = parseSubscribeResult(e.response.result);
      c.session.extranonce1 = r.extranonce1;
      c.session.extranonce2Size = r.extranonce2Size;
      c.subscribed = true;
      this.log.info({ extranonce1: toHex(r.extranonce1), extranonce2Size: r.extranonce2Size }, 'subscribed');
    } catch (err) {
      this.countBad(c, err, JSON.stringify(e.response.result ?? null));
      this.fail(c, 'handshake-failed', err instanceof Error ? err.message : String(err));
      return;
    }
    this.maybeReady(c);
  }

  private onAuthorizeEnd(c: Connection, e: PendingEnd<Ctx>): void {
    if (c.closed || e.kind === 'closed') return;
    if (e.kind === 'timeout') {
      this.fail(c, 'authorize-failed', 'no reply to mining.authorize');
      return;
    }
    const failure = replyFailure(e.response);
    if (failure) {
      this.fail(c, 'authorize-failed', failure.message);
      return;
    }
    c.authorized = true;
    // ESP-Miner order: these two only after authorize succeeded (docs/stratum-v1-and-pools.md "Handshake").
    if (this.o.suggestDifficulty !== undefined) {
      const id = this.pending.add({ kind: 'suggest_difficulty' }, this.o.handshakeTimeoutMs, (end) => this.onOptionalEnd('mining.suggest_difficulty', end));
      this.send(c, encodeRequest(id, 'mining.suggest_difficulty', [this.o.suggestDifficulty]));
    }
    if (this.o.extranonceSubscribe) {
      const id = this.pending.add({ kind: 'extranonce.subscribe' }, this.o.handshakeTimeoutMs, (end) => this.onOptionalEnd('mining.extranonce.subscribe', end));
      this.send(c, encodeRequest(id, 'mining.extranonce.subscribe', []));
    }
    this.maybeReady(c);
  }

  private onOptionalEnd(method: string, e: PendingEnd<Ctx>): void {
    if (e.kind === 'reply') {
      const failure = replyFailure(e.response);
      if (failure) this.log.info({ method, error: failure.message }, 'pool refused an optional request');
    } else if (e.kind === 'timeout') {
      this.log.info({ method }, 'no reply to an optional request');
    }
  }

  private maybeReady(c: Connection): void {
    if (c.closed || !c.subscribed || !c.authorized || this.st === 'ready') return;
    this.clock.clearTimeout(c.handshakeTimer);
    this.failures = 0;
    this.setState('ready');
    this.log.info({ versionMask: c.session.versionMask.toString(16), configurePending: c.configurePending }, 'ready');
    if (c.bufferedNotify) {
      const n = c.bufferedNotify;
      c.bufferedNotify = undefined;
      this.acceptNotify(c, n);
    }
  }

  private onPoolMessage(c: Connection, m: Exclude<PoolMessage, { kind: 'response' }>): void {
    switch (m.kind) {
      case 'notify':
        if (!c.subscribed || !c.authorized) c.bufferedNotify = m.notify;
        else this.acceptNotify(c, m.notify);
        return;
      case 'set_difficulty':
        this.onSetDifficulty(c, m.difficulty);
        return;
      case 'set_version_mask':
        if (this.o.versionRolling === false) {
          this.log.info({ mask: m.mask.toString(16) }, 'set_version_mask ignored: version rolling disabled');
          return;
        }
        this.applyMask(c, (m.mask & this.o.versionRolling.mask) >>> 0, 'mining.set_version_mask');
        return;
      case 'set_extranonce':
        // Applies to the jobs that follow (NiceHash's extranonce.subscribe description).
        c.pendingExtranonce = m.extranonce;
        this.log.info({ extranonce1: toHex(m.extranonce.extranonce1), extranonce2Size: m.extranonce.extranonce2Size }, 'new extranonce for the next job');
        return;
      case 'reconnect':
        this.onReconnect(c, m.reconnect);
        return;
      case 'get_version':
        if (m.id !== null) this.send(c, encodeResult(m.id, this.o.userAgent));
        return;
      case 'ping':
        if (m.id !== null) this.send(c, encodeResult(m.id, 'pong'));
        return;
      case 'show_message':
        this.counters.messagesShown++;
        this.counters.lastMessage = m.text;
        this.log.info({ message: m.text }, 'message from pool');
        return;
      case 'unknown':
        this.counters.unknownMethods++;
        this.counters.protocolErrors++;
        this.summary.note('unknown-method', 'info', { method: m.method.slice(0, 64) }, 'unknown method from pool: ignored');
        // JSON-RPC: a request (non-null id) deserves an answer, so the pool does not wait for one.
        if (m.id !== null) this.send(c, encodeResult(m.id, null, { code: 20, message: 'unknown method' }));
    }
  }

  private acceptNotify(c: Connection, n: NotifyParams): void {
    if (c.pendingExtranonce) {
      c.session.extranonce1 = c.pendingExtranonce.extranonce1;
      c.session.extranonce2Size = c.pendingExtranonce.extranonce2Size;
      c.pendingExtranonce = undefined;
    }
    c.session.target = c.nextTarget;
    // The first job of a connection replaces all work from earlier ones.
    const job = jobFromNotify(n, c.session, this.clock.now(), n.cleanJobs || !c.sentFirstJob);
    c.sentFirstJob = true;
    if (job.clean) for (const e of c.jobs.values()) e.stale = true;
    c.jobs.delete(job.id);
    c.jobs.set(job.id, { job, stale: false });
    while (c.jobs.size > this.o.maxJobs) {
      const oldest = c.jobs.keys().next().value as string;
      c.jobs.delete(oldest);
    }
    c.current = job;
    this.counters.jobs++;
    this.emit('job', job);
  }

  private onSetDifficulty(c: Connection, d: number): void {
    if (d > ABSURD_SHARE_DIFFICULTY) {
      // No share could ever be found at this difficulty (issue 21 D10): a pool error, so the pool is
      // left (failover) rather than mined for nothing; the target in force stays until then.
      this.counters.protocolErrors++;
      this.log.warn({ difficulty: d, max: ABSURD_SHARE_DIFFICULTY }, 'absurd mining.set_difficulty: leaving the pool');
      this.fail(c, 'protocol-error', `mining.set_difficulty ${d} is above ${ABSURD_SHARE_DIFFICULTY}`);
      return;
    }
    const target = difficultyToTarget(d);
    c.nextTarget = target;
    this.lastDifficulty = d;
    this.log.info({ difficulty: d }, 'difficulty');
    this.emit('target', target);
    const cur = c.current;
    if (!cur || this.st !== 'ready') return;
    // Same job: only ever stricter (see the module comment); the Job itself keeps its target.
    const e = c.jobs.get(cur.id);
    if (e && target < (e.limit ?? cur.target)) e.limit = target;
  }

  private applyMask(c: Connection, mask: number, from: string): void {
    const old = c.session.versionMask;
    c.session.versionMask = mask;
    this.log.info({ mask: mask.toString(16), from }, 'version mask');
    const cur = c.current;
    if (mask === old || !cur || this.st !== 'ready') return;
    // Valid immediately (BIP310): re-issue the current job; work rolled on bits the pool just took away is void.
    const narrowed = (old & ~mask) !== 0;
    const job: Job = { ...cur, versionMask: mask, clean: narrowed };
    this.replaceCurrent(c, job);
    if (narrowed) for (const e of c.jobs.values()) if (e.job !== job) e.stale = true;
    this.emit('job', job);
  }

  private replaceCurrent(c: Connection, job: Job): void {
    c.current = job;
    const e = c.jobs.get(job.id);
    if (e) e.job = job;
  }

  private onReconnect(c: Connection, p: ReconnectParams): void {
    this.counters.reconnectRequests++;
    let next = this.endpoint;
    if (p.host !== undefined || p.port !== undefined) {
      const wanted: Sv1Endpoint = { tls: this.target.tls, host: p.host ?? this.target.host, port: p.port ?? this.target.port };
      if (this.o.followRedirects) next = wanted;
      else if (wanted.host !== this.endpoint.host || wanted.port !== this.endpoint.port) {
        this.log.warn(
          { to: formatSv1Url(wanted) },
          'client.reconnect to another endpoint not followed (followRedirects is off); reconnecting to the configured pool',
        );
      }
    }
    const waitMs = Math.min(this.o.maxReconnectWaitMs, Math.round(p.waitSeconds * 1000));
    this.log.info({ to: formatSv1Url(next), waitMs }, 'pool asked to reconnect');
    this.target = next;
    this.dropConnection(c, 'reconnect-requested');
    c.socket.destroy();
    this.setState('connecting', sessionFailure('reconnect-requested', formatSv1Url(next)));
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, waitMs);
  }
}

/** Same work: the job a share names is the one this connection issued under that id. */
function sameWork(a: Job, b: Job): boolean {
  if (a === b) return true;
  if (a.version !== b.version || a.nbits !== b.nbits || a.ntime !== b.ntime || !equalBytes(a.prevHash, b.prevHash)) return false;
  if (a.work.kind !== 'coinbase' || b.work.kind !== 'coinbase') return false;
  return equalBytes(a.work.coinbasePrefix, b.work.coinbasePrefix) && equalBytes(a.work.coinbaseSuffix, b.work.coinbaseSuffix);
}
