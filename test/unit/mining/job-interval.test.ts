import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobExhaustionMs, nextPow2, workIntervalMs } from '../../../src/mining/job-interval.js';
import { readVectorJson, vectorTest } from '../../helpers/vectors.js';

vectorTest("job exhaustion times match ESP-Miner's timeout tests", () => {
  const v = readVectorJson<{ job_timeout_tests: { cases: { freq: number; asics: number; small_cores: number; version_size: number; percent: number; expected_ms: number }[] } }>('bm13xx/registers_and_timing.json');
  assert.equal(v.job_timeout_tests.cases.length, 4);
  for (const c of v.job_timeout_tests.cases) {
    const ms = jobExhaustionMs({ frequencyMhz: c.freq, smallCores: c.small_cores, chips: c.asics, versions: c.version_size, fraction: c.percent });
    assert.ok(Math.abs(ms - c.expected_ms) < 0.001, `${JSON.stringify(c)} -> ${ms}`);
  }
});

test('work intervals per family', () => {
  assert.equal(nextPow2(3), 4);
  assert.equal(nextPow2(1), 1);
  assert.equal(workIntervalMs('BM1370', { frequencyMhz: 525, smallCores: 2040, chips: 4 }), 125);
  assert.equal(workIntervalMs('BM1366', { frequencyMhz: 485, smallCores: 894, chips: 2 }), 1000);
  const bm1397 = workIntervalMs('BM1397', { frequencyMhz: 425, smallCores: 672, chips: 1 });
  // Half of the 39.5 ms a single BM1397 at 425 MHz takes to exhaust its four midstates (bm13xx.md §5).
  assert.ok(Math.abs(bm1397 - 39.5 / 2) < 0.5, String(bm1397));
});
