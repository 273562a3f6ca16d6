/**
 * SV2 frames (spec 03-Protocol-Overview 3.2 "Framing"): a 6-byte header then the payload.
 *
 *   extension_type U16 LE | msg_type U8 | msg_length U24 LE (payload only)
 *
 * Bit 15 of extension_type (mask 0x8000) is `channel_msg`: the payload starts with a U32 channel_id.
 * It is the high bit of a little-endian U16, so on the wire it is the top bit of the second byte
 * (`00 80`); SRI framing-sv2 `CHANNEL_MSG_MASK = 0x8000` is authoritative over the spec prose.
 * Before the Noise handshake completes (or on a plain test connection) frames travel exactly like
 * this; after it, transport-frames in noise/ encrypt them.
 */
import { Sv2DecodeError } from './binary/errors.js';

export const FRAME_HEADER_BYTES = 6;
/** Spec 3.2: bit 15 of extension_type. */
export const CHANNEL_MSG_BIT = 0x8000;
/** U24 msg_length: the largest payload a frame can describe. */
export const MAX_FRAME_PAYLOAD = 0xffffff;
/**
 * Default inbound cap for a mining client. A client receives small messages; a NewExtendedMiningJob
 * with a large coinbase can exceed one 64 KiB Noise chunk (docs/sv2.md "Values and their sources"), so allow
 * 1 MiB. Template-distribution peers pass a larger cap (RequestTransactionData.Success carries a block).
 */
export const DEFAULT_MAX_INBOUND_PAYLOAD = 1 << 20;

export interface Frame {
  /** Extension type without the channel bit (0 for every core protocol message). */
  extensionType: number;
  channelMsg: boolean;
  msgType: number;
  payload: Uint8Array;
}

export interface FrameHeader {
  extensionType: number;
  channelMsg: boolean;
  msgType: number;
  msgLength: number;
}

/** A frame-level problem (header, length limit); message-level problems are plain Sv2DecodeErrors. */
export class FrameError extends Sv2DecodeError {
  override readonly name: string = 'FrameError';
}

export function encodeFrameHeader(extensionType: number, channelMsg: boolean, msgType: number, msgLength: number): Uint8Array {
  if (!Number.isInteger(extensionType) || extensionType < 0 || extensionType > 0x7fff) throw new RangeError(`extension type ${extensionType} out of range`);
  if (!Number.isInteger(msgType) || msgType < 0 || msgType > 0xff) throw new RangeError(`message type ${msgType} out of range`);
  if (!Number.isInteger(msgLength) || msgLength < 0 || msgLength > MAX_FRAME_PAYLOAD)
    throw new RangeError(`payload of ${msgLength} bytes does not fit a frame`);
  const ext = extensionType | (channelMsg ? CHANNEL_MSG_BIT : 0);
  return Uint8Array.of(ext & 0xff, ext >>> 8, msgType, msgLength & 0xff, (msgLength >>> 8) & 0xff, msgLength >>> 16);
}

export function decodeFrameHeader(b: Uint8Array, offset = 0): FrameHeader {
  if (b.length - offset < FRAME_HEADER_BYTES) throw new FrameError('truncated', `frame header needs 6 bytes, got ${b.length - offset}`);
  const ext = (b[offset] as number) | ((b[offset + 1] as number) << 8);
  return {
    extensionType: ext & ~CHANNEL_MSG_BIT,
    channelMsg: (ext & CHANNEL_MSG_BIT) !== 0,
    msgType: b[offset + 2] as number,
    msgLength: (b[offset + 3] as number) | ((b[offset + 4] as number) << 8) | ((b[offset + 5] as number) << 16),
  };
}

/** Header and payload as one byte string (the plaintext form of a frame). */
export function encodeFrame(f: Frame): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + f.payload.length);
  out.set(encodeFrameHeader(f.extensionType, f.channelMsg, f.msgType, f.payload.length), 0);
  out.set(f.payload, FRAME_HEADER_BYTES);
  return out;
}

/** Exactly one frame in `b` (no trailing bytes). */
export function decodeFrame(b: Uint8Array, maxPayload = MAX_FRAME_PAYLOAD): Frame {
  const h = decodeFrameHeader(b);
  if (h.msgLength > maxPayload) throw new FrameError('length-limit', `frame payload of ${h.msgLength} bytes exceeds the ${maxPayload}-byte limit`);
  if (b.length !== FRAME_HEADER_BYTES + h.msgLength) {
    throw new FrameError(
      b.length < FRAME_HEADER_BYTES + h.msgLength ? 'truncated' : 'trailing-bytes',
      `frame says ${h.msgLength} payload bytes, buffer holds ${b.length - FRAME_HEADER_BYTES}`,
    );
  }
  return { extensionType: h.extensionType, channelMsg: h.channelMsg, msgType: h.msgType, payload: b.slice(FRAME_HEADER_BYTES) };
}

/** Accumulates stream chunks into one contiguous buffer, consuming from the front. */
export class ByteQueue {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      if (live + chunk.length <= this.buf.length && this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.max(1024, (live + chunk.length) * 2));
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** A view of the first `n` bytes without consuming them (valid until the next push/take). */
  peek(n: number): Uint8Array {
    return this.buf.subarray(this.start, this.start + n);
  }

  /** Consumes and returns a copy of the first `n` bytes. */
  take(n: number): Uint8Array {
    const out = this.buf.slice(this.start, this.start + n);
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
    return out;
  }

  clear(): void {
    this.start = this.end = 0;
  }
}

/**
 * Incremental decoder for a plaintext frame stream (an unencrypted test connection, or the inner
 * stream of tests). Feed it whatever the socket delivers; it returns the complete frames. A header
 * announcing more than `maxPayload` bytes fails at once, before any of it is buffered.
 */
export class PlainFrameDecoder {
  private readonly q = new ByteQueue();

  constructor(private readonly maxPayload = DEFAULT_MAX_INBOUND_PAYLOAD) {}

  push(chunk: Uint8Array): Frame[] {
    this.q.push(chunk);
    const out: Frame[] = [];
    for (;;) {
      if (this.q.length < FRAME_HEADER_BYTES) break;
      const h = decodeFrameHeader(this.q.peek(FRAME_HEADER_BYTES));
      if (h.msgLength > this.maxPayload)
        throw new FrameError('length-limit', `frame payload of ${h.msgLength} bytes exceeds the ${this.maxPayload}-byte limit`);
      if (this.q.length < FRAME_HEADER_BYTES + h.msgLength) break;
      this.q.take(FRAME_HEADER_BYTES);
      out.push({ extensionType: h.extensionType, channelMsg: h.channelMsg, msgType: h.msgType, payload: this.q.take(h.msgLength) });
    }
    return out;
  }

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.q.length;
  }
}
