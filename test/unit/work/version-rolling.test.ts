import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  applyVersionBits,
  assertVersionWithinMask,
  BIP320_MASK,
  BIP323_MASK,
  depositBits,
  extractBits,
  incrementVersion,
  popcount32,
  versionBitsOf,
  versionWithinMask,
  VersionRollingError,
} from '../../../src/work/version-rolling.js';
import { readVectorJson, vectorTest } from '../../helpers/vectors.js';

test('BIP320 and BIP323 masks', () => {
  assert.equal(popcount32(BIP320_MASK), 16);
  assert.equal(popcount32(BIP323_MASK), 24);
  assert.equal(BIP320_MASK & ~BIP323_MASK, 0, 'BIP320 is a subset of BIP323');
});

test('rolled bits stay inside the mask', () => {
  fc.assert(
    fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.constantFrom(BIP320_MASK, BIP323_MASK, 0x00ffff00, 0), (job, bits, mask) => {
      const v = applyVersionBits(job, bits, mask);
      assert.ok(versionWithinMask(job, v, mask));
      assert.equal(versionBitsOf(v, mask), (bits & mask) >>> 0);
      assert.equal(depositBits(extractBits(v, mask), mask), (v & mask) >>> 0);
    }),
  );
  assert.equal(applyVersionBits(0x20000000, 0x00b44000, BIP320_MASK), 0x20b44000);
  assert.throws(() => assertVersionWithinMask(0x20000000, 0x20000001, BIP320_MASK), VersionRollingError);
  assert.doesNotThrow(() => assertVersionWithinMask(0x20000000, 0x3fffe000, BIP320_MASK));
});

test('increment wraps within the mask', () => {
  assert.equal(incrementVersion(0x3fffe000, BIP320_MASK), 0x20000000);
  assert.equal(incrementVersion(0x20000000, BIP320_MASK, 3), 0x20006000);
});

vectorTest('version increments match ESP-Miner (version 0x20000004, mask 0x00ffff00)', () => {
  const v = readVectorJson<{ version_mask_increment: { version: string; mask: string; sequence: string[] } }>(
    'bm13xx/registers_and_timing.json',
  ).version_mask_increment;
  const base = Number.parseInt(v.version, 16);
  const mask = Number.parseInt(v.mask, 16);
  v.sequence.forEach((s, i) => assert.equal(incrementVersion(base, mask, i + 1), Number.parseInt(s, 16)));
});
