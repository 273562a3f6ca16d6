/**
 * Nonce verification: SHA-256d of a header with a chip's nonce, then its share difficulty.
 * Our engine (midstate + precomputed schedule) against @noble/hashes and node:crypto doing the same job.
 *   engine_per_s         four nonces of one template per call (WebAssembly SIMD), the batch path
 *   engine_single_per_s  one nonce per call (scalar JavaScript), the latency path
 *   engine_scan_per_s    searching a nonce range with early reject (what the chip simulator does)
 * ratio_vs_noble uses engine_per_s; ratio_single_vs_noble the one-at-a-time path. The contenders run
 * in alternating rounds after a timed warm-up (rates() in bench.ts), each keeping its best round.
 */
import { createHash } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { writeU32LE } from '../../src/work/bytes.js';
import { MiningHasher } from '../../src/work/sha256-engine.js';
import { difficultyOfHash } from '../../src/work/target.js';
import { rates, type Bench } from './bench.js';

const bench: Bench = {
  name: 'nonce_verify',
  async run({ quick }) {
    const ms = quick ? 600 : 3000;
    const header = new Uint8Array(80).map((_, i) => (i * 97 + 13) & 0xff);
    let sink = 0;
    let nonce = 0;

    const engine = new MiningHasher();
    engine.setHeader(header);
    const batch = new Uint32Array(4);
    const h = header.slice();
    // Measured in alternation (see rates()), so the ratios compare like with like.
    const r = rates(
      {
        engine: {
          fn: (n) => {
            for (let i = 0; i < n; i += 4) {
              batch[0] = nonce;
              batch[1] = nonce + 1;
              batch[2] = nonce + 2;
              batch[3] = nonce + 3;
              nonce += 4;
              engine.hash4(batch);
              sink += engine.laneDifficulty(0) + engine.laneDifficulty(1) + engine.laneDifficulty(2) + engine.laneDifficulty(3);
            }
          },
        },
        single: {
          fn: (n) => {
            for (let i = 0; i < n; i++) sink += engine.difficulty(nonce++);
          },
        },
        scan: {
          fn: (n) => {
            sink += engine.scan(nonce, n, 0, () => sink++);
            nonce += n;
          },
        },
        noble: {
          fn: (n) => {
            for (let i = 0; i < n; i++) {
              writeU32LE(h, 76, nonce++);
              sink += difficultyOfHash(sha256(sha256(h)));
            }
          },
          batch: 2000,
        },
        node: {
          fn: (n) => {
            for (let i = 0; i < n; i++) {
              writeU32LE(h, 76, nonce++);
              const d = createHash('sha256').update(createHash('sha256').update(h).digest()).digest();
              sink += difficultyOfHash(d);
            }
          },
          batch: 2000,
        },
      },
      { ms },
    );
    const enginePerS = r.engine;
    const singlePerS = r.single;
    const scanPerS = r.scan;
    const noblePerS = r.noble;
    const nodePerS = r.node;

    if (sink === 42) console.log(''); // keep the work observable
    return {
      engine_simd: engine.usesSimd ? 'wasm-simd128' : 'scalar-fallback',
      engine_per_s: Math.round(enginePerS),
      engine_single_per_s: Math.round(singlePerS),
      engine_scan_per_s: Math.round(scanPerS),
      noble_per_s: Math.round(noblePerS),
      node_crypto_per_s: Math.round(nodePerS),
      ratio_vs_noble: Number((enginePerS / noblePerS).toFixed(2)),
      ratio_single_vs_noble: Number((singlePerS / noblePerS).toFixed(2)),
      ratio_vs_node_crypto: Number((enginePerS / nodePerS).toFixed(2)),
    };
  },
};
export default bench;
