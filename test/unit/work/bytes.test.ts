import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromHex, HexError, isHex, parseU32Hex, toHex, u32Hex } from '../../../src/work/bytes.js';
import { reverseBytes, reverseWords32, swapWords32 } from '../../../src/work/byte-order.js';
import { readCompactSize, writeCompactSize, TxParseError, parseTxLayout, stripWitness } from '../../../src/work/transaction.js';

test('hex round trip and typed errors', () => {
  fc.assert(fc.property(fc.uint8Array(), (b) => assert.deepEqual(fromHex(toHex(b)), b)));
  assert.throws(() => fromHex('abc'), HexError);
  assert.throws(() => fromHex('zz'), HexError);
  assert.deepEqual(fromHex('ABcd'), Uint8Array.of(0xab, 0xcd));
  assert.ok(isHex('00ff', 2));
  assert.ok(!isHex('00ff', 3));
  assert.equal(parseU32Hex('20000000'), 0x20000000);
  assert.equal(u32Hex(0x1fffe000), '1fffe000');
  assert.throws(() => parseU32Hex('2000000'), HexError);
});

test('byte orders: display, Stratum V1 prevhash and word-reversed forms are involutions', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (b) => {
      assert.deepEqual(reverseBytes(reverseBytes(b)), b);
      assert.deepEqual(swapWords32(swapWords32(b)), b);
      assert.deepEqual(reverseWords32(reverseWords32(b)), b);
      // Reversing words then swapping bytes within words = reversing all bytes.
      assert.deepEqual(swapWords32(reverseWords32(b)), reverseBytes(b));
    }),
  );
});

test('CompactSize round trip and malformed transactions are typed errors', () => {
  for (const v of [0, 1, 252, 253, 0xffff, 0x10000, 4_000_000]) {
    const enc = writeCompactSize(v);
    assert.deepEqual(readCompactSize(enc, 0), { value: v, size: enc.length });
  }
  assert.throws(() => readCompactSize(Uint8Array.of(0xfd, 1), 0), TxParseError);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      try {
        parseTxLayout(b);
        stripWitness(b);
      } catch (e) {
        assert.ok(e instanceof TxParseError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});
