import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bip34HeightPush, labCoinbase, loadLabBlocks } from '../../../../workshop/lab/block-data.js';
import { concatBytes, toHex } from '../../../../src/work/bytes.js';
import { merkleRoot } from '../../../../src/work/merkle.js';
import { parseTxLayout, txid } from '../../../../src/work/transaction.js';
import { merkleRootFromBranch } from '../../../../src/work/merkle.js';
import { vectorTest, VECTORS_DIR } from '../../../helpers/vectors.js';

test('BIP34 height pushes match the real coinbases', () => {
  assert.equal(toHex(bip34HeightPush(227836)), '03fc7903');
  assert.equal(toHex(bip34HeightPush(481829)), '03255a07');
  assert.equal(toHex(bip34HeightPush(881423)), '030f730d');
  assert.equal(toHex(bip34HeightPush(128)), '028000');
});

vectorTest('real lab blocks: coinbases parse, branches rebuild the real merkle roots', () => {
  const { blocks, real } = loadLabBlocks(VECTORS_DIR);
  assert.ok(real);
  assert.equal(blocks.length, 3);
  for (const b of blocks) {
    const { prefix, suffix } = labCoinbase(b, 8);
    const cb = concatBytes(prefix, new Uint8Array(8), suffix);
    const l = parseTxLayout(cb);
    assert.equal(l.inputCount, 1);
    assert.ok(l.outputCount >= 1);
    if (b.txids.length > 0) {
      // The branch for index 0 does not depend on the coinbase: rebuilding with our coinbase equals
      // the merkle root of [our coinbase, real txids…].
      const ours = txid(cb);
      assert.equal(toHex(merkleRootFromBranch(ours, b.merkleBranch)), toHex(merkleRoot([ours, ...b.txids])));
    }
  }
  const b227 = blocks.find((b) => b.height === 227836);
  assert.equal(b227?.transactions.length, 99);
});

test('without vectors the lab falls back to synthetic blocks and says so', () => {
  const { blocks, real } = loadLabBlocks(join(mkdtempSync(join(tmpdir(), 'nv-')), 'missing'));
  assert.equal(real, false);
  assert.ok(blocks.length > 0);
  const { prefix, suffix } = labCoinbase(blocks[0]!, 12);
  assert.equal(parseTxLayout(concatBytes(prefix, new Uint8Array(12), suffix)).inputCount, 1);
});
