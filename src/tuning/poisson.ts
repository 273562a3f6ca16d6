/**
 * The statistics behind the tuner's decisions (docs/tuning.md, "How sure is a decision"). A chip returns
 * nonces as a Poisson process: at clock f its valid nonces arrive at λ = f · hashes-per-MHz / (2^32 · D)
 * per second (D the ticket difficulty), and a chip past its limit returns fewer of them and some that do
 * not hash (hardware errors). Two tests, both pure functions:
 *
 * - A sequential probability ratio test (Wald 1945) on the share of hardware errors among the chip's
 *   nonces, q: H0 q ≤ q0 (a sound chip) against H1 q ≥ q1 (a chip past its limit). Each valid nonce adds
 *   ln((1−q1)/(1−q0)) to the log-likelihood ratio, each hardware error ln(q1/q0); the test stops at
 *   ln((1−β)/α) (unstable) or ln(β/(1−α)) (stable), α the chance of calling a sound chip unstable, β of
 *   passing a bad one.
 * - A rate test: the chance of seeing at most `n` valid nonces when `mu` were expected (Poisson lower
 *   tail). A tiny chance means nonces are missing: the chip is past its limit (or dead) even without
 *   hardware errors.
 */

/** ln(k!) (exact sum up to 256, Stirling's series above). */
function lnFactorial(k: number): number {
  if (k < 2) return 0;
  if (k <= 256) {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  }
  return k * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI * k) + 1 / (12 * k) - 1 / (360 * k ** 3);
}

/** P(X = k) for X ~ Poisson(mu). */
export function poissonPmf(k: number, mu: number): number {
  if (k < 0 || !Number.isInteger(k)) return 0;
  if (mu <= 0) return k === 0 ? 1 : 0;
  return Math.exp(k * Math.log(mu) - mu - lnFactorial(k));
}

/** P(X ≤ k) for X ~ Poisson(mu): the chance of seeing at most k when mu are expected. */
export function poissonCdf(k: number, mu: number): number {
  if (k < 0) return 0;
  if (mu <= 0) return 1;
  // Summed from the mode outwards in log space would be more exact for huge mu; the tuner's windows hold
  // at most a few thousand nonces, where the direct sum of terms is well within double precision.
  let term = Math.exp(-mu);
  if (term === 0) return normalLowerTail(k, mu);
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term *= mu / i;
    sum += term;
    if (sum >= 1) return 1;
  }
  return Math.min(1, sum);
}

/** Above ~700 expected nonces exp(−mu) underflows: the normal approximation with continuity correction. */
function normalLowerTail(k: number, mu: number): number {
  const z = (k + 0.5 - mu) / Math.sqrt(mu);
  return 0.5 * erfc(-z / Math.SQRT2);
}

function erfc(x: number): number {
  // Numerical Recipes' erfcc (fractional error < 1.2e-7).
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(X ≥ k): the chance of seeing k or more when mu are expected. */
export function poissonSf(k: number, mu: number): number {
  if (k <= 0) return 1;
  return Math.max(0, 1 - poissonCdf(k - 1, mu));
}

export interface SprtSpec {
  /** Hardware-error share of a sound chip. */
  q0: number;
  /** Hardware-error share of a chip past its limit. */
  q1: number;
  /** Chance of calling a sound chip unstable. */
  alpha: number;
  /** Chance of passing a chip past its limit. */
  beta: number;
}

export type Verdict = 'stable' | 'unstable' | 'undecided';

/**
 * Wald's test on (valid, hardware errors) counts. With `maxValid`, truncated: a chip still undecided after
 * that many valid nonces is judged by which hypothesis its likelihood favours (a chip sitting between q0
 * and q1 would otherwise keep the test running for a long time; either answer costs little there).
 */
export function sprt(valid: number, hw: number, s: SprtSpec, maxValid = Infinity): { verdict: Verdict; llr: number } {
  const llr = valid * Math.log((1 - s.q1) / (1 - s.q0)) + hw * Math.log(s.q1 / s.q0);
  if (llr >= Math.log((1 - s.beta) / s.alpha)) return { verdict: 'unstable', llr };
  if (llr <= Math.log(s.beta / (1 - s.alpha))) return { verdict: 'stable', llr };
  if (valid >= maxValid) return { verdict: llr > 0 ? 'unstable' : 'stable', llr };
  return { verdict: 'undecided', llr };
}

/** Valid nonces a sound chip needs, with no hardware error, for the test to say stable. */
export function sprtNoncesToPass(s: SprtSpec): number {
  return Math.ceil(Math.log(s.beta / (1 - s.alpha)) / Math.log((1 - s.q1) / (1 - s.q0)));
}

/** Hardware errors that say unstable at once (before many valid nonces dilute them). */
export function sprtErrorsToFail(s: SprtSpec): number {
  return Math.ceil(Math.log((1 - s.beta) / s.alpha) / Math.log(s.q1 / s.q0));
}
