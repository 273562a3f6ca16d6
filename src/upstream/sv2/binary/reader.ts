/**
 * A bounds-checked cursor over an SV2 payload. All integers are little-endian (spec 3.1). Every read
 * checks the remaining length first, so a length prefix taken from the wire can never make us read past
 * the buffer or allocate more than the buffer holds.
 */
import { Sv2DecodeError } from './errors.js';

export class BinaryReader {
  private o = 0;
  private readonly dv: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get offset(): number {
    return this.o;
  }

  get remaining(): number {
    return this.buf.length - this.o;
  }

  private need(n: number, what: string): number {
    if (n > this.buf.length - this.o) {
      throw new Sv2DecodeError('truncated', `${what}: needs ${n} bytes at offset ${this.o}, ${this.buf.length - this.o} left`);
    }
    const at = this.o;
    this.o += n;
    return at;
  }

  u8(what = 'U8'): number {
    return this.buf[this.need(1, what)] as number;
  }

  u16(what = 'U16'): number {
    return this.dv.getUint16(this.need(2, what), true);
  }

  u24(what = 'U24'): number {
    const at = this.need(3, what);
    return (this.buf[at] as number) | ((this.buf[at + 1] as number) << 8) | ((this.buf[at + 2] as number) << 16);
  }

  u32(what = 'U32'): number {
    return this.dv.getUint32(this.need(4, what), true);
  }

  u64(what = 'U64'): bigint {
    return this.dv.getBigUint64(this.need(8, what), true);
  }

  f32(what = 'F32'): number {
    return this.dv.getFloat32(this.need(4, what), true);
  }

  /** A copy of the next `n` bytes (callers keep decoded messages after the frame buffer is reused). */
  bytes(n: number, what = 'bytes'): Uint8Array {
    const at = this.need(n, what);
    return this.buf.slice(at, at + n);
  }

  /** Throws unless the whole payload was consumed. */
  end(what = 'payload'): void {
    if (this.o !== this.buf.length) {
      throw new Sv2DecodeError('trailing-bytes', `${what}: ${this.buf.length - this.o} unexpected trailing bytes at offset ${this.o}`);
    }
  }
}
