// Blocks at a tiny lab network difficulty: a block found on a declared job reaches the miner's own
// node (the lab Template Provider) through SubmitSolution with the full coinbase, and the TP's check
// (block rebuilt from its template, merkle root, witness commitment, hash against nbits) passes. The
// JDS gets PushSolution too. Solo: the block goes to the own node only, paying our script.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '../../src/work/bytes.js';
import { headerHash } from '../../src/work/header.js';
import { hashToBigInt, nbitsToTarget } from '../../src/work/target.js';
import { parseCoinbase } from '../../workshop/lab/solution-check.js';
import { labPayoutScript } from '../../workshop/lab/jds.js';
import { loadLabBlocks } from '../../workshop/lab/block-data.js';
import type { AcceptedBlock } from '../../workshop/lab/template-provider.js';
import { waitFor } from '../helpers/wait.js';
import { jdUpstream, mineInto, pairOf, ShareLedger, startJds, startTp } from '../helpers/jd-lab.js';

/** One block in ~50 shares at the lab share difficulty. */
const NETWORK_DIFFICULTY = 5e-4;

function checkAccepted(b: AcceptedBlock, payout: Uint8Array): void {
  const header = fromHex(b.header);
  const hash = headerHash(header);
  assert.equal(toHex(hash.slice().reverse()), b.hash);
  assert.ok(hashToBigInt(hash) <= nbitsToTarget(new DataView(header.buffer, header.byteOffset).getUint32(72, true)));
  const cb = parseCoinbase(fromHex(b.coinbase));
  assert.equal(toHex(cb.outputs[0]?.scriptPubKey as Uint8Array), toHex(payout), 'the coinbase pays the expected output');
  assert.equal(cb.witness.length, 1, 'full coinbase, with its witness reserved value');
  // The whole block as the node would relay it starts with that header and carries every transaction.
  assert.ok(b.block.startsWith(b.header));
  assert.ok(b.transactions >= 2);
}

for (const blocks of ['real', 'synthetic'] as const) {
  test(`a block found on a declared job reaches the own node with the full coinbase and passes its check (${blocks} transactions)`, async () => {
    const labBlocks = blocks === 'real' ? loadLabBlocks() : loadLabBlocks('/nonexistent-vectors');
    const tp = await startTp({ networkDifficulty: NETWORK_DIFFICULTY, blocks: labBlocks });
    const jds = await startJds({ blocks: labBlocks });
    const up = jdUpstream(tp, { pairs: [pairOf('lab', jds)] });
    const ledger = new ShareLedger();
    const miner = mineInto(up, ledger);
    const found: string[] = [];
    // Whether the pool had acknowledged the block's custom job when the block was found. A block on a job
    // still waiting for SetCustomMiningJob.Success moves the tip at once (the own node takes it), and the
    // pool then refuses that job's declaration as stale: its share never reaches the pool, and is counted.
    const acknowledged = new Set<string>();
    const onAcknowledged = new Map<string, boolean>();
    up.on('declared', (e) => e.jobId !== undefined && acknowledged.add(e.templateId));
    up.on('block', (b) => {
      found.push(b.hash);
      onAcknowledged.set(b.hash, acknowledged.has(b.templateId));
    });
    try {
      miner.start();
      up.start();
      await waitFor(() => tp.accepted.length >= 1, 'a block accepted by the template provider', 240_000);
    } finally {
      miner.stop();
    }
    await waitFor(() => ledger.pending === 0, 'every share answered');
    const st = up.stats();
    const js = jds.stats();
    await up.stop();
    await jds.stop();
    await tp.stop();
    const b = tp.accepted[0] as AcceptedBlock;
    checkAccepted(b, labPayoutScript());
    assert.ok(found.includes(b.hash), 'our upstream reported the block it submitted');
    assert.ok(st.jd.blocksSubmitted >= 1);
    assert.ok(js.jds.solutionsPushed >= 1, 'PushSolution reached the JDS');
    if (onAcknowledged.get(b.hash) === true) assert.ok(js.pool.blocksFound >= 1, 'the pool saw the block share on the custom job');
    else assert.ok(js.pool.blocksFound >= 1 || st.lost + st.stale + st.rejected >= 1, 'a block share the pool never saw is counted');
  });
}

test('solo: the block pays our script and goes to the own node only', async () => {
  const tp = await startTp({ networkDifficulty: NETWORK_DIFFICULTY });
  const script = Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(7));
  const up = jdUpstream(tp, { pairs: [], soloPayoutScript: script });
  const ledger = new ShareLedger();
  const miner = mineInto(up, ledger);
  try {
    miner.start();
    up.start();
    await waitFor(() => tp.accepted.length >= 1, 'a solo block accepted', 240_000);
  } finally {
    miner.stop();
  }
  await waitFor(() => ledger.pending === 0, 'every share answered');
  await up.stop();
  await tp.stop();
  checkAccepted(tp.accepted[0] as AcceptedBlock, script);
  assert.equal(tp.stats().solutionsRejected['bad-cb-amount'] ?? 0, 0);
});
