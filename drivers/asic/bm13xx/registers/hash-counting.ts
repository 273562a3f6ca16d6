/**
 * Register 0x10, hash counting number (HCN), and the nonce-space timing it derives from
 * (docs/bm13xx.md "Registers"; ESP-Miner's formulas, re-derived).
 *
 * HCN sets how much of the nonce range each core scans before moving to the next version:
 *   HCN = (2^32 / nextpow2(cores) / nextpow2(chips)) · (25 / f_MHz) · 0.5 - erratum
 * BM1370 has an erratum of 134 counts per clock, doubled (268) so that it returns no duplicates.
 * Example: one BM1370 at 525 MHz gives 798,647 (0x000C2FB7).
 */
import { CLKI_MHZ } from '../pll.js';

export const NONCE_SPACE = 2 ** 32;

export function nextPowerOfTwo(n: number): number {
  if (n <= 1) return 1;
  return 2 ** Math.ceil(Math.log2(n));
}

export function hashCountingNumber(opts: { cores: number; chips: number; frequencyMhz: number; erratum: number; fraction?: number }): number {
  const space = NONCE_SPACE / nextPowerOfTwo(opts.cores) / nextPowerOfTwo(opts.chips);
  const max = ((space * CLKI_MHZ) / opts.frequencyMhz) * 0.5;
  const v = (opts.fraction ?? 1) * (max - opts.erratum);
  return Math.max(0, Math.min(0xffffffff, Math.floor(v))) >>> 0;
}

/**
 * Time (ms) for a chain to scan its whole nonce × version space once: cores work in parallel, small cores
 * beyond the core count scan versions in parallel (midstates), chips split the nonce range.
 * `fraction` scales it (ESP-Miner sends a new job after 75 % of it on BM1397). Returns undefined when the
 * inputs make no sense (no chips, no frequency).
 */
export function fullScanTimeMs(opts: {
  frequencyMhz: number;
  chips: number;
  smallCores: number;
  cores: number;
  versions: number;
  fraction?: number;
}): number | undefined {
  if (opts.chips <= 0 || !(opts.frequencyMhz > 0)) return undefined;
  const coresUp = nextPowerOfTwo(opts.cores);
  const smallUp = nextPowerOfTwo(opts.smallCores);
  if (smallUp < coresUp) return undefined;
  const parallelVersions = smallUp / coresUp;
  const serialVersions = opts.versions / parallelVersions;
  const serialNonces = NONCE_SPACE / coresUp / nextPowerOfTwo(opts.chips);
  const ms = (serialVersions * serialNonces) / (opts.frequencyMhz * 1000);
  return (opts.fraction ?? 1) * ms;
}
