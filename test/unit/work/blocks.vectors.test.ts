// Real blocks rebuilt from their parts: Stratum splits of blocks 227836 and 881423 (version-rolled),
// the 2020-txid merkle root of block 481829, and every transaction of the raw block 227836.
import assert from 'node:assert/strict';
import { fromHex, parseU32Hex, toHex } from '../../../src/work/bytes.js';
import { prevHashFromStratumV1, reverseBytes } from '../../../src/work/byte-order.js';
import { assembleSv1Coinbase, coinbaseTxid } from '../../../src/work/coinbase.js';
import { buildHeader, blockHashDisplay } from '../../../src/work/header.js';
import { merkleBranch, merkleRoot, merkleRootFromBranch } from '../../../src/work/merkle.js';
import { applyVersionBits, BIP320_MASK, versionWithinMask } from '../../../src/work/version-rolling.js';
import { readCompactSize, stripWitness, txLengthAt, txid } from '../../../src/work/transaction.js';
import { readVectorJson, readVectorText, vectorTest } from '../../helpers/vectors.js';

interface StratumJob {
  block_hash: string;
  header_hex: string;
  coinbase_tx_nonwitness_hex: string;
  coinbase_tx_with_witness_hex?: string;
  coinbase_txid: string;
  merkle_branch_internal_hex: string[];
  stratum_split: { coinb1: string; extranonce1: string; extranonce2: string; coinb2: string };
  mining_notify_params: [string, string, string, string, string[], string, string, string, boolean];
  mining_submit_params: string[];
  version_rolling: { job_version: string; version_bits: string; mask: string; header_version: string } | null;
  expected: { merkle_root_internal_hex: string; block_hash: string };
}

function rebuild(file: string): void {
  const j = readVectorJson<StratumJob>(file);
  const [, prevhash, coinb1, coinb2, branch, version, nbits] = j.mining_notify_params;
  assert.equal(coinb1, j.stratum_split.coinb1);
  assert.equal(coinb2, j.stratum_split.coinb2);
  const submit = j.mining_submit_params;
  const coinbase = assembleSv1Coinbase(fromHex(coinb1), fromHex(j.stratum_split.extranonce1), fromHex(submit[2] as string), fromHex(coinb2));
  assert.equal(toHex(coinbase), j.coinbase_tx_nonwitness_hex);
  const cbTxid = coinbaseTxid(coinbase);
  assert.equal(toHex(reverseBytes(cbTxid)), j.coinbase_txid);
  if (j.coinbase_tx_with_witness_hex) {
    // The witness serialisation has the same txid.
    assert.equal(toHex(coinbaseTxid(fromHex(j.coinbase_tx_with_witness_hex))), toHex(cbTxid));
  }
  const root = merkleRootFromBranch(cbTxid, branch.map(fromHex));
  assert.equal(toHex(root), j.expected.merkle_root_internal_hex);
  let v = parseU32Hex(version);
  if (submit.length > 5) {
    const bits = parseU32Hex(submit[5] as string);
    v = applyVersionBits(v, bits, BIP320_MASK);
    assert.ok(versionWithinMask(parseU32Hex(version), v, BIP320_MASK));
    assert.equal(v, parseU32Hex((j.version_rolling as { header_version: string }).header_version));
  }
  const header = buildHeader({
    version: v,
    prevHash: prevHashFromStratumV1(fromHex(prevhash)),
    merkleRoot: root,
    ntime: parseU32Hex(submit[3] as string),
    nbits: parseU32Hex(nbits),
    nonce: parseU32Hex(submit[4] as string),
  });
  assert.equal(toHex(header), j.header_hex);
  assert.equal(toHex(blockHashDisplay(header)), j.expected.block_hash);
}

vectorTest('block 227836 rebuilds from its Stratum V1 split', () => rebuild('real/block-227836-stratum-job.json'));
vectorTest('block 881423 rebuilds from its Stratum V1 split with rolled version', () => rebuild('real/block-881423-stratum-job-version-rolled.json'));

vectorTest('block 481829: merkle root from 2020 txids, branch for the coinbase, witness stripped', () => {
  const j = readVectorJson<{
    header_hex: string;
    tx_count: number;
    txids_display: string[];
    merkle_branch_internal_hex: string[];
    merkle_root_internal_hex: string;
    coinbase_tx_with_witness_hex: string;
    coinbase_tx_nonwitness_hex: string;
    coinbase_txid: string;
  }>('real/block-481829-coinbase-txids.json');
  const txids = j.txids_display.map((h) => reverseBytes(fromHex(h)));
  assert.equal(txids.length, 2020);
  assert.equal(toHex(merkleRoot(txids)), j.merkle_root_internal_hex);
  assert.equal(toHex(fromHex(j.header_hex).subarray(36, 68)), j.merkle_root_internal_hex);
  assert.deepEqual(merkleBranch(txids, 0).map(toHex), j.merkle_branch_internal_hex);
  assert.equal(toHex(stripWitness(fromHex(j.coinbase_tx_with_witness_hex))), j.coinbase_tx_nonwitness_hex);
  assert.equal(toHex(reverseBytes(txid(fromHex(j.coinbase_tx_with_witness_hex)))), j.coinbase_txid);
  // Branches for other leaves rebuild the same root.
  for (const i of [1, 2, 1000, 2018, 2019]) {
    assert.equal(toHex(merkleRootFromBranch(txids[i] as Uint8Array, merkleBranch(txids, i), i)), j.merkle_root_internal_hex);
  }
});

vectorTest('raw block 227836: every transaction parses and the txids give the header merkle root', () => {
  const raw = fromHex(readVectorText('real/block-227836.raw.hex').trim());
  const header = raw.subarray(0, 80);
  const count = readCompactSize(raw, 80);
  let o = 80 + count.size;
  const ids: Uint8Array[] = [];
  for (let i = 0; i < count.value; i++) {
    const end = o + txLengthAt(raw, o);
    ids.push(txid(raw.subarray(o, end)));
    o = end;
  }
  assert.equal(o, raw.length);
  assert.equal(ids.length, 100);
  assert.equal(toHex(merkleRoot(ids)), toHex(header.subarray(36, 68)));
});
