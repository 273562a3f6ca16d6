// The lab JDS core without sockets: tokens, declarations with missing transactions, censorship in
// both modes, and the checks the pool asks it to make on SetCustomMiningJob.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../../src/clock.js';
import { logger } from '../../../../src/log.js';
import { toHex } from '../../../../src/work/bytes.js';
import { merkleBranch } from '../../../../src/work/merkle.js';
import { wtxid } from '../../../../src/work/transaction.js';
import { parseOutputList } from '../../../../src/work/tx-outputs.js';
import { loadLabBlocks } from '../../../../workshop/lab/block-data.js';
import { buildLabTemplate, templateBlocks, type LabTemplate } from '../../../../workshop/lab/template-data.js';
import { JobDeclaratorCore } from '../../../../workshop/lab/jds-core.js';
import { labPayoutScript } from '../../../../workshop/lab/jds.js';
import { buildCoinbaseParts, declaredOutputs, witnessReservedFor, type CoinbaseParts } from '../../../../src/upstream/jd/jd-coinbase.js';
import type { Sv2MessageOf } from '../../../../src/upstream/sv2/messages/registry.js';

const blocks = templateBlocks(loadLabBlocks());
const src = blocks[0];
if (!src) throw new Error('no template block');
const tpl = buildLabTemplate(1n, src, src.transactions.length);
const clock = new ManualClock(0, 1_750_000_000);
const CH = { extranoncePrefix: new Uint8Array(8).fill(1), extranonceSize: 8 };

function core(o: { known?: number; censor?: Uint8Array[] } = {}): JobDeclaratorCore {
  return new JobDeclaratorCore({
    clock,
    log: logger('test'),
    payoutScript: labPayoutScript(),
    blocks,
    mempoolKnown: o.known ?? 0.5,
    ...(o.censor ? { censorTxids: o.censor } : {}),
  });
}

function partsFor(_c: JobDeclaratorCore, t: LabTemplate, token: { coinbaseOutputs: Uint8Array }): CoinbaseParts {
  const outputs = declaredOutputs(t.valueRemaining, parseOutputList(token.coinbaseOutputs), t.outputs);
  return buildCoinbaseParts(
    {
      version: t.coinbaseTxVersion,
      scriptSigPrefix: t.coinbasePrefix,
      sequence: t.sequence,
      outputs,
      locktime: t.locktime,
      witnessReservedValue: witnessReservedFor(t.outputs),
    },
    CH.extranoncePrefix.length + CH.extranonceSize,
  );
}

function declareMsg(token: Uint8Array, parts: CoinbaseParts, t: LabTemplate, requestId = 1): Sv2MessageOf<'DeclareMiningJob'> {
  return {
    type: 'DeclareMiningJob',
    requestId,
    miningJobToken: token,
    version: t.version,
    coinbaseTxPrefix: parts.declarePrefix,
    coinbaseTxSuffix: parts.declareSuffix,
    wtxidList: t.wtxids,
    excessData: new Uint8Array(0),
  };
}

function customMsg(
  token: Uint8Array,
  parts: CoinbaseParts,
  t: LabTemplate,
  over: Partial<Sv2MessageOf<'SetCustomMiningJob'>> = {},
): Sv2MessageOf<'SetCustomMiningJob'> {
  return {
    type: 'SetCustomMiningJob',
    channelId: 1,
    requestId: 2,
    miningJobToken: token,
    version: t.version,
    prevHash: new Uint8Array(32),
    minNtime: clock.wallSeconds(),
    nbits: 0x1a02816e,
    coinbaseTxVersion: t.coinbaseTxVersion,
    coinbasePrefix: t.coinbasePrefix,
    coinbaseTxInputNSequence: t.sequence,
    coinbaseTxOutputs: parts.outputList,
    coinbaseTxLocktime: t.locktime,
    merklePath: t.merklePath,
    ...over,
  };
}

test('full-template: missing transactions are asked for, checked against their wtxids, then the job is declared', () => {
  const c = core();
  const tok = c.allocate(7, true);
  assert.equal(toHex(parseOutputList(tok.coinbaseOutputs)[0]?.scriptPubKey as Uint8Array), toHex(labPayoutScript()));
  const parts = partsFor(c, tpl, tok);
  const r = c.declare(7, declareMsg(tok.token, parts, tpl));
  assert.equal(r.kind, 'missing');
  if (r.kind !== 'missing') return;
  assert.ok(r.positions.length > 0 && r.positions.length < tpl.transactions.length);
  // A wrong transaction in the answer is refused.
  const wrong = c.provideMissing(7, {
    type: 'ProvideMissingTransactionsSuccess',
    requestId: 1,
    transactionList: r.positions.map(() => tpl.transactions[0] as Uint8Array),
  });
  assert.equal(
    wrong?.kind === 'error' ? wrong.code : wrong?.kind,
    r.positions.some((p) => toHex(wtxid(tpl.transactions[0] as Uint8Array)) !== toHex(tpl.wtxids[p] as Uint8Array)) ? 'invalid-job' : 'success',
  );

  const c2 = core();
  const tok2 = c2.allocate(7, true);
  const parts2 = partsFor(c2, tpl, tok2);
  const r2 = c2.declare(7, declareMsg(tok2.token, parts2, tpl, 5));
  assert.equal(r2.kind, 'missing');
  if (r2.kind !== 'missing') return;
  const ok = c2.provideMissing(7, {
    type: 'ProvideMissingTransactionsSuccess',
    requestId: 5,
    transactionList: r2.positions.map((p) => tpl.transactions[p] as Uint8Array),
  });
  assert.equal(ok?.kind, 'success');
  if (ok?.kind !== 'success') return;
  assert.equal(c2.mempoolSize, tpl.transactions.length);
  // The declared token works once on the pool, with the declared contents only.
  assert.deepEqual(c2.checkCustomJob(customMsg(ok.newToken, parts2, tpl, { merklePath: tpl.merklePath.slice(1) }), CH, clock.wallSeconds()), {
    ok: false,
    code: 'invalid-merkle-path',
    detail: 'not the merkle path of the declared transactions',
  });
  assert.equal(
    (c2.checkCustomJob(customMsg(ok.newToken, parts2, tpl, { version: tpl.version | 0x2000 }), CH, clock.wallSeconds()) as { code: string }).code,
    'invalid-version',
  );
  assert.equal(
    (c2.checkCustomJob(customMsg(ok.newToken, parts2, tpl), { ...CH, extranonceSize: 4 }, clock.wallSeconds()) as { code: string }).code,
    'invalid-coinbase-prefix',
  );
  assert.deepEqual(c2.checkCustomJob(customMsg(ok.newToken, parts2, tpl), CH, clock.wallSeconds()), { ok: true, declared: true });
  assert.equal((c2.checkCustomJob(customMsg(ok.newToken, parts2, tpl), CH, clock.wallSeconds()) as { code: string }).code, 'invalid-mining-job-token');
  // An undeclared full-template token cannot skip the declaration.
  const tok3 = c2.allocate(7, true);
  assert.equal(
    (c2.checkCustomJob(customMsg(tok3.token, partsFor(c2, tpl, tok3), tpl), CH, clock.wallSeconds()) as { code: string }).code,
    'job-not-yet-validated',
  );
});

test('full-template: bad tokens and coinbases that do not pay the pool are refused', () => {
  const c = core({ known: 1 });
  const tok = c.allocate(1, true);
  const parts = partsFor(c, tpl, tok);
  assert.deepEqual(c.declare(2, declareMsg(tok.token, parts, tpl)).kind, 'error'); // another connection's token
  const coinbaseOnly = c.allocate(1, false);
  assert.equal((c.declare(1, declareMsg(coinbaseOnly.token, parts, tpl)) as { code: string }).code, 'invalid-mining-job-token');
  const noPool = buildCoinbaseParts(
    { ...parts.spec, outputs: declaredOutputs(tpl.valueRemaining, [{ value: 0n, scriptPubKey: Uint8Array.of(0x51) }], tpl.outputs) },
    16,
  );
  const r = c.declare(1, declareMsg(tok.token, noPool, tpl));
  assert.equal(r.kind === 'error' ? `${r.code}: ${r.details}` : r.kind, 'invalid-coinbase-tx: the pool payout output is missing');
  // The refused declaration used the token up.
  assert.equal((c.declare(1, declareMsg(tok.token, parts, tpl)) as { code: string }).code, 'invalid-mining-job-token');
  const tok2 = c.allocate(1, true);
  const r2 = c.declare(1, { ...declareMsg(tok2.token, parts, tpl), coinbaseTxPrefix: parts.declarePrefix.subarray(0, 20) });
  assert.equal(r2.kind === 'error' ? r2.code : r2.kind, 'invalid-coinbase-tx');
  assert.equal(c.declare(1, declareMsg(c.allocate(1, true).token, parts, tpl)).kind, 'success');
});

test('censorship: a declared template with the transaction is refused; in coinbase-only mode its merkle path gives it away', () => {
  const victim = tpl.txids[3] as Uint8Array;
  const c = core({ known: 1, censor: [victim] });
  const tok = c.allocate(1, true);
  const parts = partsFor(c, tpl, tok);
  const r = c.declare(1, declareMsg(tok.token, parts, tpl));
  assert.equal(r.kind, 'error');
  if (r.kind !== 'error') return;
  assert.equal(r.code, 'invalid-job');
  assert.match(r.details, new RegExp(toHex(victim.slice().reverse())));
  // Coinbase-only: the pool never sees the transactions, but recognises a template of known ones.
  const cb = c.allocate(1, false);
  const v = c.checkCustomJob(customMsg(cb.token, partsFor(c, tpl, cb), tpl), CH, clock.wallSeconds());
  assert.equal(v.ok ? 'ok' : v.code, 'invalid-job');
  // A template without it (the first three transactions) passes.
  const small = buildLabTemplate(2n, src, 3);
  const cb2 = c.allocate(1, false);
  assert.deepEqual(c.checkCustomJob(customMsg(cb2.token, partsFor(c, small, cb2), small), CH, clock.wallSeconds()), { ok: true, declared: false });
  assert.equal(c.counters.censored, 2);
  assert.equal(toHex(merkleBranch([new Uint8Array(32), ...small.txids], 0)[0] as Uint8Array), toHex(small.txids[0] as Uint8Array));
});

test('coinbase-only custom jobs: outputs, version, nbits, min_ntime and scriptSig size are checked', () => {
  const c = core();
  const code = (over: Partial<Sv2MessageOf<'SetCustomMiningJob'>>, ch = CH): string => {
    const t = c.allocate(1, false);
    const v = c.checkCustomJob(customMsg(t.token, partsFor(c, tpl, t), tpl, over), ch, clock.wallSeconds());
    return v.ok ? 'ok' : v.code;
  };
  assert.equal(code({}), 'ok');
  assert.equal(code({ coinbaseTxOutputs: Uint8Array.of(1, 0) }), 'invalid-coinbase-tx-outputs');
  assert.equal(code({ coinbaseTxOutputs: Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x51) }), 'invalid-coinbase-tx-outputs');
  assert.equal(code({ version: 1 }), 'invalid-version');
  assert.equal(code({ nbits: 0x01800000 + 1 }), 'invalid-nbits');
  assert.equal(code({ minNtime: clock.wallSeconds() + 7201 }), 'invalid-min-ntime');
  assert.equal(code({ coinbasePrefix: new Uint8Array(90) }), 'invalid-coinbase-prefix');
  assert.equal(code({ miningJobToken: Uint8Array.of(1, 2, 3) }), 'invalid-mining-job-token');
  assert.deepEqual(c.counters.customJobsRefused['invalid-version'], 1);
});

test('with a node of its own the JDS refuses a declaration for another height and the pool a custom job on another tip: stale-chain-tip; a lagging node catches up', async () => {
  const { LaggingNode } = await import('../../../../workshop/lab/lab-node.js');
  const clk = new ManualClock(0, 1_750_000_000);
  const node = new LaggingNode({ clock: clk, lagMs: 2000 });
  const prevA = new Uint8Array(32).fill(0xa);
  const prevB = new Uint8Array(32).fill(0xb);
  node.observe({ prevHash: prevA, height: tpl.height }, true);
  const c = new JobDeclaratorCore({ clock: clk, log: logger('test'), payoutScript: labPayoutScript(), blocks, mempoolKnown: 1, node });
  // The miner's node moved on to the next block; the pool's node hears of it 2 s later.
  const next = buildLabTemplate(2n, src, src.transactions.length, tpl.height + 1);
  node.observe({ prevHash: prevB, height: tpl.height + 1 });
  const tok = c.allocate(1, true);
  const early = c.declare(1, declareMsg(tok.token, partsFor(c, next, tok), next));
  assert.equal(early.kind, 'error');
  if (early.kind === 'error') {
    assert.equal(early.code, 'stale-chain-tip');
    assert.match(early.details, new RegExp(`height ${tpl.height + 1}.*builds height ${tpl.height}`));
  }
  const ct = c.allocate(2, false);
  assert.deepEqual(c.checkCustomJob(customMsg(ct.token, partsFor(c, next, ct), next, { prevHash: prevB }), CH, clk.wallSeconds()), {
    ok: false,
    code: 'stale-chain-tip',
    detail: `prev_hash ${toHex(prevB.slice().reverse())} is not this pool's tip`,
  });
  clk.advance(1999);
  assert.equal(node.tip()?.height, tpl.height);
  clk.advance(1);
  assert.equal(node.tip()?.height, tpl.height + 1);
  const tok2 = c.allocate(1, true);
  assert.equal(c.declare(1, declareMsg(tok2.token, partsFor(c, next, tok2), next)).kind, 'success');
  const ct2 = c.allocate(2, false);
  assert.deepEqual(c.checkCustomJob(customMsg(ct2.token, partsFor(c, next, ct2), next, { prevHash: prevB }), CH, clk.wallSeconds()), {
    ok: true,
    declared: false,
  });
  // The old tip is now the stale one.
  const old = c.allocate(1, true);
  const late = c.declare(1, declareMsg(old.token, partsFor(c, tpl, old), tpl));
  assert.equal(late.kind === 'error' ? late.code : late.kind, 'stale-chain-tip');
  node.stop();
});
