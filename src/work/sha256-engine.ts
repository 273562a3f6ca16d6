/**
 * SHA-256 for mining (FIPS 180-4): the midstate of the first 64 header bytes, then per nonce the second
 * block and the second hash from that midstate, with no allocation per call.
 *
 * The per-nonce code is generated (scripts/gen-sha256-engine.ts) so that every term that does not depend
 * on the nonce is computed once per header template in `MiningHasher.setHeader`. Two back ends share that
 * context: scalar JavaScript for one nonce at a time, and a WebAssembly SIMD module hashing four nonces
 * per call (batches: verifying a chain's nonces for one work unit, scanning a nonce range). Where the
 * runtime has no WebAssembly SIMD, the batch calls fall back to the scalar code.
 * Checked against @noble/hashes on random headers in test/unit/work/sha256-engine.test.ts.
 */
import {
  hashNonceFirst,
  hashNonceSecond,
  hashNonceSecondTopWord,
  NODE_IN,
  NODE_STATE,
  NONCE_CTX_WORDS,
  nodeFirstBlock,
  prepareNonceContext,
} from './sha256-nonce.generated.js';
import { SHA256_SIMD_WASM_BASE64, SIMD_NONCES_OFFSET, SIMD_OUT_OFFSET } from './sha256-simd.generated.js';

interface SimdExports {
  mem: WebAssembly.Memory;
  first4: () => void;
  second4: () => void;
  top4: () => void;
}

let simdModule: WebAssembly.Module | null | undefined;
/** The compiled SIMD module, or null when this runtime cannot run it. Compiled once per process. */
function simd(): WebAssembly.Module | null {
  if (simdModule === undefined) {
    try {
      const bytes = Buffer.from(SHA256_SIMD_WASM_BASE64, 'base64');
      simdModule = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      simdModule = null;
    }
  }
  return simdModule;
}

/** True when four-lane batches run on WebAssembly SIMD (false: scalar fallback). */
export function simdAvailable(): boolean {
  return simd() !== null;
}

/** FIPS 180-4 §4.2.2 round constants. */
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
/** FIPS 180-4 §5.3.3 initial hash value H(0). */
export const SHA256_IV: readonly number[] = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/** Difficulty-1 target is 0xffff · 2^208; hash / 2^208 as a float gives difficulty = 0xffff / that. */
const TWO_POW_16 = 65536;

/**
 * One SHA-256 compression (FIPS 180-4 §6.2.2) of a 64-byte block into `state` (8 words). `w` is a
 * 64-word scratch buffer, passed in by callers that must not allocate.
 */
export function sha256Compress(state: Uint32Array, block: Uint8Array, offset = 0, w: Uint32Array = new Uint32Array(64)): void {
  for (let t = 0; t < 16; t++) {
    const o = offset + t * 4;
    w[t] = ((block[o] as number) << 24) | ((block[o + 1] as number) << 16) | ((block[o + 2] as number) << 8) | (block[o + 3] as number);
  }
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15] as number;
    const y = w[t - 2] as number;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = ((w[t - 16] as number) + s0 + (w[t - 7] as number) + s1) | 0;
  }
  let a = state[0] as number, b = state[1] as number, c = state[2] as number, d = state[3] as number;
  let e = state[4] as number, f = state[5] as number, g = state[6] as number, h = state[7] as number;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + (g ^ (e & (f ^ g))) + (K[t] as number) + (w[t] as number)) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) | (c & (a | b)))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  state[0] = (state[0] as number) + a; state[1] = (state[1] as number) + b;
  state[2] = (state[2] as number) + c; state[3] = (state[3] as number) + d;
  state[4] = (state[4] as number) + e; state[5] = (state[5] as number) + f;
  state[6] = (state[6] as number) + g; state[7] = (state[7] as number) + h;
}

/** SHA-256 state after the first 64 bytes of an 80-byte header (the "midstate" chips take). */
export function midstate(header: Uint8Array): Uint32Array {
  if (header.length < 64) throw new RangeError(`midstate needs 64 header bytes, got ${header.length}`);
  const st = new Uint32Array(SHA256_IV);
  sha256Compress(st, header, 0);
  return st;
}

const readBE32 = (b: Uint8Array, o: number): number =>
  (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;

/** Byte-swaps a 32-bit word. */
export function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** Share difficulty of a hash given as 8 SHA-256 state words (the hash bytes are the words big-endian). */
export function difficultyOfHashWords(h: Uint32Array): number {
  // Read as a little-endian 256-bit integer, limb i (most significant first) is bswap(H[7-i]).
  const v = bswap32(h[7] as number) * TWO_POW_16 + bswap32(h[6] as number) / TWO_POW_16 +
    bswap32(h[5] as number) / 281474976710656 + bswap32(h[4] as number) / 1.2089258196146292e24;
  return v === 0 ? Number.POSITIVE_INFINITY : 0xffff / v;
}

/**
 * Hashes one header template for many nonces. `setHeader` (or `setMidstate`) once per template, then
 * `hash`, `difficulty` or `topWord` per nonce. Nothing is allocated after construction.
 */
export class MiningHasher {
  private readonly ctx: Int32Array;
  private readonly wasm: SimdExports | null;
  /** The four nonces of a batch, in the SIMD module's memory (or plain memory for the fallback). */
  private readonly lanesIn: Uint32Array;
  /** Batch output: word i of lanes 0..3 at [4i .. 4i+3]. */
  private readonly lanesOut: Uint32Array;
  /** Final hash of the last `hash` call, as 8 SHA-256 state words. */
  readonly words = new Uint32Array(8);

  constructor(opts: { simd?: boolean } = {}) {
    const mod = opts.simd === false ? null : simd();
    if (mod) {
      const inst = new WebAssembly.Instance(mod, {});
      this.wasm = inst.exports as unknown as SimdExports;
      const buf = this.wasm.mem.buffer;
      // One context serves both back ends: the scalar code reads and writes it through this view.
      this.ctx = new Int32Array(buf, 0, NONCE_CTX_WORDS);
      this.lanesIn = new Uint32Array(buf, SIMD_NONCES_OFFSET, 4);
      this.lanesOut = new Uint32Array(buf, SIMD_OUT_OFFSET, 32);
    } else {
      this.wasm = null;
      this.ctx = new Int32Array(NONCE_CTX_WORDS);
      this.lanesIn = new Uint32Array(4);
      this.lanesOut = new Uint32Array(32);
    }
  }

  /** True when batches run on WebAssembly SIMD. */
  get usesSimd(): boolean {
    return this.wasm !== null;
  }

  /** Scratch for the midstate: the generated 64-byte block from the IV (first header block). */
  private readonly block = new Int32Array(NONCE_CTX_WORDS);

  /** Takes the first 76 bytes of an 80-byte header (the nonce bytes are ignored). Allocation-free. */
  setHeader(header: Uint8Array): void {
    if (header.length < 76) throw new RangeError(`header needs at least 76 bytes, got ${header.length}`);
    // Midstate on the unrolled code: this runs once per nonce when chips roll the version in-chip.
    const b = this.block;
    for (let i = 0; i < 16; i++) b[NODE_IN + i] = readBE32(header, i * 4);
    nodeFirstBlock(b);
    const ctx = this.ctx;
    for (let i = 0; i < 8; i++) ctx[i] = b[NODE_STATE + i] as number;
    ctx[8] = readBE32(header, 64);
    ctx[9] = readBE32(header, 68);
    ctx[10] = readBE32(header, 72);
    prepareNonceContext(ctx);
  }

  /** Midstate (8 words) plus header bytes 64..75: merkle-root tail, ntime, nbits in header order. */
  setMidstate(mid: Uint32Array, tail12: Uint8Array): void {
    const ctx = this.ctx;
    for (let i = 0; i < 8; i++) ctx[i] = mid[i] as number;
    ctx[8] = readBE32(tail12, 0);
    ctx[9] = readBE32(tail12, 4);
    ctx[10] = readBE32(tail12, 8);
    prepareNonceContext(ctx);
  }

  /** SHA-256d of the header with this nonce into `this.words` (and returns them). */
  hash(nonce: number): Uint32Array {
    hashNonceFirst(this.ctx, nonce);
    hashNonceSecond(this.ctx, this.words);
    return this.words;
  }

  /** Writes the 32 hash bytes in internal (header/merkle) order into `out` at `offset`. */
  hashBytes(nonce: number, out: Uint8Array, offset = 0): void {
    const w = this.hash(nonce);
    for (let i = 0; i < 8; i++) {
      const x = w[i] as number;
      out[offset + i * 4] = x >>> 24;
      out[offset + i * 4 + 1] = x >>> 16;
      out[offset + i * 4 + 2] = x >>> 8;
      out[offset + i * 4 + 3] = x;
    }
  }

  /** Share difficulty of the header with this nonce. */
  difficulty(nonce: number): number {
    return difficultyOfHashWords(this.hash(nonce));
  }

  /**
   * The most significant 32 bits of the hash read as a little-endian integer, computed with early exit
   * (the second compression stops after round 60). A nonce whose top word exceeds the target's top
   * word cannot meet the target.
   */
  topWord(nonce: number): number {
    hashNonceFirst(this.ctx, nonce);
    return bswap32(hashNonceSecondTopWord(this.ctx));
  }

  /**
   * Hashes four nonces of the current template at once. Afterwards `laneWords(lane, out)` /
   * `laneDifficulty(lane)` read each result. Lanes beyond `count` are hashed with nonce 0 and ignored.
   */
  hash4(nonces: ArrayLike<number>, count = Math.min(4, nonces.length)): void {
    const inp = this.lanesIn;
    for (let i = 0; i < 4; i++) inp[i] = i < count ? (nonces[i] as number) : 0;
    if (this.wasm) {
      this.wasm.first4();
      this.wasm.second4();
      return;
    }
    const out = this.lanesOut;
    for (let lane = 0; lane < count; lane++) {
      const w = this.hash(inp[lane] as number);
      for (let i = 0; i < 8; i++) out[i * 4 + lane] = w[i] as number;
    }
  }

  /** Copies the 8 state words of batch lane `lane` into `out`. */
  laneWords(lane: number, out: Uint32Array): Uint32Array {
    const o = this.lanesOut;
    for (let i = 0; i < 8; i++) out[i] = o[i * 4 + lane] as number;
    return out;
  }

  /** Share difficulty of batch lane `lane`. */
  laneDifficulty(lane: number): number {
    const o = this.lanesOut;
    const v = bswap32(o[28 + lane] as number) * TWO_POW_16 + bswap32(o[24 + lane] as number) / TWO_POW_16 +
      bswap32(o[20 + lane] as number) / 281474976710656 + bswap32(o[16 + lane] as number) / 1.2089258196146292e24;
    return v === 0 ? Number.POSITIVE_INFINITY : 0xffff / v;
  }

  /**
   * Searches nonces [start, start + count) (wrapping at 2^32) for hashes whose most significant 32 bits
   * (little-endian reading) are <= `targetTop`, four at a time with early reject. Calls `found(nonce)` for
   * each candidate; the caller checks the full target with `hash`/`difficulty`. Returns nonces tried.
   */
  scan(start: number, count: number, targetTop: number, found: (nonce: number) => void): number {
    const inp = this.lanesIn;
    const out = this.lanesOut;
    let n = start >>> 0;
    let done = 0;
    if (this.wasm) {
      const { first4, top4 } = this.wasm;
      while (done + 4 <= count) {
        inp[0] = n;
        inp[1] = n + 1;
        inp[2] = n + 2;
        inp[3] = n + 3;
        first4();
        top4();
        for (let lane = 0; lane < 4; lane++) {
          if (bswap32(out[28 + lane] as number) <= targetTop) found((n + lane) >>> 0);
        }
        n = (n + 4) >>> 0;
        done += 4;
      }
    }
    for (; done < count; done++) {
      if (this.topWord(n) <= targetTop) found(n);
      n = (n + 1) >>> 0;
    }
    return count;
  }
}
