// Share outcome codes: every SV1 error shape seen in docs/stratum-v1-and-pools.md "What the pool sends" and
// every SubmitShares.Error code of docs/sv2.md maps to one typed code; unknown ones are `other`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SV2_SHARE_ERRORS, sv1ShareCode, sv2ShareCode } from '../../../src/upstream/share-code.js';

const SV1_CASES: [code: number | null, message: string, status: 'stale' | 'rejected', expected: string][] = [
  [21, 'Job not found', 'stale', 'stale-share'],
  [null, 'Stale', 'stale', 'stale-share'],
  [null, 'job not found', 'stale', 'stale-share'],
  [20, 'Stale share', 'stale', 'stale-share'],
  [22, 'duplicate share', 'rejected', 'duplicate-share'],
  [null, 'Duplicate', 'rejected', 'duplicate-share'],
  [23, 'Low difficulty share', 'rejected', 'difficulty-too-low'],
  [null, 'Above target 2', 'rejected', 'difficulty-too-low'],
  [null, 'high-hash', 'rejected', 'difficulty-too-low'],
  [24, 'Unauthorized worker', 'rejected', 'unauthorized-worker'],
  [25, 'Not subscribed', 'rejected', 'not-subscribed'],
  [20, 'Other/Unknown', 'rejected', 'other'],
  [null, 'rejected', 'rejected', 'other'],
  [-32601, 'unknown error', 'rejected', 'other'],
];

for (const [code, message, status, expected] of SV1_CASES) {
  test(`SV1 [${code}, "${message}"] is ${status} ${expected}`, () => {
    assert.deepEqual(sv1ShareCode(code, message), { status, code: expected });
  });
}

test('every SubmitShares.Error code keeps its name; anything else is other', () => {
  for (const c of SV2_SHARE_ERRORS) assert.equal(sv2ShareCode(c), c);
  assert.equal(sv2ShareCode('made-up-by-a-pool'), 'other');
  assert.equal(sv2ShareCode(''), 'other');
  assert.equal(sv2ShareCode('constructor'), 'other');
});
