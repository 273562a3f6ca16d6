// The large SV2 fuzz run (npm run test:slow): the same properties as test/unit/upstream/sv2/fuzz.test.ts with
// about 3 million cases and other seeds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzEncrypted, fuzzMutations, fuzzRandomFrames } from '../helpers/sv2-fuzz.js';

const seed = Number(process.env.ASIC_AGENT_FUZZ_SEED ?? 0xdecaf);

test('slow: 1 000 000 random frames', () => {
  assert.ok(fuzzRandomFrames(1_000_000, seed).cases >= 1_000_000);
});

test('slow: 2 000 000 mutations of valid encodings', () => {
  assert.ok(fuzzMutations(800, 60, seed + 1).cases >= 1_900_000);
});

test('slow: 100 000 encrypted streams', () => {
  assert.equal(fuzzEncrypted(100_000, seed + 2).decoded, 0);
});
