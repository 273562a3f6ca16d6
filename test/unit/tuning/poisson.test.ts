// The statistics behind the tuner's decisions (src/tuning/poisson.ts): Poisson tails against values
// computed independently, and Wald's test against its own design numbers (docs/tuning.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { poissonCdf, poissonPmf, poissonSf, sprt, sprtErrorsToFail, sprtNoncesToPass, type SprtSpec } from '../../../src/tuning/poisson.js';
import { TUNER_DEFAULTS } from '../../../src/tuning/tuner-settings.js';

const close = (a: number, b: number, rel = 1e-9): void => assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-300), `${a} vs ${b}`);

test('Poisson tails match values worked out by hand and by the series', () => {
  // P(X = 0 | 2) = e^-2; P(X <= 2 | 2) = 5 e^-2; P(X >= 3 | 1) = 1 - 2.5 e^-1.
  close(poissonPmf(0, 2), Math.exp(-2));
  close(poissonCdf(2, 2), 5 * Math.exp(-2));
  close(poissonSf(3, 1), 1 - 2.5 * Math.exp(-1), 1e-12);
  // P(X <= 217 | 300) (the watch's missing-nonce threshold region): a small tail, from the exact sum.
  let s = 0;
  for (let k = 0; k <= 217; k++) s += poissonPmf(k, 300);
  close(poissonCdf(217, 300), s, 1e-9);
  assert.ok(poissonCdf(217, 300) < 1e-5);
  // Above ~745 expected counts e^-mu underflows: the normal approximation takes over, and stays sane.
  const big = poissonCdf(1000, 1000);
  assert.ok(big > 0.5 && big < 0.52, String(big));
  assert.ok(poissonCdf(900, 1000) < 1e-3);
});

test('the CDF is a distribution function: from 0 to 1, never decreasing', () => {
  fc.assert(
    fc.property(fc.double({ min: 0.01, max: 600, noNaN: true }), fc.integer({ min: 0, max: 1200 }), (mu, k) => {
      const a = poissonCdf(k, mu);
      const b = poissonCdf(k + 1, mu);
      return a >= 0 && b <= 1 + 1e-12 && b >= a - 1e-12;
    }),
  );
});

test("Wald's test: a sound chip passes after the designed count, two early errors fail a bad one", () => {
  const s: SprtSpec = TUNER_DEFAULTS.strict;
  const n = sprtNoncesToPass(s);
  assert.equal(sprt(n, 0, s).verdict, 'stable');
  assert.equal(sprt(n - 1, 0, s).verdict, 'undecided');
  const e = sprtErrorsToFail(s);
  assert.equal(sprt(0, e, s).verdict, 'unstable');
  assert.equal(sprt(0, e - 1, s).verdict, 'undecided');
  // Truncated: undecided past the cap, the likelihood decides.
  assert.equal(sprt(3 * n, 3, s, 2 * n).verdict, 'stable');
  assert.equal(sprt(2 * n, 9, s, 2 * n).verdict, 'unstable');
});

test("Wald's test keeps its error rates: sound chips rarely fail, chips past their edge rarely pass", () => {
  // Simulated Bernoulli streams: hardware-error share q0/2 (a chip at its edge) and 2·q1 (past it).
  const s = TUNER_DEFAULTS.strict;
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const run = (q: number): 'stable' | 'unstable' => {
    let v = 0;
    let h = 0;
    for (;;) {
      if (rnd() < q) h++;
      else v++;
      const r = sprt(v, h, s, 2 * sprtNoncesToPass(s)).verdict;
      if (r !== 'undecided') return r;
    }
  };
  const trials = 2000;
  let falseFail = 0;
  let falsePass = 0;
  for (let i = 0; i < trials; i++) {
    if (run(s.q0 / 2) === 'unstable') falseFail++;
    if (run(2 * s.q1) === 'stable') falsePass++;
  }
  assert.ok(falseFail / trials <= 2 * s.alpha, `sound chips failed ${falseFail}/${trials}`);
  assert.ok(falsePass / trials <= 2 * s.beta, `bad chips passed ${falsePass}/${trials}`);
});
