/**
 * The one SV2 session supervisor: every SV2 connection the agent makes (the mining client to a pool,
 * the Template Provider link to the miner's own node, the Job Declaration link to a pool's JDS) is
 * opened, set up, watched and reconnected here, so the three share one security rule, one backoff and
 * one failure vocabulary.
 *
 * One session = TCP connect (dial.ts) -> Noise NX handshake with the peer's certificate checked
 * against the authority key in the URL, or plain / unauthenticated on a private network when
 * explicitly allowed (docs/sv2.md) -> SetupConnection for the owner's sub-protocol -> open. The
 * session is *established* at SetupConnection.Success, or later when the owner says so (the mining
 * client: once its channel is open). Messages then flow both ways until the session ends; it ends
 * once, with a typed failure (src/upstream/session-failure.ts), and unless stopped the supervisor
 * reconnects after a backoff delay (at once after the peer's own Reconnect). The owner
 * (mining-client.ts, template-client.ts, jds-client.ts) handles the messages and decides what is a
 * failure of its protocol.
 */
import { isIP, type Socket } from 'node:net';
import { TypedEmitter } from '../../typed-emitter.js';
import { systemClock, type Clock, type TimerHandle } from '../../clock.js';
import { logger, type Logger } from '../../log.js';
import { FIRMWARE_NAME, FIRMWARE_VERSION } from '../../version.js';
import type { UpstreamState } from '../upstream.js';
import { failureText, sessionFailure, type FailureCategory, type SessionFailure } from '../session-failure.js';
import { Sv2Connection, type HandshakeInfo } from './transport.js';
import { decodeMessage, UnknownMessageError, type Sv2Message, type Sv2MessageOf } from './messages/registry.js';
import { SV2_PROTOCOL_VERSION } from './messages/common.js';
import { Sv2DecodeError } from './binary/errors.js';
import { NoiseError } from './noise/errors.js';
import { parseSv2Url, PoolUrlError, type Sv2PoolUrl } from './url.js';
import { isPrivateAddress } from './private-address.js';
import { dialSv2 } from './dial.js';
import { Backoff, type BackoffOptions } from './backoff.js';

/** How far a session got. */
export type SessionPhase = 'connect' | 'handshake' | 'setup' | 'open';

export interface Sv2SupervisorOptions {
  /** `stratum2+tcp://host:port/<authority key>`. */
  url: string;
  /** What the peer is, in refusal messages and logs: 'pool', 'template-provider', 'jds'. */
  role: string;
  /** The owner's logger (its module name); default `sv2.<role>`. */
  log?: Logger;
  /** SetupConnection.protocol (spec 3.6.1). */
  protocol: number;
  /** SetupConnection.flags, asked for each session (an owner may set up again with other flags). */
  setupFlags: () => number;
  allowUnauthenticated?: boolean;
  plain?: boolean;
  clock?: Clock;
  backoff?: BackoffOptions;
  /** Random source for backoff jitter (tests pass a fixed one). */
  random?: () => number;
  /**
   * connectMs / handshakeMs / setupMs: each step of a session (default 10 s). idleMs: a peer that
   * sends no complete message for this long is dropped (default 0 = never). SV2 has no ping, and a hung
   * pool would otherwise keep the miner on stale work.
   */
  timeouts?: { connectMs?: number; handshakeMs?: number; setupMs?: number; idleMs?: number };
  /** Inbound payload cap (the transport's default, 1 MiB, when absent). */
  maxInboundPayload?: number;
  device?: { vendor?: string; hardwareVersion?: string; firmware?: string; deviceId?: string };
  /** Reconnect after a failure (default true). The probe makes one attempt only. */
  reconnect?: boolean;
  /**
   * The session is established at SetupConnection.Success (default true). False: the owner calls
   * `established()` when its own setup is done; until then a failure counts as refused setup.
   */
  establishOnSetup?: boolean;
}

export interface SessionOpen {
  host: string;
  port: number;
  remoteAddress: string | undefined;
  handshake: HandshakeInfo;
  usedVersion: number;
  flags: number;
  requestedFlags: number;
}

export interface SessionEnd {
  phase: SessionPhase;
  /** The session had been established (a disconnect, not a failed attempt). */
  established: boolean;
  host: string;
  port: number;
  /** A reconnect is scheduled. */
  retrying: boolean;
}

export type Sv2SupervisorEvents = {
  /** A new session begins (owners reset their per-session state). */
  attempt: [endpoint: { host: string; port: number }, attempt: number];
  /** The Noise handshake finished (or a plain connection is up). */
  handshake: [info: HandshakeInfo];
  /** SetupConnection.Success: requests can be sent. */
  open: [info: SessionOpen];
  /**
   * SetupConnection.Error. The owner may end the session itself (to set up again at once with other
   * flags, say); otherwise it ends as `authorize-failed`.
   */
  setupRefused: [msg: Sv2MessageOf<'SetupConnectionError'>, requestedFlags: number];
  /** A message of the open session. */
  message: [msg: Sv2Message];
  /** A frame the peer should not have sent (unknown, or before SetupConnection.Success): ignored. */
  protocolError: [what: string];
  /** A session ended, once. */
  close: [failure: SessionFailure, end: SessionEnd];
  /** 'ready' once established; a failure comes with every state it causes. */
  state: [state: UpstreamState, failure?: SessionFailure];
};

/** Template data can be a full block (up to 4 MB of transactions); 16 MiB leaves room. */
export const CONTROL_MAX_INBOUND = 16 << 20;

/** Checks the URL against the security rules; throws PoolUrlError when a connection would not be allowed. */
export function checkLinkSecurity(url: Sv2PoolUrl, o: { allowUnauthenticated?: boolean; plain?: boolean }, what = 'peer'): void {
  if (o.plain && url.authorityKey) throw new PoolUrlError('a plain (unencrypted) connection cannot verify the authority key in the URL; drop one of them');
  if (!url.authorityKey) {
    if (!o.allowUnauthenticated)
      throw new PoolUrlError(`${what} URL ${url.text} has no authority key; refusing an unauthenticated ${what} (allow it explicitly, private networks only)`);
    if (isIP(url.host) !== 0 && !isPrivateAddress(url.host))
      throw new PoolUrlError(`unauthenticated ${what}s are only allowed on loopback or private networks, not ${url.host}`);
  }
}

/**
 * The failure category of a session that ended in `phase` without being told otherwise: a failed
 * connect or handshake, refused setup (including the owner's own setup before `established()`), or a
 * disconnect.
 */
export function phaseCategory(phase: SessionPhase, established: boolean): FailureCategory {
  switch (phase) {
    case 'connect':
      return 'connect-failed';
    case 'handshake':
      return 'handshake-failed';
    case 'setup':
      return 'authorize-failed';
    case 'open':
      return established ? 'disconnected' : 'authorize-failed';
  }
}

interface Session {
  conn: Sv2Connection | null;
  socket: Socket | null;
  host: string;
  port: number;
  phase: SessionPhase;
  established: boolean;
  requestedFlags: number;
  timer?: TimerHandle;
  idle?: TimerHandle;
  /** Clock time of the last complete message (idle detection). */
  lastRxAt: number;
  ended: boolean;
}

export class Sv2SessionSupervisor extends TypedEmitter<Sv2SupervisorEvents> {
  readonly url: Sv2PoolUrl;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private session: Session | null = null;
  private retryTimer: TimerHandle | undefined;
  private stopped = true;
  private st: UpstreamState = 'idle';
  /** Where the peer's last Reconnect pointed (spec 3.6.5); cleared when that endpoint fails. */
  private redirectTo: { host: string; port: number } | null = null;

  constructor(private readonly o: Sv2SupervisorOptions) {
    super();
    this.url = parseSv2Url(o.url);
    checkLinkSecurity(this.url, o, o.role);
    this.clock = o.clock ?? systemClock;
    this.log = o.log ?? logger(`sv2.${o.role}`, { url: this.url.text });
    this.backoff = new Backoff(o.backoff, o.random ?? Math.random);
  }

  get state(): UpstreamState {
    return this.st;
  }

  /** The current session's phase, if there is one. */
  get phase(): SessionPhase | undefined {
    return this.session?.phase;
  }

  /** SetupConnection succeeded and the transport is up: messages can be sent. */
  get isOpen(): boolean {
    return this.session?.phase === 'open' && this.session.conn?.isOpen === true;
  }

  /** Connect attempts since the last established session. */
  get attempts(): number {
    return this.backoff.attempts;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connectNow();
  }

  /** Ends the session for good (no reconnect); state `closed`. */
  stop(detail = 'stopped'): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clock.clearTimeout(this.retryTimer);
    const s = this.session;
    if (s) this.endSession(s, sessionFailure('stopped', detail), false);
    this.setState('closed', sessionFailure('stopped', detail));
  }

  /** Sends on the open session; false when there is none. */
  send(msg: Sv2Message): boolean {
    const s = this.session;
    if (!s || s.phase !== 'open' || !s.conn) return false;
    return s.conn.send(msg);
  }

  /** The owner's setup is done (the mining channel is open): state `ready`, backoff reset. */
  established(): void {
    const s = this.session;
    if (!s || s.phase !== 'open' || s.established) return;
    s.established = true;
    this.backoff.reset();
    this.setState('ready');
  }

  /**
   * Ends the current session. `category` defaults to what its phase implies; `immediate` reconnects at
   * once (the peer's own request, or setting up again with other flags) and is not a failure;
   * `reconnect: false` ends it without a reconnect (stop() is the usual way).
   */
  end(detail: string, o: { category?: FailureCategory; immediate?: boolean; reconnect?: boolean } = {}): void {
    const s = this.session;
    if (!s) return;
    const category = o.immediate ? 'reconnect-requested' : (o.category ?? phaseCategory(s.phase, s.established));
    this.endSession(s, sessionFailure(category, detail), o.reconnect !== false, o.immediate === true);
  }

  /**
   * The peer's Reconnect (spec 3.6.5): the next session goes to `host:port`, at once, still checked
   * against the same authority key; if it fails before it is established the configured endpoint is
   * used again.
   */
  redirect(host: string, port: number, detail: string): void {
    this.redirectTo = { host, port };
    this.end(detail, { immediate: true });
  }

  private setState(st: UpstreamState, failure?: SessionFailure): void {
    // A failure while still connecting is news too: owners and the pool manager read it.
    if (this.st === st && failure === undefined) return;
    this.st = st;
    this.emit('state', st, failure);
  }

  private connectNow(): void {
    if (this.stopped) return;
    const target = this.redirectTo ?? { host: this.url.host, port: this.url.port };
    const s: Session = {
      conn: null,
      socket: null,
      host: target.host,
      port: target.port,
      phase: 'connect',
      established: false,
      requestedFlags: 0,
      lastRxAt: this.clock.now(),
      ended: false,
    };
    this.session = s;
    this.setState('connecting');
    this.log.info({ host: s.host, port: s.port, attempt: this.backoff.attempts + 1 }, 'connecting');
    this.emit('attempt', { host: s.host, port: s.port }, this.backoff.attempts + 1);
    if (s.ended) return;
    const d = dialSv2(
      {
        host: s.host,
        port: s.port,
        clock: this.clock,
        connectMs: this.o.timeouts?.connectMs ?? 10_000,
        authenticated: this.url.authorityKey !== null,
        what: this.o.role,
      },
      { ended: () => s.ended, fail: (reason) => this.endFailed(s, reason), connected: (socket) => this.handshake(s, socket) },
    );
    s.socket = d.socket;
    s.timer = d.timer;
  }

  private endFailed(s: Session, detail: string): void {
    this.endSession(s, sessionFailure(phaseCategory(s.phase, s.established), detail), true);
  }

  private handshake(s: Session, socket: Socket): void {
    s.phase = 'handshake';
    const conn = new Sv2Connection(socket, {
      security: this.o.plain ? { mode: 'plain' } : { mode: 'noise-initiator', authorityKey: this.url.authorityKey },
      clock: this.clock,
      handshakeTimeoutMs: this.o.timeouts?.handshakeMs ?? 10_000,
      ...(this.o.maxInboundPayload !== undefined ? { maxInboundPayload: this.o.maxInboundPayload } : {}),
    });
    s.conn = conn;
    // Half-open TCP connections (a peer host that vanished) are found by keepalive probes.
    socket.setKeepAlive(true, 60_000);
    this.touch(s);
    conn.on('close', (reason, error) => {
      // Undecryptable, oversized or malformed frames are the peer's protocol errors.
      if (!s.ended && (error instanceof NoiseError || error instanceof Sv2DecodeError)) this.emit('protocolError', reason);
      this.endFailed(s, reason);
    });
    conn.on('ready', (info) => {
      if (s.ended) return;
      this.emit('handshake', info);
      if (s.ended) return;
      this.sendSetup(s, conn);
    });
    conn.on('frame', (f) => {
      if (s.ended) return;
      this.touch(s);
      let msg: Sv2Message;
      try {
        msg = decodeMessage(f);
      } catch (err) {
        if (err instanceof UnknownMessageError) {
          // Spec 3.4: unknown messages (e.g. extensions we did not negotiate) are ignored.
          this.emit('protocolError', 'unknown message');
          this.log.debug({ msgType: f.msgType, extensionType: f.extensionType }, 'ignoring unknown message');
          return;
        }
        this.emit('protocolError', 'malformed message');
        this.endFailed(s, `malformed message: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      if (s.phase === 'setup') this.onSetupAnswer(s, msg);
      else if (s.phase === 'open') this.deliver(s, msg);
    });
    conn.start();
  }

  private sendSetup(s: Session, conn: Sv2Connection): void {
    s.phase = 'setup';
    s.requestedFlags = this.o.setupFlags() >>> 0;
    const d = this.o.device ?? {};
    conn.send({
      type: 'SetupConnection',
      protocol: this.o.protocol,
      minVersion: SV2_PROTOCOL_VERSION,
      maxVersion: SV2_PROTOCOL_VERSION,
      flags: s.requestedFlags,
      endpointHost: s.host.slice(0, 255),
      endpointPort: s.port,
      vendor: d.vendor ?? FIRMWARE_NAME,
      hardwareVersion: d.hardwareVersion ?? '',
      firmware: d.firmware ?? FIRMWARE_VERSION,
      deviceId: d.deviceId ?? '',
    });
    s.timer = this.clock.setTimeout(() => this.endFailed(s, 'timeout: SetupConnection got no answer'), this.o.timeouts?.setupMs ?? 10_000);
  }

  private onSetupAnswer(s: Session, msg: Sv2Message): void {
    if (msg.type === 'SetupConnectionSuccess') {
      this.clock.clearTimeout(s.timer);
      if (msg.usedVersion !== SV2_PROTOCOL_VERSION) {
        this.endFailed(s, `${this.o.role} chose protocol version ${msg.usedVersion}, we speak ${SV2_PROTOCOL_VERSION}`);
        return;
      }
      s.phase = 'open';
      const handshake = s.conn?.handshake ?? { mode: 'plain' as const };
      this.log.info({ flags: msg.flags, authenticated: handshake.server?.authenticated ?? false }, 'connection set up');
      this.emit('open', {
        host: s.host,
        port: s.port,
        remoteAddress: s.conn?.remoteAddress,
        handshake,
        usedVersion: msg.usedVersion,
        flags: msg.flags,
        requestedFlags: s.requestedFlags,
      });
      if (!s.ended && this.o.establishOnSetup !== false) this.established();
      return;
    }
    if (msg.type === 'SetupConnectionError') {
      this.emit('setupRefused', msg, s.requestedFlags);
      if (!s.ended) this.endFailed(s, `setup refused: ${msg.errorCode}${msg.flags ? ` (flags 0x${msg.flags.toString(16)})` : ''}`);
      return;
    }
    this.emit('protocolError', `unexpected ${msg.type}`);
    this.log.warn({ type: msg.type }, 'message before SetupConnection.Success ignored');
  }

  private deliver(s: Session, msg: Sv2Message): void {
    try {
      this.emit('message', msg);
    } catch (err) {
      // A handler that throws is our bug or a message we cannot use; either way this session is unsafe.
      if (!s.ended) this.endFailed(s, `internal error handling ${msg.type}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Notes that the peer spoke: called for every complete message. The idle timer is not re-armed per
   * message (that is two timer-list operations on the job-switch path); when it fires early it re-arms
   * itself for the rest of the window.
   */
  private touch(s: Session): void {
    const idleMs = this.o.timeouts?.idleMs ?? 0;
    if (idleMs <= 0 || s.ended) return;
    s.lastRxAt = this.clock.now();
    if (s.idle === undefined) this.armIdle(s, idleMs, idleMs);
  }

  private armIdle(s: Session, idleMs: number, inMs: number): void {
    s.idle = this.clock.setTimeout(() => {
      s.idle = undefined;
      if (s.ended) return;
      const quiet = this.clock.now() - s.lastRxAt;
      if (quiet >= idleMs) this.endFailed(s, `nothing received from the ${this.o.role} for ${Math.round(idleMs / 1000)} s`);
      else this.armIdle(s, idleMs, idleMs - quiet);
    }, inMs);
  }

  private endSession(s: Session, failure: SessionFailure, reconnect: boolean, immediate = false): void {
    if (s.ended) return;
    s.ended = true;
    this.clock.clearTimeout(s.timer);
    this.clock.clearTimeout(s.idle);
    if (s.conn) s.conn.close(failure.detail);
    else s.socket?.destroy();
    if (this.session === s) this.session = null;
    const retrying = reconnect && !this.stopped && this.o.reconnect !== false;
    this.log[this.stopped ? 'info' : 'warn']({ reason: failureText(failure), phase: s.phase, host: s.host, port: s.port }, 'session ended');
    this.emit('close', failure, { phase: s.phase, established: s.established, host: s.host, port: s.port, retrying });
    if (this.stopped || !reconnect) return;
    if (this.o.reconnect === false) {
      this.stopped = true;
      this.setState('closed', failure);
      return;
    }
    // A redirect that failed before it was established falls back to the configured endpoint.
    if (this.redirectTo && !s.established && !immediate) this.redirectTo = null;
    this.setState('connecting', failure);
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => this.connectNow(), immediate ? 0 : this.backoff.next());
  }
}
