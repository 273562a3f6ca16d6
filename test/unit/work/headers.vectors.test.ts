// Every real mainnet header in the shared vectors (15 + 436) hashes to its block hash and meets its
// nbits target, through both the general path (@noble SHA-256d) and the mining engine from a midstate.
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/work/bytes.js';
import { reverseBytes } from '../../../src/work/byte-order.js';
import { blockHashDisplay, parseHeader, buildHeader } from '../../../src/work/header.js';
import { MiningHasher } from '../../../src/work/sha256-engine.js';
import { nbitsToTarget, hashToBigInt, targetToNbits, bigIntToU256Le, hashMeetsTarget } from '../../../src/work/target.js';
import { readVectorJson, vectorTest } from '../../helpers/vectors.js';

interface HeaderVector {
  height: number;
  header_hex: string;
  block_hash: string;
  nbits: string;
  network_target: string;
}

function allHeaders(): HeaderVector[] {
  const a = readVectorJson<{ headers: HeaderVector[] }>('real/mainnet-headers.json').headers;
  const b = readVectorJson<{ headers: HeaderVector[] }>('real/bitcoinj-checkpoint-headers.json').headers;
  return [...a, ...b];
}

vectorTest('451 mainnet headers hash to their block hash and meet their nbits target', () => {
  const headers = allHeaders();
  assert.equal(headers.length, 451);
  const engine = new MiningHasher();
  const out = new Uint8Array(32);
  const lane = new Uint32Array(8);
  for (const v of headers) {
    const h = fromHex(v.header_hex);
    assert.equal(toHex(blockHashDisplay(h)), v.block_hash, `height ${v.height}`);
    const f = parseHeader(h);
    assert.deepEqual(buildHeader(f), h, `header round trip at ${v.height}`);
    engine.setHeader(h);
    engine.hashBytes(f.nonce, out);
    assert.equal(toHex(reverseBytes(out)), v.block_hash, `engine at height ${v.height}`);
    const target = nbitsToTarget(f.nbits);
    assert.equal(target.toString(16).padStart(64, '0'), v.network_target, `target at ${v.height}`);
    assert.ok(hashToBigInt(out) <= target, `proof of work at ${v.height}`);
    assert.ok(hashMeetsTarget(out, bigIntToU256Le(target)));
    assert.ok(engine.topWord(f.nonce) <= Number(target >> 224n), `early-reject word at ${v.height}`);
    // The four-lane batch path gives the same hash in every lane.
    engine.hash4([f.nonce ^ 1, f.nonce, f.nonce ^ 2, f.nonce]);
    assert.deepEqual(engine.laneWords(1, lane), engine.laneWords(3, new Uint32Array(8)));
    assert.equal(engine.laneDifficulty(1), engine.difficulty(f.nonce), `batch lane at ${v.height}`);
    assert.equal(targetToNbits(target), f.nbits, `nbits round trip at ${v.height}`);
  }
});
