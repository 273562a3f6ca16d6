// Job declaration end to end on 127.0.0.1, in process: the lab Template Provider hands out templates
// from real block 227836, the JdUpstream builds its coinbase, mines at once, declares the template to
// the lab JDS (which asks for the transactions it lacks), sets the custom job on the lab pool, and the
// pool accepts shares on it after checking them by SHA-256.
import { failureText } from '../../src/upstream/session-failure.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait.js';
import { jdUpstream, LAB_DIFFICULTY, mineInto, pairOf, ShareLedger, startJds, startTp } from '../helpers/jd-lab.js';
import { difficultyToTarget } from '../../src/work/target.js';
import { labPayoutScript } from '../../workshop/lab/jds.js';
import { toHex } from '../../src/work/bytes.js';
import type { Job } from '../../src/upstream/job.js';
import { parseDeclaredCoinbase } from '../../workshop/lab/declared-coinbase.js';

for (const mode of ['full-template', 'coinbase-only'] as const) {
  test(`${mode}: custom jobs accepted, shares accepted on them, every share accounted for`, async () => {
    const tp = await startTp({ templateIntervalSeconds: 0.5 });
    const jds = await startJds();
    const up = jdUpstream(tp, { mode, pairs: [pairOf('lab', jds)] });
    const ledger = new ShareLedger();
    const miner = mineInto(up, ledger);
    const jobs: Job[] = [];
    up.on('job', (j) => jobs.push(j));
    try {
      miner.start();
      up.start();
      await waitFor(() => up.stats().jd.customJobsAccepted >= 2 && ledger.count('accepted') >= 10, 'two custom jobs and ten accepted shares');
    } finally {
      miner.stop();
    }
    await waitFor(() => ledger.pending === 0, 'every share answered');
    const st = up.stats();
    const pool = jds.stats();
    await up.stop();
    await jds.stop();
    await tp.stop();

    // What the pool counted is what we were told.
    assert.equal(pool.pool.accepted, ledger.count('accepted'));
    assert.equal(st.accepted, ledger.count('accepted'));
    assert.equal(st.accepted + st.rejected + st.stale + st.lost, ledger.submitted);
    assert.equal(st.rejected, 0);
    assert.ok(pool.pool.customJobsAccepted >= 2);
    assert.equal(st.jd.censorshipAlarms, 0);
    assert.equal(st.jd.mining, 'lab');
    if (mode === 'full-template') {
      assert.ok(pool.jds.declared >= 2, 'declarations');
      assert.ok(pool.jds.missingRequested > 0, 'the JDS asked for transactions it did not know');
    } else {
      assert.equal(pool.jds.declared, 0);
      assert.equal(st.jd.declared, 0);
    }
    // The job's coinbase pays the pool's payout output and commits to our template's witness data.
    const j = jobs[0] as Job;
    assert.equal(j.source.protocol, 'jd');
    assert.equal(j.target, difficultyToTarget(LAB_DIFFICULTY), 'the pool channel target');
    assert.equal(j.work.kind, 'coinbase');
    if (j.work.kind === 'coinbase') {
      const d = parseDeclaredCoinbase(j.work.coinbasePrefix.subarray(0, j.work.coinbasePrefix.length - 8), j.work.coinbaseSuffix);
      assert.equal(d.fullExtranonceSize, 8 + j.work.extranonceSize);
      assert.equal(toHex(d.outputs[0]?.scriptPubKey as Uint8Array), toHex(labPayoutScript()));
      assert.ok((d.outputs[0]?.value ?? 0n) >= 2_500_000_000n, 'the whole template value goes to the pool payout');
    }
  });
}

test('optimistic mining: shares found before SetCustomMiningJob.Success are held, then submitted', async () => {
  const tp = await startTp();
  // The pool answers the custom job only once the agent holds a share found on it: however slow the
  // machine, the shares are found before the Success (no delay to hope for).
  let held = (): number => 0;
  const jds = await startJds({ customJobGate: () => waitFor(() => held() > 0, 'a share held before the pool answers') });
  const up = jdUpstream(tp, { pairs: [pairOf('slow', jds)] });
  held = () => up.stats().jd.sharesHeldTotal;
  const ledger = new ShareLedger();
  const miner = mineInto(up, ledger);
  let heldAtAccept = -1;
  up.on('declared', () => {
    if (heldAtAccept < 0) heldAtAccept = up.stats().jd.sharesHeldTotal;
  });
  try {
    miner.start();
    up.start();
    await waitFor(
      () => up.stats().jd.customJobsAccepted >= 1 && ledger.count('accepted') > heldAtAccept,
      'the custom job accepted and its held shares answered',
    );
  } finally {
    miner.stop();
  }
  await waitFor(() => ledger.pending === 0, 'every share answered');
  const st = up.stats();
  const pool = jds.stats();
  await up.stop();
  await jds.stop();
  await tp.stop();
  assert.ok(heldAtAccept > 0, 'shares were held while the pool had not answered');
  assert.equal(st.jd.heldShares, 0);
  assert.equal(pool.pool.accepted, ledger.count('accepted'));
  assert.ok(ledger.count('accepted') >= heldAtAccept);
});

test('the template provider going away stops the work; it comes back with new templates', async () => {
  const tp = await startTp();
  const jds = await startJds();
  const up = jdUpstream(tp, { pairs: [pairOf('lab', jds)] });
  const states: string[] = [];
  up.on('state', (s, r) => states.push(`${s}${r ? `: ${failureText(r)}` : ''}`));
  try {
    up.start();
    await waitFor(() => up.currentJob() !== undefined, 'first job');
    tp.dropConnections();
    await waitFor(() => up.state === 'connecting', 'work withdrawn');
    assert.equal(up.currentJob(), undefined);
    await waitFor(() => up.state === 'ready' && up.currentJob() !== undefined, 'work again');
    assert.ok(up.stats().jd.templateProvider.templates >= 2);
    assert.ok(
      states.some((s) => s.startsWith('connecting: disconnected')),
      states.join(' | '),
    );
  } finally {
    await up.stop();
    await jds.stop();
    await tp.stop();
  }
});
