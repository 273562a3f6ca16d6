/**
 * The part of the nonce space a simulated chip searches, and the order it searches it in.
 *
 * Each chip owns the nonces whose address field lies in [its address, its address + interval), where the
 * interval is the spacing of the chain's addresses (256/n as the driver assigns them; 256 for one chip).
 * This is the split ESP-Miner decodes (docs/bm13xx.md "Choices on disputed points"); how a real chip learns
 * its range is not documented, so the simulator takes it from the addresses on the chain. When n is not a
 * power of two the last 256 - n·interval address values are searched by nobody, as on real chains.
 *
 * Order: the slice is indexed core first, then address, then counter, so nonces spread over cores at
 * once; it is cut into windows of `noncesPerVersion` nonces, and each window is hashed for every version
 * (roll-mask value or midstate slot) before the next window starts, a small stand-in for the hash
 * counting number that lets rolled versions show up at simulated speeds.
 */
import { composeNonce, counterBits, type NonceLayout } from '../../../drivers/asic/bm13xx/nonce-layout.js';

export interface NonceSlice {
  /** Core-field values searched (the family's cores, capped by the field width). */
  cores: number;
  /** First address-field value. */
  lo: number;
  /** Address-field values searched. */
  interval: number;
  /** Nonces in the slice. */
  size: number;
}

/** Smallest positive gap between chip addresses, or 256 when there is a single distinct address. */
export function addressInterval(addresses: readonly number[]): number {
  const a = [...new Set(addresses)].sort((x, y) => x - y);
  let gap = 256;
  for (let i = 1; i < a.length; i++) gap = Math.min(gap, (a[i] as number) - (a[i - 1] as number));
  return gap;
}

export function nonceSlice(address: number, interval: number, familyCores: number, layout: NonceLayout): NonceSlice {
  const span = 2 ** layout.addressBits;
  const lo = address % span;
  const iv = Math.max(1, Math.min(interval, span - lo));
  const cores = Math.min(familyCores, 2 ** layout.coreBits);
  return { cores, lo, interval: iv, size: cores * iv * 2 ** counterBits(layout) };
}

/** The i-th nonce of a slice (header nonce value) and its per-core counter. */
export function nonceAt(s: NonceSlice, i: number, layout: NonceLayout): { nonce: number; core: number; counter: number } {
  const core = i % s.cores;
  const r = (i - core) / s.cores;
  const a = r % s.interval;
  const counter = (r - a) / s.interval;
  return { nonce: composeNonce({ core, addressField: s.lo + a, counter }, layout), core, counter };
}

/** Chunk j of a job (chunks of `chunk` nonces): which version it hashes and its first slice index. */
export function chunkPosition(j: number, versions: number, chunk: number, noncesPerVersion: number): { version: number; start: number } {
  const perWindow = Math.max(1, Math.floor(noncesPerVersion / chunk));
  const inWindow = j % perWindow;
  const rest = (j - inWindow) / perWindow;
  const version = rest % versions;
  const window = (rest - version) / versions;
  return { version, start: (window * perWindow + inWindow) * chunk };
}
