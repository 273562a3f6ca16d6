/**
 * Seeded draws for the silicon-lottery simulator: normal deviates (Box–Muller) and Poisson counts on top
 * of the simulators' mulberry32 generator (workshop/sim/bm13xx/rng.ts), so that every chip population and
 * every nonce count is reproducible from a seed.
 */
import { Rng } from '../bm13xx/rng.js';

export class LotteryRandom {
  private readonly rng: Rng;
  private spare: number | undefined;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.rng.next();
  }

  /** Uniform in [a, b). */
  between(a: number, b: number): number {
    return a + (b - a) * this.rng.next();
  }

  /** A standard normal deviate. */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u <= Number.EPSILON) u = this.rng.next();
    const v = this.rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * A Poisson count with mean `mu`: Knuth's product of uniforms for small means, the normal
   * approximation with continuity correction above 50 (where it is within a fraction of a percent).
   */
  poisson(mu: number): number {
    if (!(mu > 0)) return 0;
    if (mu > 50) return Math.max(0, Math.round(mu + Math.sqrt(mu) * this.normal()));
    const limit = Math.exp(-mu);
    let k = 0;
    let p = this.rng.next();
    while (p > limit) {
      k++;
      p *= this.rng.next();
    }
    return k;
  }
}
