// The mining engine against @noble/hashes double SHA-256 on random headers and nonces (property test),
// plus the midstate of a real header as ESP-Miner's BM1397 verifier printed it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, toHex, writeU32LE } from '../../../src/work/bytes.js';
import { prevHashFromStratumV1 } from '../../../src/work/byte-order.js';
import { buildHeader } from '../../../src/work/header.js';
import { bswap32, midstate, MiningHasher, difficultyOfHashWords, simdAvailable } from '../../../src/work/sha256-engine.js';
import { difficultyOfHash } from '../../../src/work/target.js';
import { readVectorJson, vectorTest } from '../../helpers/vectors.js';

const nobleD = (b: Uint8Array): Uint8Array => sha256(sha256(b));

test('engine equals @noble/hashes SHA-256d on random headers and nonces', () => {
  const engine = new MiningHasher();
  const out = new Uint8Array(32);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 80, maxLength: 80 }), fc.array(fc.nat({ max: 0xffffffff }), { minLength: 1, maxLength: 8 }), (header, nonces) => {
      engine.setHeader(header);
      const h = header.slice();
      for (const n of nonces) {
        writeU32LE(h, 76, n);
        const ref = nobleD(h);
        engine.hashBytes(n, out);
        assert.equal(toHex(out), toHex(ref));
        assert.equal(engine.topWord(n), bswap32(((ref[28] as number) << 24) | ((ref[29] as number) << 16) | ((ref[30] as number) << 8) | (ref[31] as number)));
        const d = engine.difficulty(n);
        const dr = difficultyOfHash(ref);
        assert.ok(Math.abs(d - dr) <= 1e-9 * dr, `difficulty ${d} vs ${dr}`);
      }
    }),
    { numRuns: 400 },
  );
});

test('engine handles the nonce extremes and a fixed header exhaustively over 4096 nonces', () => {
  const header = new Uint8Array(80).map((_, i) => (i * 131 + 7) & 0xff);
  const engine = new MiningHasher();
  engine.setHeader(header);
  const out = new Uint8Array(32);
  const nonces = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
  for (let i = 0; i < 4096; i++) nonces.push((i * 0x9e3779b9) >>> 0);
  for (const n of nonces) {
    writeU32LE(header, 76, n);
    engine.hashBytes(n, out);
    assert.equal(toHex(out), toHex(nobleD(header)));
  }
});

test('words and difficulty agree with the byte form', () => {
  const header = new Uint8Array(80).fill(0x5a);
  const engine = new MiningHasher();
  engine.setHeader(header);
  const w = engine.hash(12345);
  const b = new Uint8Array(32);
  engine.hashBytes(12345, b);
  assert.equal(difficultyOfHashWords(w), difficultyOfHash(b));
});

test('setHeader rejects a short header', () => {
  assert.throws(() => new MiningHasher().setHeader(new Uint8Array(70)), RangeError);
});

vectorTest('midstate of a real header equals the state ESP-Miner put in a BM1397 job', () => {
  const cap = readVectorJson<{ captures: { name: string; inputs?: Record<string, string> }[] }>('real/asic-uart-captures.json').captures;
  const c = cap.find((x) => x.name === 'bm1397-job-from-known-notify');
  assert.ok(c?.inputs);
  const i = c.inputs;
  const header = buildHeader({
    version: Number.parseInt(i.version as string, 16),
    prevHash: prevHashFromStratumV1(fromHex(i.prevhash_stratum as string)),
    merkleRoot: fromHex(i.merkle_root_internal_hex as string),
    ntime: Number.parseInt(i.ntime as string, 16),
    nbits: Number.parseInt(i.nbits as string, 16),
    nonce: 0,
  });
  const st = midstate(header);
  const be = new Uint8Array(32);
  st.forEach((word, k) => {
    be[k * 4] = word >>> 24;
    be[k * 4 + 1] = word >>> 16;
    be[k * 4 + 2] = word >>> 8;
    be[k * 4 + 3] = word;
  });
  assert.equal(toHex(be), i.midstate_sha256_state_be);
});

test('the committed generated engine matches its generator', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen-sha256-engine.ts', '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

for (const simd of [true, false]) {
  test(`four-lane batches equal the scalar path (${simd ? 'WebAssembly SIMD' : 'scalar fallback'})`, () => {
    const engine = new MiningHasher({ simd });
    if (simd) assert.equal(engine.usesSimd, simdAvailable());
    const scalar = new MiningHasher({ simd: false });
    const lane = new Uint32Array(8);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 80, maxLength: 80 }), fc.array(fc.nat({ max: 0xffffffff }), { minLength: 1, maxLength: 4 }), (header, nonces) => {
        engine.setHeader(header);
        scalar.setHeader(header);
        engine.hash4(nonces);
        nonces.forEach((n, i) => {
          assert.deepEqual(engine.laneWords(i, lane), scalar.hash(n));
          assert.equal(engine.laneDifficulty(i), scalar.difficulty(n));
        });
      }),
      { numRuns: 300 },
    );
  });

  test(`scan finds exactly the nonces whose top word meets the target (${simd ? 'SIMD' : 'scalar'})`, () => {
    const header = new Uint8Array(80).map((_, i) => (i * 29 + 3) & 0xff);
    const engine = new MiningHasher({ simd });
    const scalar = new MiningHasher({ simd: false });
    engine.setHeader(header);
    scalar.setHeader(header);
    // A target top word that admits about 1 in 64 nonces; the range wraps past 2^32 and is not a multiple of 4.
    const top = 0x03ffffff;
    const start = 0xffffff00;
    const count = 2051;
    const found: number[] = [];
    assert.equal(
      engine.scan(start, count, top, (n) => found.push(n)),
      count,
    );
    const expected: number[] = [];
    for (let i = 0; i < count; i++) {
      const n = (start + i) >>> 0;
      if (scalar.topWord(n) <= top) expected.push(n);
    }
    assert.ok(expected.length > 10);
    assert.deepEqual(found, expected);
  });
}

test('merkle nodes on the generated 64-byte SHA-256d equal @noble/hashes', async () => {
  const { merkleNode, merkleRootFromBranch } = await import('../../../src/work/merkle.js');
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (l, r) => {
      const both = new Uint8Array(64);
      both.set(l, 0);
      both.set(r, 32);
      assert.equal(toHex(merkleNode(l, r)), toHex(nobleD(both)));
      // A one-step branch folds the same way on either side.
      assert.equal(toHex(merkleRootFromBranch(l, [r], 0)), toHex(nobleD(both)));
      const swapped = new Uint8Array(64);
      swapped.set(r, 0);
      swapped.set(l, 32);
      assert.equal(toHex(merkleRootFromBranch(l, [r], 1)), toHex(nobleD(swapped)));
    }),
    { numRuns: 500 },
  );
});
