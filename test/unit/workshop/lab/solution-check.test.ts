// The lab Template Provider's SubmitSolution check: real block 227836 rebuilt from its template parts
// (the node's view: its 99 transactions) and the miner's coinbase + header fields gives the real hash
// and the real block bytes; tampering with any part is caught with Bitcoin Core's reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, readU32LE, toHex } from '../../../../src/work/bytes.js';
import { parseHeader } from '../../../../src/work/header.js';
import { readCompactSize, txLengthAt, txid, wtxid } from '../../../../src/work/transaction.js';
import { outputsValue } from '../../../../src/work/tx-outputs.js';
import { checkSolution, parseCoinbase, type SolutionTemplate } from '../../../../workshop/lab/solution-check.js';
import { buildLabTemplate, templateBlocks } from '../../../../workshop/lab/template-data.js';
import { loadLabBlocks } from '../../../../workshop/lab/block-data.js';
import { assembleCoinbase, buildCoinbaseParts, declaredOutputs, witnessReservedFor } from '../../../../src/upstream/jd/jd-coinbase.js';
import { JobSearch } from '../../../../workshop/cpu-miner/job-search.js';
import { DeclaredCoinbaseError, parseDeclaredCoinbase } from '../../../../workshop/lab/declared-coinbase.js';
import type { Job } from '../../../../src/upstream/job.js';
import { nbitsToTarget } from '../../../../src/work/target.js';
import { readVectorText, vectorTest } from '../../../helpers/vectors.js';
import { testIssuer } from '../../../helpers/job-issuer.js';

function splitBlock(raw: Uint8Array): { header: Uint8Array; txs: Uint8Array[] } {
  const n = readCompactSize(raw, 80);
  let o = 80 + n.size;
  const txs: Uint8Array[] = [];
  for (let i = 0; i < n.value; i++) {
    const len = txLengthAt(raw, o);
    txs.push(raw.slice(o, o + len));
    o += len;
  }
  return { header: raw.slice(0, 80), txs };
}

vectorTest('block 227836: SubmitSolution with the real coinbase rebuilds the real block', () => {
  const raw = fromHex(readVectorText('real/block-227836.raw.hex').trim());
  const { header, txs } = splitBlock(raw);
  const cb = txs[0] as Uint8Array;
  const rest = txs.slice(1);
  const p = parseCoinbase(cb);
  const h = parseHeader(header);
  const t: SolutionTemplate = {
    version: h.version,
    coinbaseTxVersion: p.version,
    coinbasePrefix: p.scriptSig.slice(0, 4),
    sequence: p.sequence,
    locktime: p.locktime,
    valueRemaining: outputsValue(p.outputs),
    outputs: [],
    txids: rest.map((x) => txid(x)),
    wtxids: rest.map((x) => wtxid(x)),
    transactions: rest,
  };
  assert.equal(toHex(t.coinbasePrefix), '03fc7903');
  const sol = { version: h.version, headerTimestamp: h.ntime, headerNonce: h.nonce, coinbaseTx: cb };
  const v = checkSolution(t, { prevHash: h.prevHash, nbits: h.nbits }, sol);
  assert.ok(v.ok, v.ok ? '' : v.reason);
  if (!v.ok) return;
  assert.equal(toHex(v.hash.slice().reverse()), '00000000000000d0dfd4c9d588d325dce4f32c1b31b7c0064cba7025a9b9adcc');
  assert.equal(toHex(v.block), toHex(raw));

  const reason = (over: Partial<typeof sol>, tt: Partial<SolutionTemplate> = {}): string => {
    const r = checkSolution({ ...t, ...tt }, { prevHash: h.prevHash, nbits: h.nbits }, { ...sol, ...over });
    return r.ok ? 'ok' : (r.reason.split(':')[0] as string);
  };
  assert.equal(reason({ headerNonce: h.nonce + 1 }), 'high-hash');
  assert.equal(reason({}, { transactions: rest.slice(1), txids: t.txids.slice(1), wtxids: t.wtxids.slice(1) }), 'high-hash');
  assert.equal(reason({}, { valueRemaining: t.valueRemaining - 1n }), 'bad-cb-amount');
  assert.equal(reason({}, { coinbasePrefix: fromHex('03fd7903') }), 'bad-cb-height');
  assert.equal(reason({}, { locktime: 1 }), 'bad-cb-locktime');
  assert.equal(reason({ coinbaseTx: rest[0] as Uint8Array }), 'bad-cb');
  assert.equal(reason({ coinbaseTx: cb.subarray(0, cb.length - 1) }), 'bad-cb');
  assert.equal(reason({}, { outputs: [{ value: 0n, scriptPubKey: Uint8Array.of(0x51) }] }), 'bad-cb-outputs');
});

test('a segwit template: our coinbase with the witness commitment passes; a wrong reserved value does not', () => {
  // Synthetic transactions (half with witnesses) so that wtxids differ from txids.
  const src = templateBlocks(loadLabBlocks('/nonexistent-vectors'))[0];
  assert.ok(src && src.transactions.length > 0);
  const tpl = buildLabTemplate(1n, src, src.transactions.length, 900_123);
  assert.ok(tpl.wtxids.some((w, i) => toHex(w) !== toHex(tpl.txids[i] as Uint8Array)));
  const outputs = declaredOutputs(tpl.valueRemaining, [{ value: 0n, scriptPubKey: Uint8Array.of(0x51) }], tpl.outputs);
  const parts = buildCoinbaseParts(
    {
      version: tpl.coinbaseTxVersion,
      scriptSigPrefix: tpl.coinbasePrefix,
      sequence: tpl.sequence,
      outputs,
      locktime: tpl.locktime,
      witnessReservedValue: witnessReservedFor(tpl.outputs),
    },
    8,
  );
  const nbits = 0x207fffff; // regtest's target: half of all hashes meet it
  const job: Job = {
    id: '1',
    source: { poolId: 'lab', protocol: 'jd' },
    upstream: testIssuer('lab'),
    prevHash: new Uint8Array(32).fill(1),
    version: tpl.version,
    versionMask: 0,
    nbits,
    ntime: 1_750_000_000,
    ntimeRolling: false,
    target: nbitsToTarget(nbits),
    clean: true,
    receivedAt: 0,
    work: { kind: 'coinbase', coinbasePrefix: parts.txPrefix, coinbaseSuffix: parts.txSuffix, extranonceSize: 8, merkleBranch: tpl.merklePath },
  };
  const en = new Uint8Array(8).fill(3);
  const [share] = new JobSearch(job, { extranonce: en, ntime: job.ntime, versionBits: 0 }).scan(0, 64, 0);
  assert.ok(share);
  const t: SolutionTemplate = { ...tpl };
  const head = { prevHash: job.prevHash, nbits };
  const sol = { version: share.version, headerTimestamp: share.ntime, headerNonce: share.nonce, coinbaseTx: assembleCoinbase(parts, en) };
  const v = checkSolution(t, head, sol);
  assert.ok(v.ok, v.ok ? '' : v.reason);
  const badReserved = buildCoinbaseParts({ ...parts.spec, witnessReservedValue: new Uint8Array(32).fill(1) }, 8);
  const r = checkSolution(t, head, { ...sol, coinbaseTx: assembleCoinbase(badReserved, en) });
  assert.equal(r.ok ? 'ok' : r.reason.split(':')[0], 'bad-witness-merkle-match');
  const legacy = buildCoinbaseParts({ ...parts.spec, witnessReservedValue: null }, 8);
  const r2 = checkSolution(t, head, { ...sol, coinbaseTx: assembleCoinbase(legacy, en) });
  assert.equal(r2.ok ? 'ok' : r2.reason.split(':')[0], 'bad-witness-nonce-size');
  assert.equal(readU32LE(v.ok ? v.header : new Uint8Array(80), 72), nbits);
});

test('declared coinbase parser: random prefixes and suffixes give a coinbase or a DeclaredCoinbaseError (50 000 cases)', () => {
  const realish = concatBytes(Uint8Array.of(2, 0, 0, 0, 0, 1, 1), new Uint8Array(32), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 12, 3, 1, 2, 3));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 120 }), fc.boolean(), (p, s, useReal) => {
      try {
        const d = parseDeclaredCoinbase(useReal ? concatBytes(realish, p.subarray(0, 4)) : p, s);
        assert.ok(d.fullExtranonceSize >= 0 && d.fullExtranonceSize <= 32);
      } catch (err) {
        assert.ok(err instanceof DeclaredCoinbaseError, String(err));
      }
    }),
    { numRuns: 50_000 },
  );
});
