/**
 * SV2 data types (spec 03-Protocol-Overview 3.1, "Data Types Mapping") as field codecs. A message is a
 * list of fields, each with one of these codecs; binary/../messages build on them.
 *
 *   BOOL 1 byte (only bit 0 counts) · U8 U16 U24 U32 U64 little-endian · F32 IEEE-754 LE
 *   U256 32 raw bytes, kept as bytes: targets, hashes and merkle nodes are little-endian / internal
 *        order on the wire (docs/sv2.md "Values and their sources"), so no reversal happens here; callers
 *        that want a number use u256LeToBigInt.
 *   STR0_255 · B0_32 · B0_255 (U8 length) · B0_64K (U16 length) · B0_16M (U24 length)
 *   PUBKEY 32 (BIP340 x-only) · SIGNATURE 64 (BIP340)
 *   SEQ0_255[T] (U8 count) · SEQ0_64K[T] (U16 count) · OPTION[T] (SEQ0_1: count 0 or 1)
 *
 * Each codec carries a descriptor (`type`) so tests can generate values for any field without knowing
 * the message, and so a message table documents itself.
 */
import type { BinaryReader } from './reader.js';
import type { BinaryWriter } from './writer.js';
import { Sv2DecodeError, Sv2EncodeError } from './errors.js';

export type ScalarType =
  | 'BOOL'
  | 'U8'
  | 'U16'
  | 'U24'
  | 'U32'
  | 'U64'
  | 'F32'
  | 'U256'
  | 'PUBKEY'
  | 'SIGNATURE'
  | 'STR0_255'
  | 'B0_32'
  | 'B0_255'
  | 'B0_64K'
  | 'B0_16M';

export type TypeDescriptor = { type: ScalarType } | { type: 'SEQ0_255' | 'SEQ0_64K' | 'OPTION'; item: FieldCodec<unknown> };

/** Encoder and decoder of one SV2 type. Methods (not arrow properties) so codecs of any T fit FieldCodec<unknown>. */
export interface FieldCodec<T> {
  readonly desc: TypeDescriptor;
  read(r: BinaryReader, what: string): T;
  write(w: BinaryWriter, v: T, what: string): void;
}

export type ValueOf<C> = C extends FieldCodec<infer T> ? T : never;

function fixedBytes(type: 'U256' | 'PUBKEY' | 'SIGNATURE', n: number): FieldCodec<Uint8Array> {
  return {
    desc: { type },
    read: (r, what) => r.bytes(n, what),
    write(w, v, what) {
      if (!(v instanceof Uint8Array) || v.length !== n) throw new Sv2EncodeError(`${what}: ${type} must be ${n} bytes`);
      w.bytes(v);
    },
  };
}

/** A byte string with a length prefix of `prefix` bytes and at most `max` bytes. */
function prefixedBytes(type: 'B0_32' | 'B0_255' | 'B0_64K' | 'B0_16M', prefix: 1 | 2 | 3, max: number): FieldCodec<Uint8Array> {
  return {
    desc: { type },
    read(r, what) {
      const len = prefix === 1 ? r.u8(what) : prefix === 2 ? r.u16(what) : r.u24(what);
      if (len > max) throw new Sv2DecodeError('length-limit', `${what}: ${type} length ${len} exceeds ${max}`);
      return r.bytes(len, what);
    },
    write(w, v, what) {
      if (!(v instanceof Uint8Array)) throw new Sv2EncodeError(`${what}: ${type} must be bytes`);
      if (v.length > max) throw new Sv2EncodeError(`${what}: ${type} length ${v.length} exceeds ${max}`);
      if (prefix === 1) w.u8(v.length, what);
      else if (prefix === 2) w.u16(v.length, what);
      else w.u24(v.length, what);
      w.bytes(v);
    },
  };
}

export const BOOL: FieldCodec<boolean> = {
  desc: { type: 'BOOL' },
  // Spec 3.1: "only the least significant bit is meaningful, others MUST be ignored".
  read: (r, what) => (r.u8(what) & 1) === 1,
  write: (w, v, what) => void w.u8(v ? 1 : 0, what),
};
export const U8: FieldCodec<number> = { desc: { type: 'U8' }, read: (r, what) => r.u8(what), write: (w, v, what) => void w.u8(v, what) };
export const U16: FieldCodec<number> = { desc: { type: 'U16' }, read: (r, what) => r.u16(what), write: (w, v, what) => void w.u16(v, what) };
export const U24: FieldCodec<number> = { desc: { type: 'U24' }, read: (r, what) => r.u24(what), write: (w, v, what) => void w.u24(v, what) };
export const U32: FieldCodec<number> = { desc: { type: 'U32' }, read: (r, what) => r.u32(what), write: (w, v, what) => void w.u32(v, what) };
export const U64: FieldCodec<bigint> = { desc: { type: 'U64' }, read: (r, what) => r.u64(what), write: (w, v, what) => void w.u64(v, what) };
export const F32: FieldCodec<number> = { desc: { type: 'F32' }, read: (r, what) => r.f32(what), write: (w, v, what) => void w.f32(v, what) };
export const U256 = fixedBytes('U256', 32);
export const PUBKEY = fixedBytes('PUBKEY', 32);
export const SIGNATURE = fixedBytes('SIGNATURE', 64);
export const B0_32 = prefixedBytes('B0_32', 1, 32);
export const B0_255 = prefixedBytes('B0_255', 1, 255);
export const B0_64K = prefixedBytes('B0_64K', 2, 0xffff);
export const B0_16M = prefixedBytes('B0_16M', 3, 0xffffff);

const utf8 = new TextEncoder();
// Non-fatal: an error code with a stray byte is still worth logging; it is not a reason to drop a frame.
const utf8Lenient = new TextDecoder('utf-8', { fatal: false });

/** STR0_255: U8 length then bytes, not NUL-terminated. Decoded as UTF-8 (error codes are ASCII, spec 3.5). */
export const STR0_255: FieldCodec<string> = {
  desc: { type: 'STR0_255' },
  read(r, what) {
    const len = r.u8(what);
    return utf8Lenient.decode(r.bytes(len, what));
  },
  write(w, v, what) {
    if (typeof v !== 'string') throw new Sv2EncodeError(`${what}: STR0_255 must be a string`);
    const b = utf8.encode(v);
    if (b.length > 255) throw new Sv2EncodeError(`${what}: STR0_255 of ${b.length} bytes exceeds 255`);
    w.u8(b.length, what).bytes(b);
  },
};

function sequence<T>(type: 'SEQ0_255' | 'SEQ0_64K', item: FieldCodec<T>): FieldCodec<T[]> {
  const max = type === 'SEQ0_255' ? 0xff : 0xffff;
  return {
    desc: { type, item },
    read(r, what) {
      const n = type === 'SEQ0_255' ? r.u8(what) : r.u16(what);
      // Every element takes at least one byte, so a count larger than what is left is a lie: fail
      // before allocating anything for it.
      if (n > r.remaining) throw new Sv2DecodeError('truncated', `${what}: ${type} count ${n} exceeds the ${r.remaining} bytes left`);
      const out: T[] = [];
      for (let i = 0; i < n; i++) out.push(item.read(r, `${what}[${i}]`));
      return out;
    },
    write(w, v, what) {
      if (!Array.isArray(v)) throw new Sv2EncodeError(`${what}: ${type} must be an array`);
      if (v.length > max) throw new Sv2EncodeError(`${what}: ${type} of ${v.length} elements exceeds ${max}`);
      if (type === 'SEQ0_255') w.u8(v.length, what);
      else w.u16(v.length, what);
      v.forEach((x, i) => item.write(w, x, `${what}[${i}]`));
    },
  };
}

export function SEQ0_255<T>(item: FieldCodec<T>): FieldCodec<T[]> {
  return sequence('SEQ0_255', item);
}

export function SEQ0_64K<T>(item: FieldCodec<T>): FieldCodec<T[]> {
  return sequence('SEQ0_64K', item);
}

/** OPTION[T] is SEQ0_1[T] (spec 3.1): a count byte of 0 (absent, `null`) or 1 followed by T. */
export function OPTION<T>(item: FieldCodec<T>): FieldCodec<T | null> {
  return {
    desc: { type: 'OPTION', item },
    read(r, what) {
      const n = r.u8(what);
      if (n === 0) return null;
      if (n !== 1) throw new Sv2DecodeError('invalid-value', `${what}: OPTION count ${n} is neither 0 nor 1`);
      return item.read(r, what);
    },
    write(w, v, what) {
      if (v === null) {
        w.u8(0, what);
        return;
      }
      w.u8(1, what);
      item.write(w, v, what);
    },
  };
}
