/**
 * Streaming parser for the chain-to-host byte stream (docs/bm13xx.md "Response frames").
 *
 * Frames have a fixed length per family (9 or 11). The parser looks for the AA 55 preamble, checks the
 * CRC5 residue and the reserved bits of the last byte, and on a bad candidate skips only the preamble's
 * first byte, so that a good frame starting inside a damaged one is still found (ESP-Miner flushes the
 * whole RX buffer instead and loses it). Garbage between frames is counted and dropped.
 *
 * Known limit: a damaged candidate that happens to pass the CRC5 (about 1 in 128 for random bytes,
 * counting the reserved-bit check) is accepted and swallows the bytes it covers; the chain's job-id and
 * nonce verification then reject it downstream.
 */
import { responseFrameValid, RESPONSE_PREAMBLE, type ResponseLength } from './response-frame.js';

export interface ResponseParserStats {
  /** Frames that passed the CRC check. */
  frames: number;
  /** Candidates (AA 55 followed by a full frame's worth of bytes) that failed the CRC or reserved bits. */
  crcErrors: number;
  /** Bytes dropped while resynchronising (not part of any good frame). */
  bytesDiscarded: number;
}

export type FrameHandler = (frame: Uint8Array, streamOffset: number) => void;

export class ResponseParser {
  private buf = new Uint8Array(256);
  private start = 0;
  private end = 0;
  /** Stream offset of buf[0]. */
  private base = 0;
  private readonly st: ResponseParserStats = { frames: 0, crcErrors: 0, bytesDiscarded: 0 };

  constructor(
    readonly frameLength: ResponseLength,
    private readonly onFrame: FrameHandler,
  ) {}

  get stats(): Readonly<ResponseParserStats> {
    return this.st;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.end - this.start;
  }

  /** Drops any partial frame (after a baud switch, a reset, or a flush). */
  reset(): void {
    this.st.bytesDiscarded += this.end - this.start;
    this.base += this.end;
    this.start = 0;
    this.end = 0;
  }

  push(chunk: Uint8Array): void {
    this.append(chunk);
    const len = this.frameLength;
    const b = this.buf;
    let i = this.start;
    const end = this.end;
    while (i < end) {
      // Find the next preamble.
      let p = i;
      while (p + 1 < end && !(b[p] === RESPONSE_PREAMBLE[0] && b[p + 1] === RESPONSE_PREAMBLE[1])) p++;
      if (p + 1 >= end) {
        // No full preamble: keep a trailing AA, which may start one.
        const keep = b[end - 1] === RESPONSE_PREAMBLE[0] ? end - 1 : end;
        this.st.bytesDiscarded += keep - i;
        i = keep;
        break;
      }
      this.st.bytesDiscarded += p - i;
      i = p;
      if (end - i < len) break; // wait for the rest
      if (responseFrameValid(b, i, len)) {
        this.st.frames++;
        this.onFrame(b.slice(i, i + len), this.base + i);
        i += len;
      } else {
        this.st.crcErrors++;
        this.st.bytesDiscarded += 1;
        i += 1;
      }
    }
    this.start = i;
  }

  private append(chunk: Uint8Array): void {
    const need = this.end - this.start + chunk.length;
    if (this.start > 0 && this.end + chunk.length > this.buf.length) {
      // Compact: move the unread bytes to the front.
      this.buf.copyWithin(0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    if (need > this.buf.length) {
      const nb = new Uint8Array(Math.max(need, this.buf.length * 2));
      nb.set(this.buf.subarray(this.start, this.end));
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
      this.buf = nb;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
}
