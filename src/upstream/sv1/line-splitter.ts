/**
 * Splits a TCP byte stream into Stratum V1 lines (slush's protocol: one JSON object per line, `\n`
 * terminated; some pools send `\r\n`). A line longer than `maxLineBytes` is dropped whole — the bytes
 * up to its newline are skipped — and reported once, so a hostile or broken pool cannot make the agent
 * buffer without bound.
 */
export interface LineSplitterEvents {
  line: (line: string) => void;
  /** A line exceeded the limit; `bytes` is how many bytes had been seen when it was cut. */
  overlong: (bytes: number) => void;
}

const NL = 0x0a;

export class LineSplitter {
  private parts: Buffer[] = [];
  private pending = 0;
  /** True while skipping the rest of an overlong line. */
  private discarding = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(
    private readonly maxLineBytes: number,
    private readonly on: LineSplitterEvents,
  ) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new RangeError('maxLineBytes must be a positive integer');
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (;;) {
      const nl = buf.indexOf(NL, start);
      if (nl < 0) {
        this.keep(buf.subarray(start));
        return;
      }
      const piece = buf.subarray(start, nl);
      start = nl + 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      if (this.pending + piece.length > this.maxLineBytes) {
        this.on.overlong(this.pending + piece.length);
        this.reset();
        continue;
      }
      let bytes: Uint8Array = piece;
      if (this.parts.length > 0) {
        this.parts.push(piece);
        bytes = Buffer.concat(this.parts, this.pending + piece.length);
        this.reset();
      }
      let end = bytes.length;
      if (end > 0 && bytes[end - 1] === 0x0d) end--;
      if (end === 0) continue;
      this.on.line(this.decoder.decode(bytes.subarray(0, end)));
    }
  }

  /** Bytes held for an unfinished line. */
  buffered(): number {
    return this.pending;
  }

  private keep(rest: Buffer): void {
    if (rest.length === 0 || this.discarding) return;
    if (this.pending + rest.length > this.maxLineBytes) {
      this.on.overlong(this.pending + rest.length);
      this.reset();
      this.discarding = true;
      return;
    }
    // Copy: the socket may reuse its buffer.
    this.parts.push(Buffer.from(rest));
    this.pending += rest.length;
  }

  private reset(): void {
    this.parts = [];
    this.pending = 0;
  }
}
