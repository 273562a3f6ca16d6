// The declared-job coinbase: real block 481829's segwit coinbase rebuilt byte for byte from its parts,
// the non-witness form giving the real txid and merkle root, the declared split read back the way a
// JDS reads it, and @scure/btc-signer's transaction decoder as an independent parser.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RawTx } from '@scure/btc-signer';
import { fromHex, toHex } from '../../../../src/work/bytes.js';
import { reverseBytes } from '../../../../src/work/byte-order.js';
import { coinbaseTemplate, merkleRootForExtranonce } from '../../../../src/work/coinbase.js';
import { sha256d } from '../../../../src/work/sha256d.js';
import { txid } from '../../../../src/work/transaction.js';
import { witnessCommitmentScript } from '../../../../src/work/witness-commitment.js';
import {
  assembleCoinbase,
  assembleCoinbaseNoWitness,
  buildCoinbaseParts,
  CoinbaseBuildError,
  declaredOutputs,
  witnessReservedFor,
} from '../../../../src/upstream/jd/jd-coinbase.js';
import { parseCoinbase } from '../../../../workshop/lab/solution-check.js';
import { parseDeclaredCoinbase } from '../../../../workshop/lab/declared-coinbase.js';
import { readVectorJson, vectorTest } from '../../../helpers/vectors.js';

interface Block481829 {
  header_hex: string;
  coinbase_tx_with_witness_hex: string;
  coinbase_tx_nonwitness_hex: string;
  coinbase_txid: string;
  merkle_branch_internal_hex: string[];
  merkle_root_internal_hex: string;
}

vectorTest('block 481829: its coinbase rebuilt from parts, byte for byte, with and without witness', () => {
  const j = readVectorJson<Block481829>('real/block-481829-coinbase-txids.json');
  const real = parseCoinbase(fromHex(j.coinbase_tx_with_witness_hex));
  // Our layout puts everything after the prefix into the full extranonce (at most 32 bytes).
  const cut = real.scriptSig.length - 32;
  const spec = {
    version: real.version,
    scriptSigPrefix: real.scriptSig.slice(0, cut),
    sequence: real.sequence,
    outputs: real.outputs,
    locktime: real.locktime,
    witnessReservedValue: real.witness[0] as Uint8Array,
  };
  const parts = buildCoinbaseParts(spec, 32);
  const extranonce = real.scriptSig.slice(cut);
  assert.equal(toHex(assembleCoinbase(parts, extranonce)), j.coinbase_tx_with_witness_hex);
  assert.equal(toHex(assembleCoinbaseNoWitness(parts, extranonce)), j.coinbase_tx_nonwitness_hex);
  assert.equal(toHex(reverseBytes(sha256d(assembleCoinbaseNoWitness(parts, extranonce)))), j.coinbase_txid);
  // As a Job: coinbase work rolled by the chains rebuilds the header's merkle root.
  const t = coinbaseTemplate(parts.txPrefix, 32, parts.txSuffix);
  assert.equal(toHex(merkleRootForExtranonce(t, extranonce, j.merkle_branch_internal_hex.map(fromHex))), j.merkle_root_internal_hex);
  // The JDS reads the declared split back: extranonce size, scriptSig prefix, outputs, witness.
  const d = parseDeclaredCoinbase(parts.declarePrefix, parts.declareSuffix);
  assert.equal(d.fullExtranonceSize, 32);
  assert.equal(toHex(d.scriptSigPrefix), toHex(spec.scriptSigPrefix));
  assert.ok(d.segwit);
  assert.equal(d.outputs.length, real.outputs.length);
  assert.equal(toHex(d.witness[0] as Uint8Array), toHex(real.witness[0] as Uint8Array));
});

test('a template coinbase: pool outputs get the value, template outputs follow; an independent decoder agrees', () => {
  const commitment = witnessCommitmentScript(new Uint8Array(32).fill(9));
  const poolPayout = fromHex('0014e8df018c7e326cc253faac7e46cdc51e68542c42');
  const extra = fromHex('6a0474657374');
  const outputs = declaredOutputs(
    312_600_000n,
    [
      { value: 0n, scriptPubKey: poolPayout },
      { value: 0n, scriptPubKey: extra },
    ],
    [{ value: 0n, scriptPubKey: commitment }],
  );
  assert.deepEqual(
    outputs.map((o) => o.value),
    [312_600_000n, 0n, 0n],
  );
  const parts = buildCoinbaseParts(
    { version: 2, scriptSigPrefix: fromHex('03a08601'), sequence: 0xffffffff, outputs, locktime: 0, witnessReservedValue: witnessReservedFor(outputs) },
    16,
  );
  const full = new Uint8Array(16).map((_, i) => i + 1);
  const cb = assembleCoinbase(parts, full);
  const tx = RawTx.decode(cb);
  assert.equal(tx.version, 2);
  assert.equal(tx.segwitFlag, true);
  assert.equal(tx.inputs.length, 1);
  assert.equal(toHex(tx.inputs[0]?.finalScriptSig as Uint8Array), `03a08601${toHex(full)}`);
  assert.equal(tx.inputs[0]?.sequence, 0xffffffff);
  assert.equal(tx.outputs.length, 3);
  assert.equal(tx.outputs[0]?.amount, 312_600_000n);
  assert.equal(toHex(tx.outputs[2]?.script as Uint8Array), toHex(commitment));
  assert.equal(tx.witnesses?.[0]?.length, 1);
  assert.equal(toHex(tx.witnesses?.[0]?.[0] as Uint8Array), '00'.repeat(32));
  // The txid ignores the witness; the job's non-witness split hashes to it.
  assert.equal(toHex(txid(cb)), toHex(sha256d(assembleCoinbaseNoWitness(parts, full))));
  assert.equal(toHex(parts.outputList), toHex(RawTx.encode({ ...tx, segwitFlag: false, witnesses: [] }).subarray(4 + 1 + 36 + 1 + 20 + 4, -4)));
});

test('a legacy coinbase when the template has no witness commitment', () => {
  const outputs = declaredOutputs(50n, [{ value: 0n, scriptPubKey: Uint8Array.of(0x51) }], []);
  assert.equal(witnessReservedFor(outputs), null);
  const parts = buildCoinbaseParts({ version: 1, scriptSigPrefix: Uint8Array.of(1, 1), sequence: 0, outputs, locktime: 7, witnessReservedValue: null }, 4);
  assert.equal(toHex(parts.declarePrefix), toHex(parts.txPrefix));
  assert.equal(toHex(parts.declareSuffix), toHex(parts.txSuffix));
  assert.equal(RawTx.decode(assembleCoinbase(parts, new Uint8Array(4))).segwitFlag, false);
});

test('coinbase limits: scriptSig 2..100 bytes, extranonce at most 32, pool outputs carry no value', () => {
  const outputs = [{ value: 1n, scriptPubKey: Uint8Array.of(0x51) }];
  const spec = { version: 1, scriptSigPrefix: new Uint8Array(8), sequence: 0, outputs, locktime: 0, witnessReservedValue: null };
  assert.throws(() => buildCoinbaseParts(spec, 33), CoinbaseBuildError);
  assert.throws(() => buildCoinbaseParts({ ...spec, scriptSigPrefix: new Uint8Array(80) }, 32), CoinbaseBuildError);
  assert.throws(() => buildCoinbaseParts({ ...spec, scriptSigPrefix: new Uint8Array(0) }, 1), CoinbaseBuildError);
  assert.throws(() => buildCoinbaseParts({ ...spec, outputs: [] }, 8), CoinbaseBuildError);
  assert.throws(() => declaredOutputs(10n, [{ value: 1n, scriptPubKey: Uint8Array.of(0x51) }], []), CoinbaseBuildError);
  assert.throws(() => declaredOutputs(10n, [], []), CoinbaseBuildError);
  const parts = buildCoinbaseParts(spec, 8);
  assert.throws(() => assembleCoinbase(parts, new Uint8Array(7)), CoinbaseBuildError);
});

test('coinbases built from random specs are read back exactly as declared (5 000 cases; 200 000 in test/slow)', () => {
  const out = fc.record({ value: fc.bigInt({ min: 0n, max: 1_000_000_000_000n }), scriptPubKey: fc.uint8Array({ maxLength: 60 }) });
  fc.assert(
    fc.property(
      fc.record({
        version: fc.nat(0xffffffff),
        scriptSigPrefix: fc.uint8Array({ minLength: 2, maxLength: 8 }),
        sequence: fc.nat(0xffffffff),
        outputs: fc.array(out, { minLength: 1, maxLength: 4 }),
        locktime: fc.nat(0xffffffff),
        witnessReservedValue: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: null }),
      }),
      fc.integer({ min: 0, max: 32 }),
      (spec, en) => {
        const parts = buildCoinbaseParts(spec, en);
        const d = parseDeclaredCoinbase(parts.declarePrefix, parts.declareSuffix);
        assert.equal(d.fullExtranonceSize, en);
        assert.equal(toHex(d.scriptSigPrefix), toHex(spec.scriptSigPrefix));
        assert.deepEqual([d.version, d.sequence, d.locktime, d.segwit], [spec.version, spec.sequence, spec.locktime, spec.witnessReservedValue !== null]);
        assert.equal(toHex(txid(assembleCoinbase(parts, new Uint8Array(en)))), toHex(sha256d(assembleCoinbaseNoWitness(parts, new Uint8Array(en)))));
      },
    ),
    { numRuns: 5_000 },
  );
});
