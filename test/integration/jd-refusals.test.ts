// Issue 14 defect 4: Job Declaration tells censorship from everything else. Lab JDS + pool pairs on
// 127.0.0.1 whose own node follows the miner's Template Provider with a lag (as a real pool's node does:
// always behind right after the miner finds a block), or that answer with transient and unknown codes.
// Nothing here may raise a censorship alarm; only a refusal naming the template does. Everything runs on
// a ManualClock the test advances, so every wait is a step of that clock, never a sleep.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import type { CensorshipAlarm } from '../../src/upstream/jd/censorship-alarm.js';
import type { JdUpstream } from '../../src/upstream/jd/jd-upstream.js';
import { waitFor } from '../helpers/wait.js';
import { jdUpstream, mineInto, pairOf, ShareLedger, startJds, startTp } from '../helpers/jd-lab.js';

function manualClock(): ManualClock {
  return new ManualClock(0, Math.floor(Date.now() / 1000));
}

/**
 * Drives the agent's retries on the ManualClock: each time it schedules one (its `retry` event) the
 * clock jumps exactly there (after `before`, when given), until `done()` holds. Timers due on the way
 * (a lagging node's catch-up) fire in order. Nothing waits on wall-clock time; the guard only turns a
 * hang into a failure.
 */
function driveRetries(
  up: JdUpstream,
  clock: ManualClock,
  done: () => boolean,
  what: string,
  before?: () => Promise<void>,
): { finished: Promise<void>; advanced: () => number } {
  let advanced = 0;
  let settle: () => void = () => undefined;
  let fail: (e: Error) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const guard = setTimeout(() => stop(new Error(`timed out: ${what}`)), 60_000);
  const check = (): void => {
    if (done()) stop();
  };
  const onRetry = (e: { inMs: number }): void => {
    void (async () => {
      if (before) await before();
      clock.advance(e.inMs);
      advanced += e.inMs;
    })().catch((err: unknown) => stop(err instanceof Error ? err : new Error(String(err))));
  };
  function stop(err?: Error): void {
    clearTimeout(guard);
    up.off('retry', onRetry);
    up.off('declared', check);
    up.off('switch', check);
    if (err) fail(err);
    else settle();
  }
  up.on('retry', onRetry);
  up.on('declared', check);
  up.on('switch', check);
  return { finished, advanced: () => advanced };
}

test("stale chain tip: the pool's node is 2 s behind after a new block; the agent waits, declares again on the pool's new tip, no alarm, held shares credited", async () => {
  const clock = manualClock();
  const tp = await startTp();
  const lagging = await startJds({ clock, node: { follow: tp, lagMs: 2000 } });
  const other = await startJds();
  const up = jdUpstream(tp, { clock, pairs: [pairOf('lagging', lagging), pairOf('other', other)] });
  const ledger = new ShareLedger();
  const miner = mineInto(up, ledger);
  const alarms: CensorshipAlarm[] = [];
  const declared: string[] = [];
  up.on('alarm', (a) => alarms.push(a));
  up.on('declared', (d) => declared.push(d.templateId));
  try {
    miner.start();
    up.start();
    await waitFor(() => declared.length >= 1 && (ledger.byPool.lagging?.accepted ?? 0) >= 2, 'the first template declared and mined');
    // Five blocks in a row on the miner's node; each time the pool's node only learns of it 2 s later.
    for (let block = 1; block <= 5; block++) {
      const before = declared.length;
      const retries = up.stats().jd.staleTipRetries;
      const heldBefore = up.stats().jd.sharesHeldTotal;
      // The pool's node catches up 2 s later; the agent's tries (250 ms, 500 ms, ...) until then are
      // refused with stale-chain-tip, the next one is accepted. Shares found meanwhile are held.
      const drive = driveRetries(
        up,
        clock,
        () => declared.length > before,
        `block ${block}: declared again and accepted on the pool's new tip`,
        () => waitFor(() => up.stats().jd.sharesHeldTotal > heldBefore, `block ${block}: shares held while waiting`),
      );
      tp.newPrevHash();
      await drive.finished;
      assert.ok(up.stats().jd.staleTipRetries > retries, `block ${block}: the pool refused with stale-chain-tip first`);
      assert.ok(drive.advanced() >= 2000, `block ${block}: accepted only once the pool's node had the tip (${drive.advanced()} ms)`);
    }
    await waitFor(() => up.stats().jd.heldShares === 0, 'held shares sent');
  } finally {
    miner.stop();
  }
  await waitFor(() => ledger.pending === 0, 'every share answered');
  const st = up.stats();
  await up.stop();
  await Promise.all([lagging.stop(), other.stop(), tp.stop()]);
  assert.deepEqual(alarms, [], 'a stale tip is not censorship');
  assert.equal(st.jd.censorshipAlarms, 0);
  assert.equal(st.jd.fallbacks, 0);
  assert.equal(st.jd.mining, 'lagging');
  assert.ok(st.jd.staleTipRetries >= 5);
  assert.equal(lagging.stats().jds.declareRefused['stale-chain-tip'], st.jd.staleTipRetries);
  assert.equal(ledger.count('lost:lost-refused-job'), 0, 'no share lost to the tip race');
  assert.equal(st.accepted + st.rejected + st.stale + st.lost, ledger.submitted);
});

test('a pool whose node stays on another tip is a failed pair after stale_tip_wait, not a censor', async () => {
  const clock = manualClock();
  const tp = await startTp();
  // This node never catches up within the test.
  const stuck = await startJds({ clock, node: { follow: tp, lagMs: 3_600_000 } });
  const other = await startJds();
  const up = jdUpstream(tp, { clock, staleTipWaitMs: 5000, pairs: [pairOf('stuck', stuck), pairOf('other', other)] });
  try {
    up.start();
    await waitFor(() => up.stats().jd.customJobsAccepted >= 1, 'the first template accepted');
    const drive = driveRetries(up, clock, () => up.stats().jd.mining === 'other', 'the pair fails after stale_tip_wait');
    tp.newPrevHash();
    await drive.finished;
    assert.ok(up.stats().jd.staleTipRetries >= 1);
    await waitFor(() => up.stats().jd.mining === 'other' && up.stats().jd.customJobsAccepted >= 2, 'the other pool, declared there');
    const st = up.stats();
    assert.deepEqual(st.jd.alarms, []);
    assert.equal(st.jd.pairFailures, 1);
    assert.match(st.jd.switches.at(-1)?.reason ?? '', /another chain tip/);
  } finally {
    await up.stop();
    await Promise.all([stuck.stop(), other.stop(), tp.stop()]);
  }
});

test('transient codes are retried with backoff; an unknown code is retried, then the pair has failed (spec 3.5), never an alarm', async () => {
  const clock = manualClock();
  const tp = await startTp();
  const flaky = await startJds({ refuseFirst: { code: 'internal-error', count: 2 } });
  const odd = await startJds({ refuseFirst: { code: 'something-new', count: 100 } });
  const other = await startJds();
  try {
    // internal-error twice, then accepted: two retries, no fallback, no alarm.
    const up = jdUpstream(tp, { clock, pairs: [pairOf('flaky', flaky), pairOf('other', other)] });
    const drive = driveRetries(up, clock, () => up.stats().jd.customJobsAccepted >= 1, 'accepted after two internal-errors');
    up.start();
    await drive.finished;
    await waitFor(() => up.stats().jd.customJobsAccepted >= 1, 'accepted after the transient errors');
    const st = up.stats();
    assert.equal(st.jd.declareRetries, 2);
    assert.equal(st.jd.mining, 'flaky');
    assert.deepEqual(st.jd.alarms, []);
    await up.stop();

    // An unknown code: retried declareAttempts times, then the pair has failed; the agent moves on.
    const up2 = jdUpstream(tp, { clock, declareAttempts: 3, pairs: [pairOf('odd', odd), pairOf('other', other)] });
    const drive2 = driveRetries(up2, clock, () => up2.stats().jd.mining === 'other', 'moved on after the unknown code');
    up2.start();
    await drive2.finished;
    assert.equal(up2.stats().jd.declareRetries, 2, 'tried declareAttempts = 3 times');
    await waitFor(() => up2.stats().jd.mining === 'other' && up2.stats().jd.customJobsAccepted >= 1, 'moved on to the other pool');
    const st2 = up2.stats();
    assert.deepEqual(st2.jd.alarms, []);
    assert.equal(st2.jd.pairFailures, 1);
    assert.match(st2.jd.switches.at(-1)?.reason ?? '', /something-new/);
    await up2.stop();
  } finally {
    await Promise.all([flaky.stop(), odd.stop(), other.stop(), tp.stop()]);
  }
});

test('a pool left for censorship is probed again later: still censoring is another alarm (stay); once it accepts, the agent goes back', async () => {
  const clock = manualClock();
  const tp = await startTp();
  const victim = tp.source[0]?.txids[1] as Uint8Array;
  const censor = await startJds({ censorTxids: [victim] });
  const honest = await startJds();
  const up = jdUpstream(tp, { clock, recheckMs: 60_000, pairs: [pairOf('censor', censor), pairOf('honest', honest)] });
  try {
    up.start();
    await waitFor(() => up.stats().jd.mining === 'honest' && up.stats().jd.customJobsAccepted >= 1, 'fallback to the honest pool');
    assert.equal(up.stats().jd.censorshipAlarms, 1);
    // First recheck: the pool still refuses the template.
    clock.advance(60_000);
    await waitFor(() => up.stats().jd.censorshipAlarms === 2, 'the recheck is refused again');
    assert.equal(up.stats().jd.alarms.at(-1)?.action, 'stay');
    assert.equal(up.stats().jd.mining, 'honest');
    // The pool changes its mind; the next recheck takes the agent back to it.
    censor.core.stopCensoring();
    await waitFor(() => up.stats().jd.rechecks === 1, 'first recheck done');
    clock.advance(60_000);
    await waitFor(() => up.stats().jd.mining === 'censor', 'back to the preferred pool');
    await waitFor(() => censor.stats().pool.customJobsAccepted >= 2, 'its custom jobs accepted');
    const st = up.stats();
    assert.equal(st.jd.rechecks, 2);
    assert.match(st.jd.switches.at(-1)?.reason ?? '', /^recheck: censor accepts our template again/);
  } finally {
    await up.stop();
    await Promise.all([censor.stop(), honest.stop(), tp.stop()]);
  }
});
