// Fuzzing the SV2 frame decoder and every message decoder (normal suite: over 100 000 cases in a few
// seconds; test/slow/sv2-fuzz.test.ts runs millions). Every failure must be a typed error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzEncrypted, fuzzMutations, fuzzRandomFrames } from '../../../helpers/sv2-fuzz.js';

let total = 0;

test('random frames through the stream and message decoders', () => {
  const t = fuzzRandomFrames(40_000, 0x5eed1);
  assert.ok(t.cases >= 40_000);
  assert.ok(t.decoded > 20 && t.rejected > 1000, `both outcomes exercised: ${JSON.stringify(t)}`);
  total += t.cases;
});

test('mutations of valid encodings of every message', () => {
  // 41 messages x 60 samples x (1 + 25 mutations) = 63 960 cases.
  const t = fuzzMutations(60, 25, 0x5eed2);
  assert.ok(t.cases >= 60_000);
  assert.ok(t.decoded > 5000 && t.rejected > 5000, `both outcomes exercised: ${JSON.stringify(t)}`);
  total += t.cases;
});

test('random and tampered ciphertext through the encrypted frame decoder', () => {
  const t = fuzzEncrypted(5_000, 0x5eed3);
  assert.equal(t.decoded, 0, 'nothing forged or flipped may decrypt');
  total += t.cases;
});

test('at least 100 000 fuzz cases ran', () => {
  assert.ok(total >= 100_000, `${total}`);
});
