/**
 * How often a chain needs fresh work (ESP-Miner ASIC_get_asic_job_frequency_ms, docs/bm13xx.md "Job
 * interval").
 *
 * The time for a chain to exhaust one job is 2^32 nonces × the versions it hashes per job, spread over
 * its small cores and chips (each rounded up to a power of two, as the chips split the nonce space by
 * address and core bits), at the hash clock: t = 2^32 · versions / (f · nextpow2(smallCores) · nextpow2(chips)).
 * BM1397 (4 midstates) exhausts a job in tens of milliseconds, so it gets work at a fraction of that
 * time. The in-chip rolling families take minutes to exhaust a job; their interval is set by staleness
 * instead: 2000 ms / nextpow2(chips) for BM1366, 500 ms / nextpow2(chips) for BM1368/1370 (and BM1362).
 */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Milliseconds to exhaust one job, scaled by `fraction` (ESP-Miner's test cases use 0.5..1.0). */
export function jobExhaustionMs(o: { frequencyMhz: number; smallCores: number; chips: number; versions: number; fraction?: number }): number {
  const hashesPerSecond = o.frequencyMhz * 1e6 * nextPow2(o.smallCores) * nextPow2(o.chips);
  return ((2 ** 32 * o.versions * (o.fraction ?? 1)) / hashesPerSecond) * 1000;
}

/** The interval the scheduler uses for a chain of `chips` chips of `family` at `frequencyMhz`. */
export function workIntervalMs(family: string, o: { frequencyMhz: number; smallCores: number; chips: number }): number {
  switch (family) {
    case 'BM1397':
      // Refresh at half the exhaustion time of the four midstates: ESP-Miner (calculate_bm_timeout_ms
      // @5c27713116c7) uses all of it, but a timer on a busy event loop fires late, and a late job leaves
      // every chip of the chain idle. At 3.125 Mbaud a 152-byte job takes 0.49 ms of UART time, so even
      // 1/2 of a 10 ms exhaustion costs under 10 %.
      return Math.max(1, jobExhaustionMs({ ...o, versions: 4, fraction: 0.5 }));
    case 'BM1366':
      return 2000 / nextPow2(o.chips);
    default:
      return 500 / nextPow2(o.chips);
  }
}
