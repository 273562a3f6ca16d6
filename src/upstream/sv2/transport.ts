/**
 * An SV2 connection over a TCP socket: the Noise handshake (initiator or responder) or none (plain test
 * mode), then framed messages both ways, encrypted and chunked (noise/transport-frames.ts) or plain
 * (framing.ts). Used by the mining client, the lab pool, and later the JD/TD roles.
 *
 * Anything wrong on the wire (a bad act 2, an undecryptable or oversized frame, a timeout) closes the
 * connection once, with a short reason; the owner decides whether to reconnect. Nothing throws out of
 * the socket callbacks.
 */
import type { Socket } from 'node:net';
import { TypedEmitter } from '../../typed-emitter.js';
import type { Clock, TimerHandle } from '../../clock.js';
import { systemClock } from '../../clock.js';
import { DEFAULT_MAX_INBOUND_PAYLOAD, encodeFrame, PlainFrameDecoder, type Frame } from './framing.js';
import { Sv2DecodeError } from './binary/errors.js';
import { NoiseError } from './noise/errors.js';
import { NoiseInitiator, type HandshakeResult } from './noise/initiator.js';
import { NoiseResponder } from './noise/responder.js';
import { ACT1_BYTES, ACT2_BYTES, type TransportKeys } from './noise/handshake.js';
import { EncryptedFrameDecoder, encryptFrame } from './noise/transport-frames.js';
import { ByteQueue } from './framing.js';
import type { EllSwiftKeypair } from './noise/ellswift-ecdh.js';
import type { Certificate } from './noise/signature-message.js';
import { encodeMessage, type Sv2Message } from './messages/registry.js';

export type Sv2Security =
  | {
      mode: 'noise-initiator';
      /** x-only authority key; null = unauthenticated (the caller has checked that this is allowed). */
      authorityKey: Uint8Array | null;
      leewaySeconds?: number;
      /** Fixed ephemeral key (regression tests only). */
      ephemeral?: EllSwiftKeypair;
    }
  | { mode: 'noise-responder'; staticKey: EllSwiftKeypair; certificate: Certificate; ephemeral?: EllSwiftKeypair }
  | { mode: 'plain' };

export interface ConnectionOptions {
  security: Sv2Security;
  clock?: Clock;
  /** Largest inbound payload accepted (default 1 MiB). */
  maxInboundPayload?: number;
  /** Time allowed for the handshake (default 10 s). */
  handshakeTimeoutMs?: number;
}

export interface HandshakeInfo {
  mode: Sv2Security['mode'];
  /** Initiator only: what the pool presented. */
  server?: Omit<HandshakeResult, 'keys'>;
}

export type ConnectionEvents = {
  /** The handshake finished; frames can flow. */
  ready: [info: HandshakeInfo];
  frame: [frame: Frame];
  /** Emitted once. `error` is the typed error behind the reason, if any. */
  close: [reason: string, error?: Error];
};

type Phase = 'handshake' | 'open' | 'closed';

export class Sv2Connection extends TypedEmitter<ConnectionEvents> {
  private phase: Phase = 'handshake';
  private readonly clock: Clock;
  private readonly maxInbound: number;
  private readonly hsBuf = new ByteQueue();
  private initiator: NoiseInitiator | null = null;
  private keys: TransportKeys | null = null;
  private decoder: EncryptedFrameDecoder | PlainFrameDecoder | null = null;
  private hsTimer: TimerHandle | undefined;
  private info: HandshakeInfo | null = null;
  private closeReason: string | null = null;
  /** Frames sent and received (for stats). */
  framesIn = 0;
  framesOut = 0;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly socket: Socket,
    private readonly opts: ConnectionOptions,
  ) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.maxInbound = opts.maxInboundPayload ?? DEFAULT_MAX_INBOUND_PAYLOAD;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
    socket.on('error', (err) => this.close(`socket error: ${err.message}`, err));
    socket.on('close', () => this.close(this.phase === 'handshake' ? 'connection closed during handshake' : 'connection closed by peer'));
    socket.on('end', () => this.close(this.phase === 'handshake' ? 'connection closed during handshake' : 'connection closed by peer'));
  }

  /** Starts the handshake (the initiator sends act 1). Call once, on a connected socket. */
  start(): void {
    const sec = this.opts.security;
    this.hsTimer = this.clock.setTimeout(() => this.close('handshake timeout'), this.opts.handshakeTimeoutMs ?? 10_000);
    if (sec.mode === 'plain') {
      this.openWith(null, { mode: 'plain' });
      return;
    }
    if (sec.mode === 'noise-initiator') {
      this.initiator = new NoiseInitiator({
        authorityKey: sec.authorityKey,
        nowSeconds: () => this.clock.wallSeconds(),
        ...(sec.leewaySeconds !== undefined ? { leewaySeconds: sec.leewaySeconds } : {}),
        ...(sec.ephemeral ? { ephemeral: sec.ephemeral } : {}),
      });
      this.write(this.initiator.act1());
    }
  }

  get isOpen(): boolean {
    return this.phase === 'open';
  }

  get handshake(): HandshakeInfo | null {
    return this.info;
  }

  get reason(): string | null {
    return this.closeReason;
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** Sends a message. Returns false (and does nothing) when the connection is not open. */
  send(msg: Sv2Message): boolean {
    return this.sendFrame(encodeMessage(msg));
  }

  sendFrame(frame: Frame): boolean {
    if (this.phase !== 'open') return false;
    const bytes = this.keys ? encryptFrame(this.keys.send, frame) : encodeFrame(frame);
    this.framesOut++;
    this.write(bytes);
    return true;
  }

  /** Closes once; later calls are ignored. */
  close(reason: string, error?: Error): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.closeReason = reason;
    this.clock.clearTimeout(this.hsTimer);
    this.socket.destroy();
    this.emit('close', reason, error);
  }

  private write(b: Uint8Array): void {
    this.bytesOut += b.length;
    this.socket.write(b);
  }

  private openWith(keys: TransportKeys | null, info: HandshakeInfo): void {
    this.clock.clearTimeout(this.hsTimer);
    this.keys = keys;
    this.decoder = keys ? new EncryptedFrameDecoder(keys.recv, this.maxInbound) : new PlainFrameDecoder(this.maxInbound);
    this.phase = 'open';
    this.info = info;
    this.emit('ready', info);
  }

  private onData(chunk: Uint8Array): void {
    if (this.phase === 'closed') return;
    this.bytesIn += chunk.length;
    try {
      let rest: Uint8Array = chunk;
      if (this.phase === 'handshake') {
        rest = this.handshakeStep(chunk);
        if (!this.isOpen) return;
      }
      if (rest.length === 0 || !this.decoder) return;
      const frames = this.decoder.push(rest);
      for (const f of frames) {
        if (this.phase !== 'open') return;
        this.framesIn++;
        this.emit('frame', f);
      }
    } catch (err) {
      if (err instanceof NoiseError)
        this.close(err.reason === 'decrypt-failed' ? 'decrypt failed (tampered or corrupted frame)' : `${err.reason}: ${err.message}`, err);
      else if (err instanceof Sv2DecodeError) this.close(`malformed frame: ${err.message}`, err);
      else this.close(`internal error: ${err instanceof Error ? err.message : String(err)}`, err instanceof Error ? err : undefined);
    }
  }

  /** Consumes handshake bytes; returns whatever arrived after the handshake ended. */
  private handshakeStep(chunk: Uint8Array): Uint8Array {
    const sec = this.opts.security;
    this.hsBuf.push(chunk);
    if (sec.mode === 'noise-initiator') {
      if (this.hsBuf.length < ACT2_BYTES) return new Uint8Array(0);
      const act2 = this.hsBuf.take(ACT2_BYTES);
      const r = (this.initiator as NoiseInitiator).act2(act2);
      const { keys, ...server } = r;
      const rest = this.hsBuf.take(this.hsBuf.length);
      this.openWith(keys, { mode: 'noise-initiator', server });
      return rest;
    }
    if (sec.mode === 'noise-responder') {
      if (this.hsBuf.length < ACT1_BYTES) return new Uint8Array(0);
      const act1 = this.hsBuf.take(ACT1_BYTES);
      const responder = new NoiseResponder({ staticKey: sec.staticKey, certificate: sec.certificate, ...(sec.ephemeral ? { ephemeral: sec.ephemeral } : {}) });
      const r = responder.respond(act1);
      this.write(r.act2);
      const rest = this.hsBuf.take(this.hsBuf.length);
      this.openWith(r.keys, { mode: 'noise-responder' });
      return rest;
    }
    return chunk;
  }
}
