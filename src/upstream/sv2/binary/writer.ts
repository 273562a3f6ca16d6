/** A growable little-endian byte writer for SV2 payloads (spec 3.1). Range checks throw Sv2EncodeError. */
import { Sv2EncodeError } from './errors.js';

function checkUint(v: number, bits: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw new Sv2EncodeError(`${what}: ${v} is not an unsigned ${bits}-bit integer`);
}

export class BinaryWriter {
  private buf: Uint8Array;
  private dv: DataView;
  private o = 0;

  constructor(initial = 64) {
    this.buf = new Uint8Array(initial);
    this.dv = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.o;
  }

  private room(n: number): number {
    if (this.o + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.o + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.o));
      this.buf = next;
      this.dv = new DataView(next.buffer);
    }
    const at = this.o;
    this.o += n;
    return at;
  }

  u8(v: number, what = 'U8'): this {
    checkUint(v, 8, what);
    const at = this.room(1);
    this.buf[at] = v;
    return this;
  }

  u16(v: number, what = 'U16'): this {
    checkUint(v, 16, what);
    const at = this.room(2);
    this.dv.setUint16(at, v, true);
    return this;
  }

  u24(v: number, what = 'U24'): this {
    checkUint(v, 24, what);
    const at = this.room(3);
    this.buf[at] = v & 0xff;
    this.buf[at + 1] = (v >>> 8) & 0xff;
    this.buf[at + 2] = (v >>> 16) & 0xff;
    return this;
  }

  u32(v: number, what = 'U32'): this {
    checkUint(v, 32, what);
    const at = this.room(4);
    this.dv.setUint32(at, v, true);
    return this;
  }

  u64(v: bigint, what = 'U64'): this {
    if (typeof v !== 'bigint' || v < 0n || v >= 1n << 64n) throw new Sv2EncodeError(`${what}: ${String(v)} is not an unsigned 64-bit integer`);
    const at = this.room(8);
    this.dv.setBigUint64(at, v, true);
    return this;
  }

  f32(v: number, what = 'F32'): this {
    if (typeof v !== 'number') throw new Sv2EncodeError(`${what}: not a number`);
    const at = this.room(4);
    this.dv.setFloat32(at, v, true);
    return this;
  }

  bytes(b: Uint8Array): this {
    // room() may replace this.buf, so take the offset before touching the buffer.
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.o);
  }
}
