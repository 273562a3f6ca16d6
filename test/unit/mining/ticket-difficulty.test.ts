import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { chipTicketBound } from '../../../drivers/asic/bm13xx/ticket-mask.js';
import { familyByName } from '../../../drivers/asic/bm13xx/family.js';
import {
  DEFAULT_MAX_NONCES_PER_S,
  MAX_TICKET_DIFFICULTY,
  chainNominalHashrate,
  chooseTicketDifficulty,
  expectedNoncesPerSecond,
  largestTicketForShare,
  type TicketLimit,
} from '../../../src/mining/ticket-difficulty.js';
import { difficultyToTarget } from '../../../src/work/target.js';

const BM1370 = familyByName('bm1370').smallCores;
const BM1362 = familyByName('bm1362').smallCores;
const BM1368 = familyByName('bm1368').smallCores;

interface Case {
  name: string;
  hashrate: number;
  max: number;
  share?: number;
  floor?: number;
  difficulty: number;
  /** Expected nonces/s, to 3 significant figures. */
  rate: number;
  limitedBy: TicketLimit;
}

// Worked figures (hashrate / (D · 2^32)); docs/bm13xx.md "Ticket difficulty" has the same table.
const CASES: Case[] = [
  // Bitaxe Gamma: one BM1370 at 525 MHz = 1.071 TH/s, 249 diff-1 hashes/s: under 1000/s at the register's floor.
  {
    name: 'Bitaxe Gamma (1 × BM1370 @ 525 MHz), default ceiling',
    hashrate: chainNominalHashrate(1, BM1370, 525),
    max: DEFAULT_MAX_NONCES_PER_S,
    difficulty: 1,
    rate: 249,
    limitedBy: 'floor',
  },
  // The same chip at ESP-Miner's rate (difficulty 256 gives 0.97/s): 1/s needs 256, 0.5/s needs 512.
  {
    name: 'Bitaxe Gamma, ceiling 1/s (ESP-Miner: 256)',
    hashrate: chainNominalHashrate(1, BM1370, 525),
    max: 1,
    difficulty: 256,
    rate: 0.974,
    limitedBy: 'ceiling',
  },
  {
    name: 'Bitaxe ~1.2 TH/s, ceiling 1/s (mujina floors to 128 for 1/s at 1 TH/s)',
    hashrate: 1.2e12,
    max: 1,
    difficulty: 512,
    rate: 0.546,
    limitedBy: 'ceiling',
  },
  // S19j Pro: 3 chains × 126 BM1362 at 525 MHz = 33.9 TH/s per chain (101.6 TH/s), 7,886 diff-1/s per chain.
  {
    name: 'S19j Pro chain (126 × BM1362 @ 525 MHz), default ceiling',
    hashrate: chainNominalHashrate(126, BM1362, 525),
    max: DEFAULT_MAX_NONCES_PER_S,
    difficulty: 8,
    rate: 986,
    limitedBy: 'ceiling',
  },
  {
    name: 'S19j Pro chain at 256 (Bitmain test firmware, ESP-Miner default)',
    hashrate: chainNominalHashrate(126, BM1362, 525),
    max: 31,
    difficulty: 256,
    rate: 30.8,
    limitedBy: 'ceiling',
  },
  // S21: 200 TH/s in 3 chains, 66.7 TH/s and 15,522 diff-1/s per chain.
  { name: 'S21 chain (200 TH/s / 3), default ceiling', hashrate: 200e12 / 3, max: DEFAULT_MAX_NONCES_PER_S, difficulty: 16, rate: 970, limitedBy: 'ceiling' },
  {
    name: 'S21 chain (108 × BM1368 @ 490 MHz), ceiling 100/s',
    hashrate: chainNominalHashrate(108, BM1368, 490),
    max: 100,
    difficulty: 256,
    rate: 61.4,
    limitedBy: 'ceiling',
  },
  // Exactly at the ceiling is allowed: 2^32 · 1000 · 4 H/s at D = 4 is 1000/s.
  { name: 'exactly at the ceiling', hashrate: 2 ** 32 * 1000 * 4, max: 1000, difficulty: 4, rate: 1000, limitedBy: 'ceiling' },
  { name: 'one hash over the ceiling at 4 takes 8', hashrate: 2 ** 32 * 1000 * 4 + 1, max: 1000, difficulty: 8, rate: 500, limitedBy: 'ceiling' },
  // The pool's share difficulty caps the ticket even past the ceiling: no share is lost.
  {
    name: 'S19j Pro chain, ceiling 10/s, pool at 512',
    hashrate: chainNominalHashrate(126, BM1362, 525),
    max: 10,
    share: 512,
    difficulty: 512,
    rate: 15.4,
    limitedBy: 'share-difficulty',
  },
  { name: 'pool at 600 allows 512', hashrate: 1e15, max: 1, share: 600, difficulty: 512, rate: 455, limitedBy: 'share-difficulty' },
  {
    name: 'pool below 1: the register floor, shares under 1 cannot be kept',
    hashrate: 1e15,
    max: 1,
    share: 0.001,
    difficulty: 1,
    rate: 233_000,
    limitedBy: 'share-difficulty',
  },
  {
    name: 'pool above the choice changes nothing',
    hashrate: chainNominalHashrate(126, BM1362, 525),
    max: 1000,
    share: 65_536,
    difficulty: 8,
    rate: 986,
    limitedBy: 'ceiling',
  },
  // A floor, when given, holds unless a share would be lost.
  { name: 'floor 64 on a Bitaxe', hashrate: 1.2e12, max: 1000, floor: 64, difficulty: 64, rate: 4.37, limitedBy: 'floor' },
  { name: 'share difficulty 16 beats floor 64', hashrate: 1.2e12, max: 1000, floor: 64, share: 16, difficulty: 16, rate: 17.5, limitedBy: 'share-difficulty' },
  { name: 'no hashrate: the floor', hashrate: 0, max: 1000, difficulty: 1, rate: 0, limitedBy: 'floor' },
  // Beyond what the register holds: 2^32, and the rate it gives.
  { name: 'register maximum', hashrate: 1e30, max: 1, difficulty: MAX_TICKET_DIFFICULTY, rate: 5.42e10, limitedBy: 'register' },
];

function sig3(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(3));
}

for (const c of CASES) {
  test(`ticket difficulty: ${c.name}`, () => {
    const got = chooseTicketDifficulty({
      hashrate: c.hashrate,
      maxNoncesPerSecond: c.max,
      ...(c.share !== undefined ? { shareDifficulty: c.share } : {}),
      ...(c.floor !== undefined ? { floor: c.floor } : {}),
    });
    assert.equal(got.difficulty, c.difficulty);
    assert.equal(sig3(got.noncesPerSecond), c.rate);
    assert.equal(got.limitedBy, c.limitedBy);
  });
}

test('bad inputs are RangeErrors, not a silent ticket', () => {
  assert.throws(() => chooseTicketDifficulty({ hashrate: -1, maxNoncesPerSecond: 1 }), RangeError);
  assert.throws(() => chooseTicketDifficulty({ hashrate: Number.NaN, maxNoncesPerSecond: 1 }), RangeError);
  assert.throws(() => chooseTicketDifficulty({ hashrate: 1e12, maxNoncesPerSecond: 0 }), RangeError);
  assert.throws(() => chooseTicketDifficulty({ hashrate: 1e12, maxNoncesPerSecond: Number.POSITIVE_INFINITY }), RangeError);
  assert.throws(() => chooseTicketDifficulty({ hashrate: 1e12, maxNoncesPerSecond: 1, floor: 3 }), RangeError);
  assert.throws(() => chooseTicketDifficulty({ hashrate: 1e12, maxNoncesPerSecond: 1, floor: 0.5 }), RangeError);
});

const isPow2 = (d: number): boolean => d >= 1 && 2 ** Math.round(Math.log2(d)) === d;

test('property: the smallest power of two whose nonce rate is at or under the ceiling', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1e18, noNaN: true }), fc.double({ min: 1e-3, max: 1e7, noNaN: true }), (hashrate, max) => {
      const { difficulty: d, noncesPerSecond } = chooseTicketDifficulty({ hashrate, maxNoncesPerSecond: max });
      assert.ok(isPow2(d), `${d} is not a power of two`);
      assert.equal(noncesPerSecond, expectedNoncesPerSecond(hashrate, d));
      if (d < MAX_TICKET_DIFFICULTY) assert.ok(expectedNoncesPerSecond(hashrate, d) <= max, `D=${d} gives ${noncesPerSecond}/s > ${max}`);
      if (d > 1) assert.ok(expectedNoncesPerSecond(hashrate, d / 2) > max, `D/2=${d / 2} already meets ${max}/s`);
    }),
    { numRuns: 5000 },
  );
});

test('property: with a share difficulty, the chip still returns every share the pool would accept', () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 1e18, noNaN: true }),
      fc.double({ min: 1e-3, max: 1e7, noNaN: true }),
      fc.double({ min: 1, max: 2 ** 40, noNaN: true }),
      (hashrate, max, share) => {
        const { difficulty: d } = chooseTicketDifficulty({ hashrate, maxNoncesPerSecond: max, shareDifficulty: share });
        assert.ok(isPow2(d));
        assert.ok(d <= share, `ticket ${d} above share difficulty ${share}`);
        // The share target (hash ≤ target) lies strictly under the chip's bound (hash < 2^224 / D).
        assert.ok(difficultyToTarget(share) < chipTicketBound(d), `share target at ${share} not under the chip bound at ${d}`);
        // And it is still the ceiling's choice whenever the share allows it.
        const free = chooseTicketDifficulty({ hashrate, maxNoncesPerSecond: max }).difficulty;
        assert.equal(d, Math.min(free, largestTicketForShare(share)));
      },
    ),
    { numRuns: 3000 },
  );
});

test('largestTicketForShare: the power of two at or under, exact near powers of two', () => {
  assert.equal(largestTicketForShare(256), 256);
  assert.equal(largestTicketForShare(255.99999999), 128);
  assert.equal(largestTicketForShare(8 - 2 ** -50), 4);
  assert.equal(largestTicketForShare(1), 1);
  assert.equal(largestTicketForShare(0.5), 1);
  assert.equal(largestTicketForShare(2 ** 50), MAX_TICKET_DIFFICULTY);
});
