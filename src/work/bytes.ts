/**
 * Byte helpers for the mining math: hex, concatenation, fixed-width integers.
 * Pure functions over Uint8Array; nothing here knows about Bitcoin byte orders (see byte-order.ts).
 */

const HEX = '0123456789abcdef';

/** Typed error for malformed hex input (from a pool, a config file or the command line). */
export class HexError extends Error {
  override readonly name = 'HexError';
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const x = b[i] as number;
    s += (HEX[x >>> 4] as string) + (HEX[x & 15] as string);
  }
  return s;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses hex (either case, no prefix, even length). Throws HexError naming what is wrong. */
export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0) throw new HexError(`hex string has odd length ${s.length}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(s.charCodeAt(2 * i));
    const lo = nibble(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new HexError(`invalid hex character at offset ${hi < 0 ? 2 * i : 2 * i + 1}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** True when `s` is hex of exactly `bytes` bytes (or any even length when bytes is undefined). */
export function isHex(s: string, bytes?: number): boolean {
  if (s.length % 2 !== 0) return false;
  if (bytes !== undefined && s.length !== bytes * 2) return false;
  for (let i = 0; i < s.length; i++) if (nibble(s.charCodeAt(i)) < 0) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function readU32LE(b: Uint8Array, o: number): number {
  return ((b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16) | ((b[o + 3] as number) << 24)) >>> 0;
}

export function readU32BE(b: Uint8Array, o: number): number {
  return (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;
}

export function writeU32LE(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

export function writeU32BE(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

export function u32le(v: number): Uint8Array {
  const b = new Uint8Array(4);
  writeU32LE(b, 0, v);
  return b;
}

/** Parses an 8-digit hex uint32 as Stratum sends version, nbits, ntime and nonce. */
export function parseU32Hex(s: string): number {
  if (!isHex(s, 4)) throw new HexError(`expected 8 hex digits, got ${JSON.stringify(s.slice(0, 16))}`);
  return Number.parseInt(s, 16) >>> 0;
}

export function u32Hex(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}
