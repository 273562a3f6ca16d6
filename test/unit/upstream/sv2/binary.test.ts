// SV2 data types (spec 3.1): encodings, little-endian order, and the limits on every length read from
// the wire.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryReader } from '../../../../src/upstream/sv2/binary/reader.js';
import { BinaryWriter } from '../../../../src/upstream/sv2/binary/writer.js';
import { Sv2DecodeError, Sv2EncodeError } from '../../../../src/upstream/sv2/binary/errors.js';
import {
  B0_16M,
  B0_32,
  B0_64K,
  B0_255,
  BOOL,
  F32,
  OPTION,
  SEQ0_255,
  SEQ0_64K,
  STR0_255,
  U16,
  U24,
  U256,
  U32,
  U64,
  U8,
  type FieldCodec,
} from '../../../../src/upstream/sv2/binary/types.js';
import { fromHex, toHex } from '../../../../src/work/bytes.js';

function enc<T>(c: FieldCodec<T>, v: T): string {
  const w = new BinaryWriter(1);
  c.write(w, v, 'f');
  return toHex(w.finish());
}

function dec<T>(c: FieldCodec<T>, hex: string): T {
  const r = new BinaryReader(fromHex(hex));
  const v = c.read(r, 'f');
  r.end();
  return v;
}

function decodeFails(c: FieldCodec<unknown>, hex: string, code: Sv2DecodeError['code']): void {
  assert.throws(
    () => dec(c, hex),
    (e: unknown) => e instanceof Sv2DecodeError && e.code === code,
    `${hex} should fail with ${code}`,
  );
}

test('integers are little-endian; U24 is three bytes', () => {
  assert.equal(enc(U8, 0xab), 'ab');
  assert.equal(enc(U16, 0x1234), '3412');
  assert.equal(enc(U24, 0x123456), '563412');
  assert.equal(enc(U32, 0x12345678), '78563412');
  assert.equal(enc(U64, 0x0102030405060708n), '0807060504030201');
  assert.equal(dec(U24, 'ffffff'), 0xffffff);
  assert.equal(dec(U32, 'ffffffff'), 0xffffffff);
  assert.equal(dec(U64, 'ffffffffffffffff'), (1n << 64n) - 1n);
});

test('F32 is IEEE-754 single precision, little-endian (nominal_hash_rate)', () => {
  assert.equal(enc(F32, 1), '0000803f');
  assert.equal(enc(F32, -2), '000000c0');
  assert.equal(dec(F32, '0000803f'), 1);
  assert.equal(dec(F32, toHex(new Uint8Array(new Float32Array([123.5]).buffer))), 123.5);
});

test('BOOL: only bit 0 is meaningful', () => {
  assert.equal(enc(BOOL, true), '01');
  assert.equal(enc(BOOL, false), '00');
  assert.equal(dec(BOOL, '01'), true);
  assert.equal(dec(BOOL, 'fe'), false);
  assert.equal(dec(BOOL, 'ff'), true);
});

test('U256 stays 32 raw bytes in wire order (no reversal)', () => {
  const diff1Wire = '00'.repeat(26) + 'ffff' + '00'.repeat(4);
  assert.equal(toHex(dec(U256, diff1Wire)), diff1Wire);
  assert.throws(() => enc(U256, new Uint8Array(31)), Sv2EncodeError);
  decodeFails(U256, '00'.repeat(31), 'truncated');
});

test('byte strings: length prefixes and caps', () => {
  assert.equal(enc(B0_32, fromHex('aabb')), '02aabb');
  assert.equal(enc(B0_255, new Uint8Array(0)), '00');
  assert.equal(enc(B0_64K, fromHex('aa')), '0100aa');
  assert.equal(enc(B0_16M, fromHex('aa')), '010000aa');
  assert.equal(toHex(dec(B0_32, '20' + '11'.repeat(32))), '11'.repeat(32));
  // B0_32 allows at most 32 bytes (extranonce, docs/sv2.md "Values and their sources").
  decodeFails(B0_32, '21' + '11'.repeat(33), 'length-limit');
  assert.throws(() => enc(B0_32, new Uint8Array(33)), Sv2EncodeError);
  // A length larger than what is left is truncation, caught before reading.
  decodeFails(B0_255, '05aabb', 'truncated');
  decodeFails(B0_64K, 'ffff00', 'truncated');
  decodeFails(B0_16M, 'ffffff00', 'truncated');
  assert.throws(() => enc(B0_64K, new Uint8Array(0x10000)), Sv2EncodeError);
});

test('STR0_255: U8 length, UTF-8, at most 255 bytes', () => {
  assert.equal(enc(STR0_255, 'abc'), '03616263');
  assert.equal(dec(STR0_255, '0474657374'), 'test');
  assert.equal(dec(STR0_255, '00'), '');
  assert.throws(() => enc(STR0_255, 'x'.repeat(256)), Sv2EncodeError);
  assert.equal(enc(STR0_255, 'x'.repeat(255)).length, 2 + 255 * 2);
  // Two-byte characters count as two bytes.
  assert.throws(() => enc(STR0_255, 'é'.repeat(128)), Sv2EncodeError);
  decodeFails(STR0_255, '0561', 'truncated');
});

test('sequences and options', () => {
  assert.equal(enc(SEQ0_255(U16), [1, 2]), '0201000200');
  assert.equal(enc(SEQ0_64K(U8), [7]), '010007');
  assert.deepEqual(dec(SEQ0_255(U256), '01' + 'ab'.repeat(32)), [fromHex('ab'.repeat(32))]);
  assert.equal(enc(OPTION(U32), null), '00');
  assert.equal(enc(OPTION(U32), 5), '0105000000');
  assert.equal(dec(OPTION(U32), '00'), null);
  assert.equal(dec(OPTION(U32), '0105000000'), 5);
  // OPTION is SEQ0_1: a count of 2 is invalid.
  decodeFails(OPTION(U32), '020100000002000000', 'invalid-value');
  // A count that cannot fit in what is left fails before any element is allocated.
  decodeFails(SEQ0_64K(U256), 'ffff00', 'truncated');
  decodeFails(SEQ0_255(U256), '02' + 'ab'.repeat(32), 'truncated');
  assert.throws(() => enc(SEQ0_255(U8), new Array<number>(256).fill(0)), Sv2EncodeError);
});

test('the writer refuses out-of-range integers; the reader refuses trailing bytes', () => {
  assert.throws(() => enc(U8, 256), Sv2EncodeError);
  assert.throws(() => enc(U16, -1), Sv2EncodeError);
  assert.throws(() => enc(U24, 0x1000000), Sv2EncodeError);
  assert.throws(() => enc(U32, 1.5), Sv2EncodeError);
  assert.throws(() => enc(U64, 1n << 64n), Sv2EncodeError);
  decodeFails(U8, 'aabb', 'trailing-bytes');
  decodeFails(U32, 'aabbcc', 'truncated');
});

test('the writer grows across many appends without losing bytes', () => {
  const w = new BinaryWriter(1);
  const parts: string[] = [];
  for (let i = 0; i < 500; i++) {
    const b = new Uint8Array(i % 70).fill(i & 0xff);
    w.bytes(b);
    w.u32(i);
    parts.push(toHex(b), toHex(Uint8Array.of(i & 0xff, (i >>> 8) & 0xff, 0, 0)));
  }
  assert.equal(toHex(w.finish()), parts.join(''));
});
