/**
 * Nonce verification: SHA-256d of a header with a chip's nonce, then its share difficulty.
 * Our engine (midstate + precomputed schedule) against @noble/hashes and node:crypto doing the same job.
 */
import { createHash } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { writeU32LE } from '../../src/work/bytes.js';
import { MiningHasher } from '../../src/work/sha256-engine.js';
import { difficultyOfHash } from '../../src/work/target.js';
import { rate, type Bench } from './bench.js';

const bench: Bench = {
  name: 'nonce_verify',
  async run({ quick }) {
    const ms = quick ? 600 : 3000;
    const header = new Uint8Array(80).map((_, i) => (i * 97 + 13) & 0xff);
    let sink = 0;
    let nonce = 0;

    const engine = new MiningHasher();
    engine.setHeader(header);
    const enginePerS = rate((n) => {
      for (let i = 0; i < n; i++) sink += engine.difficulty(nonce++);
    }, { ms });

    const scanPerS = rate((n) => {
      for (let i = 0; i < n; i++) sink += engine.topWord(nonce++);
    }, { ms });

    const h = header.slice();
    const noblePerS = rate((n) => {
      for (let i = 0; i < n; i++) {
        writeU32LE(h, 76, nonce++);
        sink += difficultyOfHash(sha256(sha256(h)));
      }
    }, { ms, batch: 2000 });

    const nodePerS = rate((n) => {
      for (let i = 0; i < n; i++) {
        writeU32LE(h, 76, nonce++);
        const d = createHash('sha256').update(createHash('sha256').update(h).digest()).digest();
        sink += difficultyOfHash(d);
      }
    }, { ms, batch: 2000 });

    if (sink === 42) console.log(''); // keep the work observable
    return {
      engine_per_s: Math.round(enginePerS),
      engine_scan_per_s: Math.round(scanPerS),
      noble_per_s: Math.round(noblePerS),
      node_crypto_per_s: Math.round(nodePerS),
      ratio_vs_noble: Number((enginePerS / noblePerS).toFixed(2)),
      ratio_vs_node_crypto: Number((enginePerS / nodePerS).toFixed(2)),
    };
  },
};
export default bench;
