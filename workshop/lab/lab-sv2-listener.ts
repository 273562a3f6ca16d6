/**
 * The listening side shared by the lab Template Provider and the lab Job Declarator Server: a TCP
 * server on 127.0.0.1, a Noise NX responder with a certificate signed by an authority key (or plain
 * frames), decoded messages per connection, and the SetupConnection check for one sub-protocol.
 * (The lab pool, sv2-pool.ts, predates it and keeps its own.)
 */
import { createServer, type Server, type Socket } from 'node:net';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { TypedEmitter } from '../../src/typed-emitter.js';
import type { Clock } from '../../src/clock.js';
import type { Logger } from '../../src/log.js';
import { Sv2Connection } from '../../src/upstream/sv2/transport.js';
import { decodeMessage, UnknownMessageError, type Sv2Message, type Sv2MessageOf } from '../../src/upstream/sv2/messages/registry.js';
import { SV2_PROTOCOL_VERSION } from '../../src/upstream/sv2/messages/common.js';
import { ellSwiftKeypairFromSecret, xOnlyOf, type EllSwiftKeypair } from '../../src/upstream/sv2/noise/ellswift-ecdh.js';
import { signCertificate, type Certificate } from '../../src/upstream/sv2/noise/signature-message.js';
import { authorityPublicKey, encodeAuthorityKey } from '../../src/upstream/sv2/authority-key.js';
import { formatSv2Url } from '../../src/upstream/sv2/url.js';

export interface LabListenerOptions {
  port?: number;
  host?: string;
  plain?: boolean;
  authoritySecret?: Uint8Array;
  certificateValiditySeconds?: number;
  handshakeTimeoutMs?: number;
  /** Largest inbound payload (the JDS receives whole transactions). */
  maxInboundPayload?: number;
  /** The only SetupConnection.protocol this server speaks. */
  protocol: number;
  clock: Clock;
  log: Logger;
}

export interface LabConnection {
  id: number;
  conn: Sv2Connection;
  setup: Sv2MessageOf<'SetupConnection'> | null;
  send: (m: Sv2Message) => void;
}

export type LabListenerEvents = {
  /** A client passed SetupConnection; the owner answers it (Success or Error) through `accept`. */
  setup: [c: LabConnection, m: Sv2MessageOf<'SetupConnection'>];
  message: [c: LabConnection, m: Sv2Message];
  close: [c: LabConnection, reason: string];
};

export class LabSv2Listener extends TypedEmitter<LabListenerEvents> {
  private server: Server | null = null;
  private readonly conns = new Map<number, LabConnection>();
  private nextId = 1;
  private readonly secret: Uint8Array;
  private readonly staticKey: EllSwiftKeypair;
  private certificate: Certificate | null = null;
  private boundPort = 0;
  protocolErrors = 0;

  constructor(private readonly o: LabListenerOptions) {
    super();
    this.secret = o.authoritySecret ?? secp256k1.utils.randomSecretKey();
    this.staticKey = ellSwiftKeypairFromSecret(secp256k1.utils.randomSecretKey());
  }

  get authorityKey(): string {
    return encodeAuthorityKey(authorityPublicKey(this.secret));
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return formatSv2Url(this.o.host ?? '127.0.0.1', this.boundPort, this.o.plain ? null : this.authorityKey);
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  connections(): LabConnection[] {
    return [...this.conns.values()];
  }

  async start(): Promise<void> {
    if (!this.o.plain) this.certificate = this.makeCertificate();
    const server = createServer((s) => this.onSocket(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : 0;
  }

  async stop(): Promise<void> {
    for (const c of this.conns.values()) c.conn.close('server shutting down');
    this.conns.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Drops every client (tests: reconnects). */
  dropAll(reason = 'dropped by the lab'): void {
    for (const c of [...this.conns.values()]) c.conn.close(reason);
  }

  private makeCertificate(): Certificate {
    const now = this.o.clock.wallSeconds();
    return signCertificate(this.secret, xOnlyOf(this.staticKey.secret), now, now + (this.o.certificateValiditySeconds ?? 3600));
  }

  private onSocket(socket: Socket): void {
    // Certificates are short-lived: renew past half of the current one's life.
    const c0 = this.certificate;
    if (c0 && this.o.clock.wallSeconds() > c0.validFrom + (c0.notValidAfter - c0.validFrom) / 2) this.certificate = this.makeCertificate();
    const conn = new Sv2Connection(socket, {
      security: this.o.plain || !this.certificate ? { mode: 'plain' } : { mode: 'noise-responder', staticKey: this.staticKey, certificate: this.certificate },
      clock: this.o.clock,
      handshakeTimeoutMs: this.o.handshakeTimeoutMs ?? 10_000,
      ...(this.o.maxInboundPayload !== undefined ? { maxInboundPayload: this.o.maxInboundPayload } : {}),
    });
    const c: LabConnection = { id: this.nextId++, conn, setup: null, send: (m) => void conn.send(m) };
    this.conns.set(c.id, c);
    conn.on('frame', (f) => {
      let msg: Sv2Message;
      try {
        msg = decodeMessage(f);
      } catch (err) {
        if (err instanceof UnknownMessageError) return;
        this.protocolErrors++;
        conn.close(`malformed message from client: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      if (!c.setup) {
        if (msg.type !== 'SetupConnection') {
          this.protocolErrors++;
          conn.close(`expected SetupConnection, got ${msg.type}`);
          return;
        }
        if (msg.protocol !== this.o.protocol) {
          conn.send({ type: 'SetupConnectionError', flags: 0, errorCode: 'unsupported-protocol' });
          conn.close(`client asked for protocol ${msg.protocol}`);
          return;
        }
        if (msg.minVersion > SV2_PROTOCOL_VERSION || msg.maxVersion < SV2_PROTOCOL_VERSION) {
          conn.send({ type: 'SetupConnectionError', flags: 0, errorCode: 'protocol-version-mismatch' });
          conn.close('no common protocol version');
          return;
        }
        c.setup = msg;
        this.emit('setup', c, msg);
        return;
      }
      this.emit('message', c, msg);
    });
    conn.on('close', (reason) => {
      this.conns.delete(c.id);
      if (!/closed by peer|closed during handshake|shutting down/.test(reason)) this.protocolErrors++;
      this.o.log.info({ conn: c.id, reason }, 'client disconnected');
      this.emit('close', c, reason);
    });
    conn.start();
  }
}
