import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobExhaustionMs, nextPow2, workIntervalMs } from '../../../src/mining/job-interval.js';
import { readVectorJson, vectorTest } from '../../helpers/vectors.js';

vectorTest("job exhaustion times match ESP-Miner's timeout tests", () => {
  const v = readVectorJson<{
    job_timeout_tests: { cases: { freq: number; asics: number; small_cores: number; version_size: number; percent: number; expected_ms: number }[] };
  }>('bm13xx/registers_and_timing.json');
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
  // Half of the 39.5 ms a single BM1397 at 425 MHz takes to exhaust its four midstates (docs/bm13xx.md "Job
  // interval").
  assert.ok(Math.abs(bm1397 - 39.5 / 2) < 0.5, String(bm1397));
});

test('units for a fixed version: half the time the chain takes to exhaust 2^32 nonces, not the staleness interval', async () => {
  const { chainFigures, chipRollMask, unitIntervalMs } = await import('../../../drivers/asic/bm13xx/chain-figures.js');
  const { familyByName } = await import('../../../drivers/asic/bm13xx/family.js');
  const { CHIP_ROLLABLE_MASK } = await import('../../../drivers/asic/bm13xx/registers/version-mask.js');
  const { BIP320_MASK } = await import('../../../src/work/version-rolling.js');
  const up = { chipCount: 4, frequencyMhz: 525, ticketDifficulty: 256, missing: [] };
  const bm1370 = familyByName('bm1370');
  const c = chainFigures(bm1370, up);
  assert.equal(c.workIntervalMs, 125);
  assert.equal(c.nonceDifficulty, 256);
  assert.equal(unitIntervalMs(c, chipRollMask(bm1370, BIP320_MASK) & CHIP_ROLLABLE_MASK), 125, 'with BIP320 rolling, the family interval');
  // 2^32 / (525 MHz × 2048 cores × 4 chips) = 1.0 ms to exhaust: every 1 ms (the timer's floor).
  const fixed = unitIntervalMs(c, 0);
  assert.ok(fixed >= 1 && fixed < 2, `fixed-version interval ${fixed} ms`);
  // Four versions (two bits): four times as long.
  assert.ok(Math.abs(unitIntervalMs(c, 0b11 << 13) - (2 ** 34 / (525e6 * 2048 * 4) / 2) * 1000) < 1e-9);
  // BM1397's interval already is half its four-midstate exhaustion time.
  const bm1397 = familyByName('bm1397');
  const b = chainFigures(bm1397, up);
  assert.equal(unitIntervalMs(b, chipRollMask(bm1397, BIP320_MASK)), b.workIntervalMs);
  assert.ok(unitIntervalMs(b, 0) < b.workIntervalMs);
  // A simulated chain hashes far slower than the silicon: its units last as long as they really do, and
  // its nonces meet its simulator's ticket difficulty.
  const sim = chainFigures(bm1370, up, { hashrate: 100_000, ticketDifficulty: 2 ** -22 });
  assert.equal(unitIntervalMs(sim, 0), 125);
  assert.equal(sim.nonceDifficulty, 2 ** -22);
  assert.equal(sim.nominalHashrate, 100_000);
  // A chip that did not answer hashes nothing.
  assert.equal(chainFigures(bm1370, { ...up, missing: [3] }).nominalHashrate, 525e6 * bm1370.smallCores * 3);
});
