// Duplicate-detection keys: distinct (nonce, rolled bits) pairs of one unit never share a key, and pairs
// whose rolled bits are too wide for an exact number are sent to the string path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { maskShift, unitKey } from '../../../src/mining/duplicate-filter.js';
import { BIP320_MASK } from '../../../src/work/version-rolling.js';

test('mask shifts: BIP320 0x1fffe000 rolls from bit 13, BIP323 0x1fffffe0 from bit 5', () => {
  assert.equal(maskShift(BIP320_MASK), 13);
  assert.equal(maskShift(0x1fffffe0), 5);
  assert.equal(maskShift(0x80000000), 31);
  assert.equal(maskShift(0), 0);
});

test('every BIP320 rolled value fits the numeric key, and keys are exact integers', () => {
  const shift = maskShift(BIP320_MASK);
  assert.equal(unitKey(0xffffffff, BIP320_MASK, shift), 0xffff * 4294967296 + 0xffffffff);
  assert.ok(Number.isSafeInteger(unitKey(0xffffffff, BIP320_MASK, shift)));
  assert.equal(unitKey(7, 0, shift), 7);
  // 24 BIP323 bits do not fit below 2^53: string key.
  assert.equal(unitKey(1, 0x1fffffe0, maskShift(0x1fffffe0)), -1);
});

test('distinct (nonce, rolled bits) under one mask give distinct keys (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (mask, n1, r1, n2, r2) => {
        const shift = maskShift(mask);
        const a = unitKey(n1, (r1 & mask) >>> 0, shift);
        const b = unitKey(n2, (r2 & mask) >>> 0, shift);
        if (a < 0 || b < 0) return true;
        const same = n1 === n2 && (r1 & mask) >>> 0 === (r2 & mask) >>> 0;
        return (a === b) === same;
      },
    ),
    { numRuns: 20_000 },
  );
});
