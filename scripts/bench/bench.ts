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

/**
 * Calls `fn(iterations)` until `ms` elapsed (after a warm-up) and returns operations per second.
 * The warm-up runs for a fixed time rather than a fixed count, so that V8 has tiered both JavaScript
 * and WebAssembly up to its optimising compiler (Liftoff → TurboFan for wasm) before anything is timed:
 * the agent runs for months, its steady state is what matters. It is rates() with one contender.
 */
export function rate(fn: (n: number) => void, opts: { ms?: number; batch?: number; repeats?: number; warmupMs?: number } = {}): number {
  return rates(
    { only: { fn, ...(opts.batch !== undefined ? { batch: opts.batch } : {}) } },
    { ms: opts.ms ?? 1000, rounds: opts.repeats ?? 3, ...(opts.warmupMs !== undefined ? { warmupMs: opts.warmupMs } : {}) },
  ).only;
}

/** p50 / p99 / max of a sample, in the sample's unit. */
export function percentiles(xs: number[]): { p50: number; p99: number; max: number } {
  const s = xs.slice().sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1] ?? Number.NaN };
}

/**
 * Operations per second of several functions measured in alternation: round r times each function for
 * `ms / rounds`, and each keeps its best round. On a shared or throttling machine, load that comes and
 * goes then hits every contender alike instead of whichever happened to run during it — the ratios
 * between them are what the benchmark reports.
 */
export function rates<K extends string>(
  fns: Record<K, { fn: (n: number) => void; batch?: number }>,
  opts: { ms?: number; rounds?: number; warmupMs?: number } = {},
): Record<K, number> {
  const rounds = opts.rounds ?? 6;
  const slice = (opts.ms ?? 1000) / rounds;
  const keys = Object.keys(fns) as K[];
  const best = {} as Record<K, number>;
  for (const k of keys) {
    const { fn, batch = 10_000 } = fns[k];
    const warm0 = performance.now();
    do fn(batch);
    while (performance.now() - warm0 < (opts.warmupMs ?? 500));
    best[k] = 0;
  }
  for (let r = 0; r < rounds; r++) {
    for (const k of keys) {
      const { fn, batch = 10_000 } = fns[k];
      let done = 0;
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < slice) {
        fn(batch);
        done += batch;
        t = performance.now();
      }
      best[k] = Math.max(best[k], done / ((t - t0) / 1000));
    }
  }
  return best;
}
