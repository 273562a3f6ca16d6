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
} from './generated/sha256-nonce.generated.js';
import { SHA256_SIMD_WASM_BASE64, SIMD_NONCES_OFFSET, SIMD_OUT_OFFSET } from './generated/sha256-simd.generated.js';

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

/** Difficulty-1 target is 0xffff · 2^208; hash / 2^208 as a float gives difficulty = 0xffff / that. */
const TWO_POW_16 = 65536;

/** SHA-256 state after the first 64 bytes of an 80-byte header (the "midstate" chips take). */
export function midstate(header: Uint8Array): Uint32Array {
  if (header.length < 64) throw new RangeError(`midstate needs 64 header bytes, got ${header.length}`);
  const b = new Int32Array(NONCE_CTX_WORDS);
  for (let i = 0; i < 16; i++) b[NODE_IN + i] = readBE32(header, i * 4);
  nodeFirstBlock(b);
  return new Uint32Array(b.subarray(NODE_STATE, NODE_STATE + 8));
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
  const v =
    bswap32(h[7] as number) * TWO_POW_16 +
    bswap32(h[6] as number) / TWO_POW_16 +
    bswap32(h[5] as number) / 281474976710656 +
    bswap32(h[4] as number) / 1.2089258196146292e24;
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
    const v =
      bswap32(o[28 + lane] as number) * TWO_POW_16 +
      bswap32(o[24 + lane] as number) / TWO_POW_16 +
      bswap32(o[20 + lane] as number) / 281474976710656 +
      bswap32(o[16 + lane] as number) / 1.2089258196146292e24;
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
