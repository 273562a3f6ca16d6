// Real shares: the four Stratum V1 shares in stratum-v1-shares.json reproduce their stated
// difficulties (29588.01, 683.51, 7.886, 18.04), and the two SRI known-answer shares in
// sv2_known_answers.json their hashes (standard channel: header only; extended: coinbase + extranonce).
import assert from 'node:assert/strict';
import { fromHex, parseU32Hex, toHex } from '../../../src/work/bytes.js';
import { prevHashFromStratumV1, reverseBytes } from '../../../src/work/byte-order.js';
import { assembleSv1Coinbase, assembleSv2Coinbase, coinbaseTemplate, coinbaseTxid, merkleRootForExtranonce } from '../../../src/work/coinbase.js';
import { buildHeader, headerHash } from '../../../src/work/header.js';
import { merkleRootFromBranch } from '../../../src/work/merkle.js';
import { MiningHasher } from '../../../src/work/sha256-engine.js';
import { bigIntToU256Le, difficultyOfHash, hashMeetsTarget, u256LeToBigInt, difficultyToTarget, hashToBigInt } from '../../../src/work/target.js';
import { applyVersionBits, BIP320_MASK } from '../../../src/work/version-rolling.js';
import { readVectorJson, vectorTest } from '../../helpers/vectors.js';

interface V1Share {
  name: string;
  mining_notify_params: [string, string, string, string, string[], string, string, string, boolean];
  extranonce1: string;
  extranonce2_size: number;
  submit: { extranonce2: string; ntime: string; nonce: string; version_bits: string | null };
  expected: {
    coinbase_hex: string;
    merkle_root_internal_hex: string;
    header_hex: string;
    hash: string;
    share_difficulty: number;
    pool_difficulty: number | null;
  };
}

const close = (a: number, b: number, rel = 1e-4): boolean => Math.abs(a - b) <= rel * Math.abs(b);

vectorTest('four real Stratum V1 shares reproduce their difficulties', () => {
  const file = readVectorJson<{
    shares: V1Share[];
    header_only: {
      name: string;
      version: string;
      prevhash_stratum: string;
      merkle_root_internal_hex: string;
      ntime: string;
      nbits: string;
      nonce: string;
      expected_header_hex: string;
      expected_hash: string;
      share_difficulty: number;
    }[];
  }>('real/stratum-v1-shares.json');
  const expected = [29588.01, 683.51, 7.886, 18.04];
  const got: number[] = [];
  const engine = new MiningHasher();
  for (const s of file.shares) {
    const [, prevhash, coinb1, coinb2, branch, version, nbits] = s.mining_notify_params;
    const cb = assembleSv1Coinbase(fromHex(coinb1), fromHex(s.extranonce1), fromHex(s.submit.extranonce2), fromHex(coinb2));
    assert.equal(toHex(cb), s.expected.coinbase_hex, s.name);
    const root = merkleRootFromBranch(coinbaseTxid(cb), branch.map(fromHex));
    assert.equal(toHex(root), s.expected.merkle_root_internal_hex, s.name);
    const v = s.submit.version_bits ? applyVersionBits(parseU32Hex(version), parseU32Hex(s.submit.version_bits), BIP320_MASK) : parseU32Hex(version);
    const header = buildHeader({
      version: v,
      prevHash: prevHashFromStratumV1(fromHex(prevhash)),
      merkleRoot: root,
      ntime: parseU32Hex(s.submit.ntime),
      nbits: parseU32Hex(nbits),
      nonce: parseU32Hex(s.submit.nonce),
    });
    assert.equal(toHex(header), s.expected.header_hex, s.name);
    const hash = headerHash(header);
    assert.equal(toHex(reverseBytes(hash)), s.expected.hash, s.name);
    engine.setHeader(header);
    const d = engine.difficulty(parseU32Hex(s.submit.nonce));
    assert.ok(close(d, difficultyOfHash(hash), 1e-9), `${s.name}: engine and general difficulty agree`);
    assert.ok(close(d, s.expected.share_difficulty), `${s.name}: ${d} vs ${s.expected.share_difficulty}`);
    if (typeof s.expected.pool_difficulty === 'number') {
      assert.ok(hashToBigInt(hash) <= difficultyToTarget(s.expected.pool_difficulty), `${s.name} meets pool difficulty`);
    }
    got.push(d);
  }
  for (const h of file.header_only) {
    const header = buildHeader({
      version: parseU32Hex(h.version),
      prevHash: prevHashFromStratumV1(fromHex(h.prevhash_stratum)),
      merkleRoot: fromHex(h.merkle_root_internal_hex),
      ntime: parseU32Hex(h.ntime),
      nbits: parseU32Hex(h.nbits),
      nonce: parseU32Hex(h.nonce),
    });
    assert.equal(toHex(header), h.expected_header_hex);
    assert.equal(toHex(reverseBytes(headerHash(header))), h.expected_hash);
    engine.setHeader(header);
    got.push(engine.difficulty(parseU32Hex(h.nonce)));
  }
  assert.equal(got.length, 4);
  got.forEach((d, i) => assert.ok(Math.abs(d - (expected[i] as number)) < 0.01, `share ${i}: ${d} vs ${expected[i]}`));
});

interface Sv2Answers {
  standard_channel_share: {
    new_mining_job: { version: number; merkle_root_u256_wire: string };
    set_new_prev_hash: { prev_hash_u256_wire: string; nbits: number; min_ntime: number };
    channel_target_u256_wire_le: string;
    share: { nonce: number; ntime: number; version: number };
    header_80: string;
    sha256d_raw: string;
    block_hash_display: string;
  };
  extended_channel_share: {
    coinbase_tx_prefix_as_in_test: string;
    coinbase_tx_suffix_as_in_test: string;
    coinbase_tx_prefix_stripped: string;
    coinbase_tx_suffix_stripped: string;
    extranonce_prefix: string;
    extranonce_size: number;
    extranonce: string;
    merkle_path: string[];
    coinbase_txid_raw: string;
    merkle_root_u256_wire: string;
    prev_hash_u256_wire: string;
    nbits: number;
    share: { nonce: number; ntime: number; version: number };
    header_80: string;
    block_hash_display: string;
  };
}

vectorTest('SV2 known-answer shares: standard channel (header only)', () => {
  const k = readVectorJson<Sv2Answers>('sv2/sv2_known_answers.json').standard_channel_share;
  const header = buildHeader({
    version: k.share.version,
    prevHash: fromHex(k.set_new_prev_hash.prev_hash_u256_wire),
    merkleRoot: fromHex(k.new_mining_job.merkle_root_u256_wire),
    ntime: k.share.ntime,
    nbits: k.set_new_prev_hash.nbits,
    nonce: k.share.nonce,
  });
  assert.equal(toHex(header), k.header_80);
  const hash = headerHash(header);
  assert.equal(toHex(hash), k.sha256d_raw);
  assert.equal(toHex(reverseBytes(hash)), k.block_hash_display);
  const target = fromHex(k.channel_target_u256_wire_le);
  assert.ok(hashMeetsTarget(hash, target));
  assert.ok(hashToBigInt(hash) <= u256LeToBigInt(target));
  assert.deepEqual(bigIntToU256Le(u256LeToBigInt(target)), target);
});

vectorTest('SV2 known-answer shares: extended channel (coinbase with BIP141 fields stripped)', () => {
  const k = readVectorJson<Sv2Answers>('sv2/sv2_known_answers.json').extended_channel_share;
  const prefix = fromHex(k.coinbase_tx_prefix_as_in_test);
  const suffix = fromHex(k.coinbase_tx_suffix_as_in_test);
  const ep = fromHex(k.extranonce_prefix);
  const en = fromHex(k.extranonce);
  assert.equal(ep.length + en.length, 24 + 8);
  // Whole-transaction path.
  const cb = assembleSv2Coinbase(prefix, ep, en, suffix);
  assert.equal(toHex(coinbaseTxid(cb)), k.coinbase_txid_raw);
  // Template path (what the scheduler uses when rolling the extranonce).
  const t = coinbaseTemplate(new Uint8Array([...prefix, ...ep]), k.extranonce_size, suffix);
  assert.equal(toHex(t.prefix), k.coinbase_tx_prefix_stripped + k.extranonce_prefix);
  assert.equal(toHex(t.suffix), k.coinbase_tx_suffix_stripped);
  const root = merkleRootForExtranonce(t, en, k.merkle_path.map(fromHex));
  assert.equal(toHex(root), k.merkle_root_u256_wire);
  const header = buildHeader({
    version: k.share.version,
    prevHash: fromHex(k.prev_hash_u256_wire),
    merkleRoot: root,
    ntime: k.share.ntime,
    nbits: k.nbits,
    nonce: k.share.nonce,
  });
  assert.equal(toHex(header), k.header_80);
  assert.equal(toHex(reverseBytes(headerHash(header))), k.block_hash_display);
});
