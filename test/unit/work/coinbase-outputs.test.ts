// Transaction outputs, BIP141 witness commitments and the block subsidy, against real coinbases
// (blocks 481829 and 881423 carry witness commitments) and by property.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/work/bytes.js';
import { readCompactSize, parseTxLayout, TxParseError } from '../../../src/work/transaction.js';
import { legacySigops, outputsValue, parseOutputList, parseOutputs, serializeOutputList, serializeOutputs } from '../../../src/work/tx-outputs.js';
import {
  commitmentOf,
  findWitnessCommitment,
  isWitnessCommitmentScript,
  witnessCommitment,
  witnessCommitmentScript,
  witnessMerkleRoot,
} from '../../../src/work/witness-commitment.js';
import { merkleRoot } from '../../../src/work/merkle.js';
import { sha256d } from '../../../src/work/sha256d.js';
import { blockSubsidy } from '../../../src/work/subsidy.js';
import { readVectorJson, vectorTest } from '../../helpers/vectors.js';

/** The outputs section (count included) of a transaction. */
function outputsSection(tx: Uint8Array): Uint8Array {
  const l = parseTxLayout(tx);
  let o = l.bodyStart;
  const ins = readCompactSize(tx, o);
  o += ins.size;
  for (let i = 0; i < ins.value; i++) {
    o += 36;
    const s = readCompactSize(tx, o);
    o += s.size + s.value + 4;
  }
  return tx.slice(o, l.bodyEnd);
}

vectorTest('real segwit coinbases: outputs round-trip and the witness commitment is found', () => {
  for (const f of ['real/block-481829-coinbase-txids.json', 'real/block-881423-stratum-job-version-rolled.json']) {
    const j = readVectorJson<{ coinbase_tx_with_witness_hex: string }>(f);
    const tx = fromHex(j.coinbase_tx_with_witness_hex);
    const section = outputsSection(tx);
    const outs = parseOutputList(section);
    assert.ok(outs.length >= 2, f);
    assert.equal(toHex(serializeOutputList(outs)), toHex(section), `${f}: re-serialised outputs`);
    const i = findWitnessCommitment(outs);
    assert.ok(i >= 0, `${f}: commitment output`);
    const script = outs[i]?.scriptPubKey as Uint8Array;
    assert.ok(isWitnessCommitmentScript(script));
    assert.equal(outs[i]?.value, 0n);
    assert.equal(commitmentOf(script).length, 32);
    assert.ok(outputsValue(outs) > 0n);
  }
});

test('witness commitment: BIP141 structure', () => {
  const wtxids = [sha256d(Uint8Array.of(1)), sha256d(Uint8Array.of(2)), sha256d(Uint8Array.of(3))];
  const root = witnessMerkleRoot(wtxids);
  assert.equal(toHex(root), toHex(merkleRoot([new Uint8Array(32), ...wtxids])));
  const reserved = new Uint8Array(32).fill(7);
  const c = witnessCommitment(root, reserved);
  assert.equal(toHex(c), toHex(sha256d(new Uint8Array([...root, ...reserved]))));
  const script = witnessCommitmentScript(c);
  assert.equal(toHex(script.subarray(0, 6)), '6a24aa21a9ed');
  assert.equal(script.length, 38);
  assert.equal(toHex(commitmentOf(script)), toHex(c));
  // The highest matching output is the commitment.
  const outs = [
    { value: 0n, scriptPubKey: witnessCommitmentScript(new Uint8Array(32)) },
    { value: 5n, scriptPubKey: Uint8Array.of(0x51) },
    { value: 0n, scriptPubKey: script },
  ];
  assert.equal(findWitnessCommitment(outs), 2);
  assert.equal(findWitnessCommitment([{ value: 0n, scriptPubKey: Uint8Array.of(0x6a, 0x24, 0xaa, 0x21, 0xa9) }]), -1);
  assert.throws(() => witnessCommitment(root, new Uint8Array(31)), RangeError);
});

test('legacy sigops as Core counts them', () => {
  assert.equal(legacySigops(fromHex('76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac')), 1); // P2PKH
  assert.equal(legacySigops(fromHex('0014e8df018c7e326cc253faac7e46cdc51e68542c42')), 0); // P2WPKH
  assert.equal(legacySigops(Uint8Array.of(0x52, 0x21, ...new Uint8Array(33).fill(0xac), 0x51, 0xae)), 20); // pushed 0xac bytes do not count
  assert.equal(legacySigops(Uint8Array.of(0x4c, 0x02, 0xac, 0xac, 0xad)), 1);
});

test('block subsidy: halvings and the 64-halving cut-off', () => {
  assert.equal(blockSubsidy(0), 5_000_000_000n);
  assert.equal(blockSubsidy(209_999), 5_000_000_000n);
  assert.equal(blockSubsidy(210_000), 2_500_000_000n);
  assert.equal(blockSubsidy(227_836), 2_500_000_000n);
  assert.equal(blockSubsidy(840_000), 312_500_000n);
  assert.equal(blockSubsidy(64 * 210_000), 0n);
  assert.equal(blockSubsidy(150, 150), 2_500_000_000n);
  assert.throws(() => blockSubsidy(-1), RangeError);
});

const arbOutput = fc.record({ value: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }), scriptPubKey: fc.uint8Array({ maxLength: 300 }) });

test('outputs: serialise then parse is the identity (20 000 cases)', () => {
  fc.assert(
    fc.property(fc.array(arbOutput, { maxLength: 6 }), (outs) => {
      const back = parseOutputList(serializeOutputList(outs));
      assert.equal(back.length, outs.length);
      back.forEach((o, i) => {
        assert.equal(o.value, outs[i]?.value);
        assert.equal(toHex(o.scriptPubKey), toHex(outs[i]?.scriptPubKey as Uint8Array));
      });
      assert.equal(parseOutputs(serializeOutputs(outs), outs.length).length, outs.length);
    }),
    { numRuns: 20_000 },
  );
});

test('outputs parser: random bytes give a result or a TxParseError, nothing else (50 000 cases)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(5), (b, n) => {
      for (const f of [() => parseOutputList(b), () => parseOutputs(b, n)]) {
        try {
          const outs = f();
          assert.ok(outs.every((o) => o.value >= 0n));
        } catch (err) {
          assert.ok(err instanceof TxParseError, String(err));
        }
      }
    }),
    { numRuns: 50_000 },
  );
});
