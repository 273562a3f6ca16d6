/**
 * The lab SV2 pool: a real Stratum V2 pool on 127.0.0.1 for development, demos and tests.
 * Noise NX responder with an authority-signed certificate (or plain frames with `plain`), standard and
 * extended channels, jobs from real block data, a new prev hash on an interval, shares validated by
 * SHA-256 (sv2-pool-core.ts). Programmatic API for in-process tests; `asic-agent lab sv2-pool` wraps it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { TypedEmitter } from '../../src/typed-emitter.js';
import { systemClock, type Clock, type TimerHandle } from '../../src/clock.js';
import { logger, type Logger } from '../../src/log.js';
import { Sv2Connection } from '../../src/upstream/sv2/transport.js';
import { decodeMessage, UnknownMessageError, type Sv2Message } from '../../src/upstream/sv2/messages/registry.js';
import { MiningSetupFlags, MiningSuccessFlags, SV2_PROTOCOL_VERSION, Sv2SubProtocol } from '../../src/upstream/sv2/messages/common.js';
import { ellSwiftKeypairFromSecret, xOnlyOf, type EllSwiftKeypair } from '../../src/upstream/sv2/noise/ellswift-ecdh.js';
import { signCertificate, type Certificate } from '../../src/upstream/sv2/noise/signature-message.js';
import { authorityPublicKey, encodeAuthorityKey } from '../../src/upstream/sv2/authority-key.js';
import { formatSv2Url } from '../../src/upstream/sv2/url.js';
import type { Frame } from '../../src/upstream/sv2/framing.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { loadLabBlocks, type LabBlocks } from './block-data.js';
import { Sv2PoolCore, type CustomJobAuthority, type PoolCoreEvents, type PoolCoreOptions, type PoolCounters } from './sv2-pool-core.js';

export interface Sv2PoolOptions extends Omit<PoolCoreOptions, 'blocks' | 'clock'> {
  /** Listen port (0 = ephemeral; read `port`/`url` after start). */
  port?: number;
  /** Listen address (default 127.0.0.1: a lab pool never listens on the network by default). */
  host?: string;
  /** Plain SV2 frames, no Noise (like SRI's test-only plain port). */
  plain?: boolean;
  /** 32-byte authority secret (default: a fresh random key per run). */
  authoritySecret?: Uint8Array;
  /** Certificate validity from now (default 3600 s, SRI's example). */
  certificateValiditySeconds?: number;
  /** Absolute certificate window override (tests: an expired certificate). */
  certificateWindow?: { validFrom: number; notValidAfter: number };
  /** Seconds between new prev hashes (default 60; 0 = only on demand). */
  prevHashIntervalSeconds?: number;
  /** Seconds between non-future jobs on the same prev hash (default 0 = off). */
  jobIntervalSeconds?: number;
  /** SetupConnection.Success REQUIRES_EXTENDED_CHANNELS. */
  requireExtendedChannels?: boolean;
  blocks?: LabBlocks;
  clock?: Clock;
  /** Handshake / setup timeout for clients (default 10 s). */
  handshakeTimeoutMs?: number;
  /**
   * Accept REQUIRES_WORK_SELECTION and SetCustomMiningJob, checked by this authority (the lab JDS).
   * Without it the pool refuses work selection, as before.
   */
  customJobs?: CustomJobAuthority;
  /** Lab: answer SetCustomMiningJob this much later (shows optimistic mining; a huge value = never). */
  customJobDelayMs?: number;
  /**
   * Lab: answer each SetCustomMiningJob once this resolves (after any delay): a test holds the answer
   * until the event it waits for has happened, instead of hoping a delay is long enough.
   */
  customJobGate?: () => Promise<void>;
}

export interface Sv2PoolStats extends PoolCounters {
  connections: number;
  channels: number;
  /** Connections dropped for protocol reasons (bad frames, failed handshakes). */
  protocolErrors: number;
}

export type Sv2PoolEvents = PoolCoreEvents & {
  connection: [e: { id: number; remote: string }];
  /** A client's SetupConnection was accepted: the flags it asked, and whether it got a fixed version. */
  setup: [e: { id: number; flags: number; fixedVersion: boolean }];
  disconnect: [e: { id: number; reason: string }];
};

interface ClientConn {
  id: number;
  conn: Sv2Connection;
  setupDone: boolean;
  flags: number;
  /** SetupConnection.Success carried REQUIRES_FIXED_VERSION. */
  fixedVersion: boolean;
}

export class Sv2Pool extends TypedEmitter<Sv2PoolEvents> {
  readonly core: Sv2PoolCore;
  private server: Server | null = null;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly conns = new Map<number, ClientConn>();
  private nextConnId = 1;
  private roundTimer: TimerHandle | undefined;
  private jobTimer: TimerHandle | undefined;
  private protocolErrors = 0;
  private readonly delayed = new Set<TimerHandle>();
  private readonly authoritySecret: Uint8Array;
  private readonly staticKey: EllSwiftKeypair;
  private certificate: Certificate | null = null;
  private boundPort = 0;
  readonly blocks: LabBlocks;

  constructor(private readonly o: Sv2PoolOptions = { difficulty: 1 }) {
    super();
    this.clock = o.clock ?? systemClock;
    this.log = logger('lab.sv2-pool');
    this.blocks = o.blocks ?? loadLabBlocks();
    this.core = new Sv2PoolCore({ ...o, blocks: this.blocks, clock: this.clock });
    this.core.on('share', (e) => this.emit('share', e));
    this.core.on('block', (e) => this.emit('block', e));
    this.authoritySecret = o.authoritySecret ?? secp256k1.utils.randomSecretKey();
    // The static key lives as long as the pool process; the certificate binds it to the authority.
    this.staticKey = ellSwiftKeypairFromSecret(secp256k1.utils.randomSecretKey());
  }

  /** The authority public key as pools publish it (base58check). */
  get authorityKey(): string {
    return encodeAuthorityKey(authorityPublicKey(this.authoritySecret));
  }

  get port(): number {
    return this.boundPort;
  }

  /** The URL miners use: with the authority key, unless plain. */
  get url(): string {
    return formatSv2Url(this.o.host ?? '127.0.0.1', this.boundPort, this.o.plain ? null : this.authorityKey);
  }

  /** The certificate currently presented (null in plain mode). */
  get presentedCertificate(): Certificate | null {
    return this.certificate;
  }

  async start(): Promise<{ url: string; port: number }> {
    if (!this.o.plain) this.certificate = this.makeCertificate();
    this.server = createServer((socket) => this.onSocket(socket));
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : 0;
    const prevEvery = this.o.prevHashIntervalSeconds ?? 60;
    if (prevEvery > 0) this.roundTimer = this.clock.setInterval(() => this.core.newRound(), prevEvery * 1000);
    const jobEvery = this.o.jobIntervalSeconds ?? 0;
    if (jobEvery > 0) this.jobTimer = this.clock.setInterval(() => this.core.newJobs(), jobEvery * 1000);
    this.log.info({ url: this.url, plain: this.o.plain ?? false, realBlocks: this.blocks.real, difficulty: this.o.difficulty }, 'lab SV2 pool listening');
    return { url: this.url, port: this.boundPort };
  }

  async stop(): Promise<void> {
    this.clock.clearInterval(this.roundTimer);
    this.clock.clearInterval(this.jobTimer);
    for (const h of this.delayed) this.clock.clearTimeout(h);
    this.delayed.clear();
    for (const c of this.conns.values()) c.conn.close('pool shutting down');
    this.conns.clear();
    this.core.dispose();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  stats(): Sv2PoolStats {
    return {
      ...this.core.counters,
      rejected: { ...this.core.counters.rejected },
      connections: this.conns.size,
      channels: this.core.channelCount(),
      protocolErrors: this.protocolErrors,
    };
  }

  /** Sends Reconnect to every client (tests: Reconnect handling). */
  sendReconnect(newHost = '', newPort = 0): void {
    for (const c of this.conns.values()) c.conn.send({ type: 'Reconnect', newHost, newPort });
  }

  /**
   * Sends any message on every open channel of every client: a hostile pool for tests (jobs that make
   * no sense, oversized extranonce prefixes); `build` gets the channel id.
   */
  sendRaw(build: (channelId: number) => Sv2Message): void {
    for (const c of this.conns.values()) for (const id of this.core.channelIdsOf(c.id)) c.conn.send(build(id));
  }

  /** Drops every client connection at once (tests: lost-to-disconnect). */
  dropConnections(reason = 'dropped by the lab'): void {
    for (const c of [...this.conns.values()]) c.conn.close(reason);
  }

  private makeCertificate(): Certificate {
    const now = this.clock.wallSeconds();
    const w = this.o.certificateWindow ?? { validFrom: now, notValidAfter: now + (this.o.certificateValiditySeconds ?? 3600) };
    return signCertificate(this.authoritySecret, xOnlyOf(this.staticKey.secret), w.validFrom, w.notValidAfter);
  }

  private onSocket(socket: Socket): void {
    const id = this.nextConnId++;
    // Certificates are short-lived: refresh it when the current one is past half its life.
    if (this.certificate && !this.o.certificateWindow) {
      const c = this.certificate;
      if (this.clock.wallSeconds() > c.validFrom + (c.notValidAfter - c.validFrom) / 2) this.certificate = this.makeCertificate();
    }
    const conn = new Sv2Connection(socket, {
      security: this.o.plain || !this.certificate ? { mode: 'plain' } : { mode: 'noise-responder', staticKey: this.staticKey, certificate: this.certificate },
      clock: this.clock,
      handshakeTimeoutMs: this.o.handshakeTimeoutMs ?? 10_000,
    });
    const c: ClientConn = { id, conn, setupDone: false, flags: 0, fixedVersion: false };
    this.conns.set(id, c);
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.emit('connection', { id, remote });
    conn.on('frame', (f) => this.onFrame(c, f));
    conn.on('close', (reason) => {
      this.conns.delete(id);
      this.core.removeConnection(id);
      if (!/closed by peer|closed during handshake|shutting down/.test(reason)) this.protocolErrors++;
      this.log.info({ conn: id, reason }, 'client disconnected');
      this.emit('disconnect', { id, reason });
    });
    conn.start();
  }

  private onFrame(c: ClientConn, f: Frame): void {
    let msg: Sv2Message;
    try {
      msg = decodeMessage(f);
    } catch (err) {
      if (err instanceof UnknownMessageError) {
        this.log.debug({ conn: c.id, msgType: f.msgType }, 'ignoring unknown message');
        return;
      }
      c.conn.close(`malformed message from client: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (!c.setupDone) {
      if (msg.type !== 'SetupConnection') {
        c.conn.close(`expected SetupConnection, got ${msg.type}`);
        return;
      }
      this.onSetup(c, msg);
      return;
    }
    const send = (m: Sv2Message): void => void c.conn.send(m);
    switch (msg.type) {
      case 'OpenStandardMiningChannel':
      case 'OpenExtendedMiningChannel': {
        if (msg.type === 'OpenStandardMiningChannel' && this.o.requireExtendedChannels) {
          send({ type: 'OpenMiningChannelError', requestId: msg.requestId, errorCode: 'standard-channels-not-supported' });
          return;
        }
        if (msg.type === 'OpenStandardMiningChannel' && c.flags & MiningSetupFlags.REQUIRES_WORK_SELECTION) {
          // Custom jobs exist only on extended channels (spec 5.3.18); SRI's code for this case.
          send({ type: 'OpenMiningChannelError', requestId: msg.requestId, errorCode: 'standard-channels-not-supported-for-custom-work' });
          return;
        }
        if (msg.type === 'OpenExtendedMiningChannel' && c.flags & MiningSetupFlags.REQUIRES_STANDARD_JOBS) {
          send({ type: 'OpenMiningChannelError', requestId: msg.requestId, errorCode: 'extended-channels-not-supported-for-standard-jobs' });
          return;
        }
        const setup = { workSelection: (c.flags & MiningSetupFlags.REQUIRES_WORK_SELECTION) !== 0, fixedVersion: c.fixedVersion };
        const r = msg.type === 'OpenStandardMiningChannel' ? this.core.openStandard(c.id, msg, send, setup) : this.core.openExtended(c.id, msg, send, setup);
        if (!r.ok) {
          send({ type: 'OpenMiningChannelError', requestId: msg.requestId, errorCode: r.code });
          return;
        }
        send(this.core.openSuccess(r.channel, msg.requestId));
        this.core.startChannel(r.channel);
        return;
      }
      case 'SubmitSharesStandard':
      case 'SubmitSharesExtended':
        this.core.submit(msg, c.id);
        return;
      case 'UpdateChannel':
        this.core.updateChannel(msg, c.id);
        return;
      case 'SetCustomMiningJob':
        if (!this.o.customJobs || !(c.flags & MiningSetupFlags.REQUIRES_WORK_SELECTION)) {
          send({ type: 'SetCustomMiningJobError', channelId: msg.channelId, requestId: msg.requestId, errorCode: 'jd-not-supported' });
          return;
        }
        if (this.o.customJobGate) {
          const authority = this.o.customJobs;
          const gate = this.o.customJobGate;
          void gate().then(() => {
            if (this.conns.has(c.id)) this.core.setCustomJob(msg, c.id, authority);
          });
        } else if ((this.o.customJobDelayMs ?? 0) > 0) {
          const authority = this.o.customJobs;
          const h = this.clock.setTimeout(() => {
            this.delayed.delete(h);
            if (this.conns.has(c.id)) this.core.setCustomJob(msg, c.id, authority);
          }, this.o.customJobDelayMs ?? 0);
          this.delayed.add(h);
        } else this.core.setCustomJob(msg, c.id, this.o.customJobs);
        return;
      case 'CloseChannel': {
        const ch = this.core.channel(msg.channelId);
        if (ch && ch.connectionId === c.id) {
          this.log.info({ channelId: ch.id, reason: msg.reasonCode }, 'client closed channel');
          this.core.removeChannel(ch.id);
        }
        return;
      }
      default:
        this.log.warn({ conn: c.id, type: msg.type }, 'unexpected message from client ignored');
    }
  }

  private onSetup(c: ClientConn, m: Extract<Sv2Message, { type: 'SetupConnection' }>): void {
    if (m.protocol !== Sv2SubProtocol.Mining) {
      c.conn.send({ type: 'SetupConnectionError', flags: 0, errorCode: 'unsupported-protocol' });
      c.conn.close('client asked for an unsupported protocol');
      return;
    }
    if (m.minVersion > SV2_PROTOCOL_VERSION || m.maxVersion < SV2_PROTOCOL_VERSION) {
      c.conn.send({ type: 'SetupConnectionError', flags: 0, errorCode: 'protocol-version-mismatch' });
      c.conn.close('no common protocol version');
      return;
    }
    // Custom jobs only with an authority to check them (the lab JDS pair), and a fixed-version pool
    // cannot serve a client that requires version rolling (spec 5.3.2).
    let unsupported = this.o.customJobs ? 0 : m.flags & MiningSetupFlags.REQUIRES_WORK_SELECTION;
    if (this.o.fixedVersion) unsupported |= m.flags & MiningSetupFlags.REQUIRES_VERSION_ROLLING;
    // An extended-only pool cannot serve a device that takes standard jobs only.
    if (this.o.requireExtendedChannels) unsupported |= m.flags & MiningSetupFlags.REQUIRES_STANDARD_JOBS;
    if (unsupported) {
      c.conn.send({ type: 'SetupConnectionError', flags: unsupported, errorCode: 'unsupported-feature-flags' });
      c.conn.close(`client requires unsupported features 0x${unsupported.toString(16)}`);
      return;
    }
    c.setupDone = true;
    c.flags = m.flags;
    // A pool that sees no REQUIRES_VERSION_ROLLING may fix the version (spec 5.3.1), as real ones do.
    c.fixedVersion = this.o.fixedVersion === true || (this.o.fixedVersionUnlessAsked === true && (m.flags & MiningSetupFlags.REQUIRES_VERSION_ROLLING) === 0);
    let flags = 0;
    if (c.fixedVersion) flags |= MiningSuccessFlags.REQUIRES_FIXED_VERSION;
    if (this.o.requireExtendedChannels) flags |= MiningSuccessFlags.REQUIRES_EXTENDED_CHANNELS;
    c.conn.send({ type: 'SetupConnectionSuccess', usedVersion: SV2_PROTOCOL_VERSION, flags });
    this.log.info({ conn: c.id, vendor: m.vendor, firmware: m.firmware, flags: m.flags, fixedVersion: c.fixedVersion }, 'client set up');
    this.emit('setup', { id: c.id, flags: m.flags, fixedVersion: c.fixedVersion });
  }
}
