/**
 * A reconnecting SV2 connection for the protocols that are not mining: Template Distribution (to the
 * miner's own Template Provider) and Job Declaration (to a pool's Job Declarator Server).
 *
 * One session = TCP connect -> Noise NX handshake, the server's certificate checked against the
 * authority key in the URL (or plain / unauthenticated on a private network, when explicitly allowed,
 * as for pools: docs/sv2.md) -> SetupConnection for `protocol` with `flags` -> open. Messages then flow
 * both ways until the session ends; a failure ends it once with a reason, and the link reconnects with
 * backoff until `stop()`. The owner (template-client.ts, jds-client.ts) handles the messages.
 */
import { isIP, type Socket } from 'node:net';
import { TypedEmitter } from '../../typed-emitter.js';
import { systemClock, type Clock, type TimerHandle } from '../../clock.js';
import { logger, type Logger } from '../../log.js';
import { FIRMWARE_NAME, FIRMWARE_VERSION } from '../../version.js';
import type { UpstreamState } from '../upstream.js';
import { Sv2Connection, type HandshakeInfo } from './transport.js';
import { decodeMessage, UnknownMessageError, type Sv2Message } from './messages/registry.js';
import { SV2_PROTOCOL_VERSION } from './messages/common.js';
import { Sv2DecodeError } from './binary/errors.js';
import { NoiseError } from './noise/errors.js';
import { parseSv2Url, PoolUrlError, type Sv2PoolUrl } from './url.js';
import { isPrivateAddress } from './private-address.js';
import { dialSv2 } from './dial.js';
import { Backoff, type BackoffOptions } from './backoff.js';

export type LinkPhase = 'connect' | 'handshake' | 'setup' | 'open';

export interface Sv2LinkOptions {
  /** `stratum2+tcp://host:port/<authority key>`. */
  url: string;
  /** What the peer is, for logs: 'template-provider', 'jds'. */
  role: string;
  /** SetupConnection.protocol (spec 3.6.1). */
  protocol: number;
  /** SetupConnection.flags for that protocol. */
  flags: number;
  allowUnauthenticated?: boolean;
  plain?: boolean;
  clock?: Clock;
  backoff?: BackoffOptions;
  random?: () => number;
  /** Each step of a session (default 10 s). */
  timeouts?: { connectMs?: number; handshakeMs?: number; setupMs?: number };
  /** Inbound payload cap. Template data can be a whole block: default 16 MiB. */
  maxInboundPayload?: number;
  device?: { vendor?: string; hardwareVersion?: string; firmware?: string; deviceId?: string };
  /** Reconnect after a failure (default true). */
  reconnect?: boolean;
}

export type Sv2LinkEvents = {
  /** SetupConnection succeeded: requests can be sent. */
  open: [info: { flags: number; handshake: HandshakeInfo }];
  message: [msg: Sv2Message];
  /** A session ended (reconnect follows unless stopped). */
  close: [reason: string, phase: LinkPhase];
  state: [state: UpstreamState, reason?: string];
};

/** Template data can be a full block (up to 4 MB of transactions); 16 MiB leaves room. */
export const CONTROL_MAX_INBOUND = 16 << 20;

interface Session {
  conn: Sv2Connection | null;
  socket: Socket | null;
  phase: LinkPhase;
  timer?: TimerHandle;
  ended: boolean;
}

/** Checks the URL against the security rules; throws PoolUrlError when a connection would not be allowed. */
export function checkLinkSecurity(url: Sv2PoolUrl, o: { allowUnauthenticated?: boolean; plain?: boolean }): void {
  if (o.plain && url.authorityKey) throw new PoolUrlError('a plain (unencrypted) connection cannot verify the authority key in the URL; drop one of them');
  if (!url.authorityKey) {
    if (!o.allowUnauthenticated) throw new PoolUrlError(`${url.text} has no authority key; refusing an unauthenticated peer (allow it explicitly, private networks only)`);
    if (isIP(url.host) !== 0 && !isPrivateAddress(url.host)) throw new PoolUrlError(`unauthenticated peers are only allowed on loopback or private networks, not ${url.host}`);
  }
}

export class Sv2Link extends TypedEmitter<Sv2LinkEvents> {
  readonly url: Sv2PoolUrl;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private session: Session | null = null;
  private retryTimer: TimerHandle | undefined;
  private stopped = true;
  private st: UpstreamState = 'idle';
  readonly counters = { connects: 0, disconnects: 0, protocolErrors: 0 };

  constructor(private readonly o: Sv2LinkOptions) {
    super();
    this.url = parseSv2Url(o.url);
    checkLinkSecurity(this.url, o);
    this.clock = o.clock ?? systemClock;
    this.log = logger(`sv2.${o.role}`, { url: this.url.text });
    this.backoff = new Backoff(o.backoff, o.random ?? Math.random);
  }

  get state(): UpstreamState {
    return this.st;
  }

  get isOpen(): boolean {
    return this.session?.phase === 'open' && this.session.conn?.isOpen === true;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connectNow();
  }

  stop(reason = 'stopped'): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clock.clearTimeout(this.retryTimer);
    const s = this.session;
    if (s) this.endSession(s, reason);
    this.setState('closed', reason);
  }

  /** Sends on the open session; false when there is none. */
  send(msg: Sv2Message): boolean {
    const s = this.session;
    if (!s || s.phase !== 'open' || !s.conn) return false;
    return s.conn.send(msg);
  }

  /** Ends the current session (protocol error found by the owner); a reconnect follows. */
  drop(reason: string): void {
    const s = this.session;
    if (s) {
      this.counters.protocolErrors++;
      this.endSession(s, reason);
    }
  }

  private setState(st: UpstreamState, reason?: string): void {
    if (this.st === st) return;
    this.st = st;
    this.emit('state', st, reason);
  }

  private connectNow(): void {
    if (this.stopped) return;
    const s: Session = { conn: null, socket: null, phase: 'connect', ended: false };
    this.session = s;
    this.setState('connecting');
    const d = dialSv2(
      { host: this.url.host, port: this.url.port, clock: this.clock, connectMs: this.o.timeouts?.connectMs ?? 10_000, authenticated: this.url.authorityKey !== null, what: 'peer' },
      { ended: () => s.ended, fail: (reason) => this.endSession(s, reason), connected: (socket) => this.handshake(s, socket) },
    );
    s.socket = d.socket;
    s.timer = d.timer;
  }

  private handshake(s: Session, socket: Socket): void {
    s.phase = 'handshake';
    const conn = new Sv2Connection(socket, {
      security: this.o.plain ? { mode: 'plain' } : { mode: 'noise-initiator', authorityKey: this.url.authorityKey },
      clock: this.clock,
      handshakeTimeoutMs: this.o.timeouts?.handshakeMs ?? 10_000,
      maxInboundPayload: this.o.maxInboundPayload ?? CONTROL_MAX_INBOUND,
    });
    s.conn = conn;
    socket.setKeepAlive(true, 60_000);
    conn.on('close', (reason, error) => {
      if (!s.ended && (error instanceof NoiseError || error instanceof Sv2DecodeError)) this.counters.protocolErrors++;
      this.endSession(s, reason);
    });
    conn.on('ready', () => {
      s.phase = 'setup';
      const d = this.o.device ?? {};
      conn.send({
        type: 'SetupConnection',
        protocol: this.o.protocol,
        minVersion: SV2_PROTOCOL_VERSION,
        maxVersion: SV2_PROTOCOL_VERSION,
        flags: this.o.flags >>> 0,
        endpointHost: this.url.host.slice(0, 255),
        endpointPort: this.url.port,
        vendor: d.vendor ?? FIRMWARE_NAME,
        hardwareVersion: d.hardwareVersion ?? '',
        firmware: d.firmware ?? FIRMWARE_VERSION,
        deviceId: d.deviceId ?? '',
      });
      s.timer = this.clock.setTimeout(() => this.endSession(s, 'timeout: SetupConnection got no answer'), this.o.timeouts?.setupMs ?? 10_000);
    });
    conn.on('frame', (f) => {
      if (s.ended) return;
      let msg: Sv2Message;
      try {
        msg = decodeMessage(f);
      } catch (err) {
        this.counters.protocolErrors++;
        if (err instanceof UnknownMessageError) {
          // Spec 3.4: unknown messages are ignored.
          this.log.debug({ msgType: f.msgType, extensionType: f.extensionType }, 'ignoring unknown message');
          return;
        }
        this.endSession(s, `malformed message: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      if (s.phase === 'setup') {
        if (msg.type === 'SetupConnectionSuccess') {
          this.clock.clearTimeout(s.timer);
          if (msg.usedVersion !== SV2_PROTOCOL_VERSION) {
            this.endSession(s, `peer chose protocol version ${msg.usedVersion}, we speak ${SV2_PROTOCOL_VERSION}`);
            return;
          }
          s.phase = 'open';
          this.backoff.reset();
          this.counters.connects++;
          this.log.info({ flags: msg.flags, authenticated: conn.handshake?.server?.authenticated ?? false }, 'connection set up');
          this.setState('ready');
          this.emit('open', { flags: msg.flags, handshake: conn.handshake ?? { mode: 'plain' } });
          return;
        }
        if (msg.type === 'SetupConnectionError') {
          this.endSession(s, `setup refused: ${msg.errorCode}${msg.flags ? ` (flags 0x${msg.flags.toString(16)})` : ''}`);
          return;
        }
        this.counters.protocolErrors++;
        this.log.warn({ type: msg.type }, 'message before SetupConnection.Success ignored');
        return;
      }
      if (s.phase !== 'open') return;
      try {
        this.emit('message', msg);
      } catch (err) {
        // A handler that throws is our bug or a message we cannot use; either way this session is unsafe.
        this.endSession(s, `internal error handling ${msg.type}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    conn.start();
  }

  private endSession(s: Session, reason: string): void {
    if (s.ended) return;
    s.ended = true;
    this.clock.clearTimeout(s.timer);
    const wasOpen = s.phase === 'open';
    if (s.conn) s.conn.close(reason);
    else s.socket?.destroy();
    if (this.session === s) this.session = null;
    if (wasOpen) this.counters.disconnects++;
    this.log[this.stopped ? 'info' : 'warn']({ reason, phase: s.phase }, 'session ended');
    this.emit('close', reason, s.phase);
    if (this.stopped) return;
    const category = s.phase === 'connect' ? 'connect-failed' : s.phase === 'handshake' ? 'handshake-failed' : s.phase === 'setup' ? 'authorize-failed' : 'disconnected';
    const tagged = `${category}: ${this.o.role}: ${reason}`;
    if (this.o.reconnect === false) {
      this.stopped = true;
      this.setState('closed', tagged);
      return;
    }
    this.setState('connecting', tagged);
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => this.connectNow(), this.backoff.next());
  }
}
