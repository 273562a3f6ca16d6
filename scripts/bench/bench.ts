/**
 * The benchmark interface: each scripts/bench/*.bench.ts default-exports a Bench. Figures are measured
 * in the same run as their baselines so that ratios mean something on any machine.
 */
export type Figures = Record<string, number | string>;

export interface Bench {
  /** Group name; figures appear as `<name>.<key>` (e.g. nonce_verify.engine_per_s). */
  name: string;
  run(opts: { quick: boolean }): Promise<Figures>;
}

/** Calls `fn(iterations)` until `ms` elapsed (after a warm-up) and returns operations per second. */
export function rate(fn: (n: number) => void, opts: { ms?: number; batch?: number; repeats?: number } = {}): number {
  const ms = opts.ms ?? 1000;
  const batch = opts.batch ?? 10_000;
  const repeats = opts.repeats ?? 3;
  fn(batch); // warm-up so the optimising compiler has run
  let best = 0;
  for (let r = 0; r < repeats; r++) {
    let done = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms / repeats) {
      fn(batch);
      done += batch;
      t = performance.now();
    }
    best = Math.max(best, done / ((t - t0) / 1000));
  }
  return best;
}

/** p50 / p99 / max of a sample, in the sample's unit. */
export function percentiles(xs: number[]): { p50: number; p99: number; max: number } {
  const s = xs.slice().sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1] ?? Number.NaN };
}
