import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  bigIntToU256Le,
  DIFF1_TARGET,
  difficultyToTarget,
  hashMeetsTarget,
  MAX_TARGET,
  nbitsToTarget,
  targetToDifficulty,
  targetToNbits,
  TargetError,
  u256LeToBigInt,
  difficultyOfHash,
  targetTopWord,
} from '../../../src/work/target.js';
import { toHex } from '../../../src/work/bytes.js';

test('difficulty 1 is 0x00000000ffff0000…, on the SV2 wire as 26 zero bytes then ff ff 00 00 00 00', () => {
  assert.equal(difficultyToTarget(1), DIFF1_TARGET);
  assert.equal(DIFF1_TARGET.toString(16).padStart(64, '0'), '00000000ffff' + '0'.repeat(52));
  assert.equal(toHex(bigIntToU256Le(DIFF1_TARGET)), '00'.repeat(26) + 'ffff' + '00'.repeat(4));
  assert.equal(targetToDifficulty(DIFF1_TARGET), 1);
  assert.equal(nbitsToTarget(0x1d00ffff), DIFF1_TARGET);
});

test('fractional and large difficulties convert exactly', () => {
  assert.equal(difficultyToTarget(0.5), DIFF1_TARGET * 2n);
  // 0.001 is not exact in binary: the target is floor(DIFF1 / d) for the double d, within 1 ppm of 1000 × DIFF1.
  const t = difficultyToTarget(0.001);
  assert.ok(t > DIFF1_TARGET * 999n && t < DIFF1_TARGET * 1001n);
  assert.equal(difficultyToTarget(256), DIFF1_TARGET / 256n);
  assert.equal(difficultyToTarget(8192), DIFF1_TARGET / 8192n);
  // 1/1024 is exact in binary: the target is exactly 1024 × DIFF1.
  assert.equal(difficultyToTarget(1 / 1024), DIFF1_TARGET * 1024n);
  assert.equal(difficultyToTarget(1e-80), MAX_TARGET);
  for (const d of [0.0001, 0.37, 1, 3.3, 683.51, 29588.014, 1e12, 1.1e14]) {
    const back = targetToDifficulty(difficultyToTarget(d));
    assert.ok(Math.abs(back - d) <= 1e-9 * d, `${d} -> ${back}`);
  }
  assert.throws(() => difficultyToTarget(0), TargetError);
  assert.throws(() => difficultyToTarget(Number.NaN), TargetError);
  assert.throws(() => difficultyToTarget(-1), TargetError);
});

test('nbits round trips through the target for every exponent', () => {
  fc.assert(
    fc.property(fc.integer({ min: 3, max: 32 }), fc.integer({ min: 0x8000, max: 0x7fffff }), (exp, mant) => {
      const nbits = ((exp << 24) | mant) >>> 0;
      const t = nbitsToTarget(nbits);
      assert.equal(targetToNbits(t), nbits);
    }),
  );
  assert.throws(() => nbitsToTarget(0x04923456), TargetError); // negative (sign bit set)
  assert.throws(() => nbitsToTarget(0xff123456), TargetError); // overflow
  assert.equal(targetToNbits(0x80n), 0x02008000); // sign bit avoided by growing the exponent
});

test('U256 little-endian round trip and hash <= target comparison', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: MAX_TARGET }), fc.bigInt({ min: 0n, max: MAX_TARGET }), (a, b) => {
      const ab = bigIntToU256Le(a);
      assert.equal(u256LeToBigInt(ab), a);
      assert.equal(hashMeetsTarget(ab, bigIntToU256Le(b)), a <= b);
    }),
  );
  assert.ok(hashMeetsTarget(bigIntToU256Le(5n), bigIntToU256Le(5n)));
  assert.throws(() => u256LeToBigInt(new Uint8Array(31)), TargetError);
  assert.equal(targetTopWord(DIFF1_TARGET), 0);
  assert.equal(targetTopWord(MAX_TARGET), 0xffffffff);
});

test('difficulty of a hash is DIFF1 / hash', () => {
  const h = bigIntToU256Le(DIFF1_TARGET / 1000n);
  assert.ok(Math.abs(difficultyOfHash(h) - 1000) < 1e-9);
  assert.equal(difficultyOfHash(new Uint8Array(32)), Number.POSITIVE_INFINITY);
});

test('limb comparison of engine hash words equals the BigInt comparison', async () => {
  const { targetLimbs, hashWordsMeetTarget, hashToBigInt } = await import('../../../src/work/target.js');
  const { MiningHasher } = await import('../../../src/work/sha256-engine.js');
  const engine = new MiningHasher({ simd: false });
  const bytes = new Uint8Array(32);
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 80, maxLength: 80 }),
      fc.nat({ max: 0xffffffff }),
      fc.bigInt({ min: 0n, max: MAX_TARGET }),
      (header, nonce, target) => {
        engine.setHeader(header);
        const words = engine.hash(nonce);
        engine.hashBytes(nonce, bytes);
        const h = hashToBigInt(bytes);
        assert.equal(hashWordsMeetTarget(words, targetLimbs(target)), h <= target);
        // Exactly at the hash, and one below it.
        assert.equal(hashWordsMeetTarget(words, targetLimbs(h)), true);
        if (h > 0n) assert.equal(hashWordsMeetTarget(words, targetLimbs(h - 1n)), false);
      },
    ),
    { numRuns: 500 },
  );
});
