// The simulator's nonce slices: chips of a chain search disjoint ranges that the driver attributes back to
// them, and the search order visits every version of a window before moving on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESP_MINER_NONCE_LAYOUT, nonceFields, chipIndexOfNonce } from '../../../../../drivers/asic/bm13xx/nonce-layout.js';
import { addressInterval, chunkPosition, nonceAt, nonceSlice } from '../../../../../workshop/sim/bm13xx/nonce-slice.js';

test('slices of a chain are disjoint and map back to their chip', () => {
  for (const n of [1, 3, 12, 126, 256]) {
    const interval = Math.floor(256 / n);
    const addrs = Array.from({ length: n }, (_, i) => i * interval);
    assert.equal(addressInterval(addrs), interval);
    for (const [i, a] of addrs.entries()) {
      const s = nonceSlice(a, interval, 128, ESP_MINER_NONCE_LAYOUT);
      assert.equal(s.size, 128 * interval * 2 ** 17);
      for (const k of [0, 1, 127, 128, 129, 128 * interval - 1, 128 * interval, s.size - 1]) {
        if (k >= s.size) continue;
        const { nonce, core, counter } = nonceAt(s, k, ESP_MINER_NONCE_LAYOUT);
        const f = nonceFields(nonce, ESP_MINER_NONCE_LAYOUT);
        assert.deepEqual([f.core, f.counter], [core, counter]);
        assert.ok(f.addressField >= a && f.addressField < a + interval);
        assert.equal(chipIndexOfNonce(nonce, ESP_MINER_NONCE_LAYOUT, interval, n), i);
      }
    }
  }
  // 126 chips: addresses 0..250 step 2; 252..255 belong to nobody (the "nonce pattern" of non-power-of-2 chains).
  const last = nonceSlice(250, 2, 128, ESP_MINER_NONCE_LAYOUT);
  assert.deepEqual([last.lo, last.interval], [250, 2]);
  // BM1368 has 80 cores: core-field values 80..127 are never searched.
  assert.equal(nonceSlice(0, 256, 80, ESP_MINER_NONCE_LAYOUT).cores, 80);
});

test('search order: a window is hashed for every version before the next window', () => {
  // 2 chunks per window, 3 versions.
  const seq = Array.from({ length: 8 }, (_, j) => chunkPosition(j, 3, 32, 64));
  assert.deepEqual(
    seq.map((p) => [p.version, p.start]),
    [
      [0, 0],
      [0, 32],
      [1, 0],
      [1, 32],
      [2, 0],
      [2, 32],
      [0, 64],
      [0, 96],
    ],
  );
});
