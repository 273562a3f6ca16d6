// The SV2 mining client against the lab pool over real TCP on 127.0.0.1 (Noise NX with a certificate
// unless stated): both channel types mining accepted shares, batched acknowledgements, rejections
// counted by reason, SetTarget, UpdateChannel, CloseChannel, Reconnect, plain mode, and shares lost
// to a disconnect.
import { failureText } from '../../src/upstream/session-failure.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, jobOf, mineShares, once, startPool } from '../helpers/sv2-lab.js';
import type { Share, ShareOutcome } from '../../src/upstream/job.js';
import type { UpstreamState } from '../../src/upstream/upstream.js';
import type { Sv2MiningClient } from '../../src/upstream/sv2/mining-client.js';
import { difficultyToTarget } from '../../src/work/target.js';
import { PoolUrlError } from '../../src/upstream/sv2/url.js';
import { loadLabBlocks } from '../../workshop/lab/block-data.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../helpers/wait.js';

for (const channel of ['standard', 'extended'] as const) {
  test(`${channel} channel: handshake, certificate, jobs, shares accepted`, async () => {
    const pool = await startPool();
    const c = client(pool.url, { channel });
    try {
      const session = once(c, 'session');
      c.start();
      const [info] = await session;
      assert.equal(info.handshake.server?.authenticated, true);
      assert.equal(info.channel.kind, channel);
      assert.equal(info.setup.requestedFlags, channel === 'standard' ? 1 : 0);
      assert.ok(Math.abs(info.difficulty - 1e-6) < 1e-12);
      const job = await jobOf(c);
      assert.equal(job.work.kind, channel === 'standard' ? 'header' : 'coinbase');
      assert.equal(c.state, 'ready');
      const outcomes = await Promise.all(mineShares(job, 5).map((s) => c.submit(s)));
      assert.deepEqual(outcomes, Array(5).fill({ status: 'accepted' }));
      // A new prev hash gives a clean job that mines too.
      const next = once(c, 'job', (j) => j.clean && j !== job);
      pool.core.newRound();
      const [j2] = await next;
      assert.equal(await c.submit(mineShares(j2, 1)[0]!).then((o) => o.status), 'accepted');
      // Shares for the replaced job are not sent: they are stale locally.
      assert.deepEqual(await c.submit(mineShares(job, 1)[0]!), { status: 'stale', reason: 'job-not-active' });
      const st = c.stats();
      assert.equal(st.accepted, 6);
      assert.equal(st.stale, 1);
      assert.equal(st.connects, 1);
      assert.equal(pool.stats().accepted, 6);
    } finally {
      await c.stop();
      await pool.stop();
    }
  });
}

test('batched acknowledgements resolve every share in the batch; rejections are counted by reason', async () => {
  const pool = await startPool({ shareBatchSize: 4 });
  const c = client(pool.url, { channel: 'extended' });
  try {
    c.start();
    const job = await jobOf(c);
    const shares = mineShares(job, 4);
    const acks: string[] = [];
    const done = shares.map((s) => c.submit(s).then((o) => acks.push(o.status)));
    await Promise.all(done);
    assert.deepEqual(acks, ['accepted', 'accepted', 'accepted', 'accepted']);
    // Rejections: a duplicate, a forged hash the pool recomputes, bits outside the version mask.
    const [a] = mineShares(job, 1);
    assert.ok(a);
    const first = c.submit(a);
    const dup = await c.submit(a);
    const forged = await c.submit({ ...a, nonce: (a.nonce + 1) >>> 0 });
    const badVersion = await c.submit({ ...a, version: (a.version ^ 0x4) >>> 0 });
    assert.deepEqual(dup, { status: 'rejected', reason: 'duplicate-share' });
    assert.deepEqual(forged, { status: 'rejected', reason: 'difficulty-too-low' });
    assert.deepEqual(badVersion, { status: 'rejected', reason: 'invalid-non-rollable-version-bit' });
    // The first share is still waiting for its batch; three more complete it.
    await Promise.all(mineShares(job, 3).map((s) => c.submit(s)));
    assert.deepEqual(await first, { status: 'accepted' });
    const st = c.stats();
    assert.equal(st.accepted, 8);
    assert.equal(st.rejected, 3);
    assert.deepEqual(st.rejectReasons, { 'duplicate-share': 1, 'difficulty-too-low': 1, 'invalid-non-rollable-version-bit': 1 });
  } finally {
    await c.stop();
    await pool.stop();
  }
});

test('SetTarget changes the share target of later jobs, not of the active one (spec 5.3.21); UpdateChannel reports the measured hashrate', async () => {
  const pool = await startPool();
  const c = client(pool.url, { hashrateUpdate: { minIntervalMs: 0, minChange: 0.1 } });
  try {
    c.start();
    await jobOf(c);
    const t = once(c, 'target');
    pool.core.setDifficulty(3e-6);
    const [target] = await t;
    assert.equal(target, difficultyToTarget(3e-6));
    assert.ok(Math.abs((c.stats().difficulty ?? 0) - 3e-6) < 1e-12);
    const ch = pool.core.channel(c.channelParams()?.channelId ?? -1);
    assert.ok(ch);
    c.reportHashrate(5e9);
    await waitFor(() => ch.nominalHashrate === Math.fround(5e9), 'UpdateChannel at the pool');
    assert.equal(ch.nominalHashrate, Math.fround(5e9));
    // The job was active at the old (easier) target and keeps it: a share meeting only that one is
    // still sent, and the pool (which judges each share by its job's target) accepts it.
    const job = c.currentJob();
    assert.ok(job && job.target === difficultyToTarget(1e-6));
    // A share of the old target also meets the new one with probability 1/3: 40 of them leave
    // (1/3)^40 odds of no weak one.
    const shares = mineShares(job, 40);
    const weak = shares.find((x) => x.difficulty < 3e-6);
    assert.ok(weak);
    assert.deepEqual(await c.submit(weak), { status: 'accepted' });
    // A job sent after the SetTarget carries the new target; a share missing it is not sent.
    const next = once(c, 'job');
    pool.core.newJobs();
    const [later] = await next;
    assert.equal(later.target, difficultyToTarget(3e-6));
    const low = mineShares({ ...later, target: difficultyToTarget(1e-6) }, 40).find((x) => x.difficulty < 3e-6);
    assert.ok(low);
    assert.deepEqual(await c.submit({ ...low, job: later }), { status: 'stale', reason: 'below-job-target' });
    assert.deepEqual(await c.submit(mineShares(later, 1)[0] as Share), { status: 'accepted' });
  } finally {
    await c.stop();
    await pool.stop();
  }
});

test('Reconnect re-handshakes with the same authority key; CloseChannel opens a new channel', async () => {
  const pool = await startPool();
  const c = client(pool.url);
  const states: (UpstreamState | string)[] = [];
  c.on('state', (s, r) => states.push(r ? `${s}: ${failureText(r)}` : s));
  try {
    c.start();
    await once(c, 'session');
    const again = once(c, 'session');
    pool.sendReconnect('', 0);
    const [info] = await again;
    assert.equal(info.handshake.server?.authenticated, true);
    assert.equal(c.stats().connects, 2);
    assert.ok(states.some((s) => s.startsWith('connecting: reconnect-requested: pool asked to reconnect')));
    const third = once(c, 'session');
    pool.core.closeChannel(info.channel.channelId, 'lab-maintenance');
    const [info3] = await third;
    assert.notEqual(info3.channel.channelId, info.channel.channelId);
    assert.ok(states.some((s) => s.includes('pool closed the channel: lab-maintenance')));
    assert.equal(c.state, 'ready');
  } finally {
    await c.stop();
    await pool.stop();
  }
  assert.equal(states.at(-1), 'closed: stopped: stopped');
});

test('shares not yet acknowledged when the connection drops are reported lost-to-disconnect', async () => {
  const pool = await startPool({ shareBatchSize: 100 });
  const c = client(pool.url);
  try {
    c.start();
    const job = await jobOf(c);
    const pending = mineShares(job, 2).map((s) => c.submit(s));
    // Wait until the pool has seen both, then drop the connection before any acknowledgement.
    await waitFor(() => pool.stats().accepted >= 2, 'the pool has both shares');
    assert.equal(c.pendingShares(), 2);
    const back = once(c, 'session');
    pool.dropConnections();
    const outcomes: ShareOutcome[] = await Promise.all(pending);
    assert.deepEqual(outcomes, [
      { status: 'lost', reason: 'lost-to-disconnect' },
      { status: 'lost', reason: 'lost-to-disconnect' },
    ]);
    assert.equal(c.stats().lost, 2);
    await back;
    assert.equal(c.stats().disconnects, 1);
    // Submitting a share of the old session: its job is gone.
    assert.equal((await c.submit(mineShares(job, 1)[0]!)).status, 'stale');
  } finally {
    await c.stop();
    await pool.stop();
  }
});

test('plain mode (no Noise) on loopback needs an explicit allowance', async () => {
  const pool = await startPool({ plain: true });
  assert.ok(!pool.url.split('//')[1]?.includes('/'), 'a plain pool URL carries no key');
  assert.throws(() => client(pool.url, { plain: true }), PoolUrlError);
  const c = client(pool.url, { plain: true, allowUnauthenticated: true, channel: 'extended' });
  try {
    const s = once(c, 'session');
    c.start();
    const [info] = await s;
    assert.equal(info.handshake.mode, 'plain');
    const job = await jobOf(c);
    assert.deepEqual(await c.submit(mineShares(job, 1)[0]!), { status: 'accepted' });
  } finally {
    await c.stop();
    await pool.stop();
  }
});

test('URLs without a key are refused unless allowed, and then only for private addresses', () => {
  assert.throws(() => client('stratum2+tcp://127.0.0.1:1'), /no authority key/);
  assert.throws(() => client('stratum2+tcp://8.8.8.8:3333', { allowUnauthenticated: true }), /private networks/);
  assert.ok(client('stratum2+tcp://192.168.1.20:3333', { allowUnauthenticated: true }));
  assert.ok(client('stratum2+tcp://localhost:3333', { allowUnauthenticated: true }));
});

test('without the vectors folder the lab pool mines on synthetic blocks', async () => {
  const blocks = loadLabBlocks(join(mkdtempSync(join(tmpdir(), 'sv2-novectors-')), 'missing'));
  assert.equal(blocks.real, false);
  const pool = await startPool({ blocks });
  const c = client(pool.url, { channel: 'extended' });
  try {
    c.start();
    const job = await jobOf(c);
    assert.deepEqual(await c.submit(mineShares(job, 1)[0]!), { status: 'accepted' });
  } finally {
    await c.stop();
    await pool.stop();
  }
});

test('an extended-only pool turns a standard-channel client into an extended one; REQUIRES_FIXED_VERSION fixes versions', async () => {
  const pool = await startPool({ requireExtendedChannels: true, fixedVersion: true });
  const c = client(pool.url, { channel: 'standard' });
  const reasons: string[] = [];
  c.on('disconnected', (r) => reasons.push(r));
  try {
    const s = once(c, 'session');
    c.start();
    const [info] = await s;
    assert.deepEqual(reasons, ['setup refused: unsupported-feature-flags (flags 0x1)']);
    assert.equal(info.setup.requestedFlags, 0);
    assert.equal(info.setup.flags, 0b11);
    assert.equal(info.channel.kind, 'extended');
    const job = await jobOf(c);
    assert.equal(job.versionMask, 0);
    assert.deepEqual(await c.submit(mineShares(job, 1)[0]!), { status: 'accepted' });
  } finally {
    await c.stop();
    await pool.stop();
  }
});

test('version rolling asked for (spec 5.3.1): a pool that fixes the version unless asked gives rolling jobs; a refusal sets an extended channel up again without the flag, and makes a standard channel unusable', async () => {
  const { upstreamFactory } = await import('../../src/upstream/upstream-factory.js');
  const { MiningSetupFlags } = await import('../../src/upstream/sv2/messages/common.js');
  const { BIP320_MASK } = await import('../../src/work/version-rolling.js');
  const asks = await startPool({ fixedVersionUnlessAsked: true });
  const fixed = await startPool({ fixedVersion: true });
  const setups: { flags: number; fixedVersion: boolean }[] = [];
  asks.on('setup', (e) => setups.push(e));
  const make = upstreamFactory({ nominalHashrate: 1e6, chipsRollVersions: true });
  const pool = (url: string, channel: 'standard' | 'extended', over: { versionRolling?: boolean } = {}) =>
    make({ id: `p-${channel}`, url, user: 'lab.w', password: 'x', group: 'g', rank: 0, index: 0, channel, allowUnauthenticated: false, ...over });
  const ups: { stop(): Promise<void> }[] = [];
  try {
    // The agent's SV2 upstream asks, so the pool serves rolling jobs and takes rolled shares.
    const a = pool(asks.url, 'standard') as Sv2MiningClient;
    ups.push(a);
    a.start();
    const job = await jobOf(a);
    assert.equal(job.versionMask, BIP320_MASK);
    assert.ok(((setups[0]?.flags ?? 0) & MiningSetupFlags.REQUIRES_VERSION_ROLLING) !== 0);
    // version_rolling = false: not asked, and the pool fixes the version.
    const quiet = pool(asks.url, 'extended', { versionRolling: false }) as Sv2MiningClient;
    ups.push(quiet);
    quiet.start();
    assert.equal((await jobOf(quiet)).versionMask, 0);
    assert.equal(setups.at(-1)?.fixedVersion, true);

    // A pool that cannot roll at all refuses the flag. Extended channel: set up again without it, mine a fixed version.
    const ext = pool(fixed.url, 'extended') as Sv2MiningClient;
    ups.push(ext);
    ext.start();
    const fj = await jobOf(ext);
    assert.equal(fj.versionMask, 0);
    assert.equal(fj.work.kind, 'coinbase');
    assert.deepEqual(await ext.submit(mineShares(fj, 1)[0] as Share), { status: 'accepted' });
    // Standard channel: nothing left to roll; the session ends as `unusable` (the pool manager fails over).
    const std = pool(fixed.url, 'standard') as Sv2MiningClient;
    ups.push(std);
    const down = once(std, 'state', (s, why) => s === 'connecting' && why?.category === 'unusable');
    std.start();
    const [, why] = await down;
    assert.match(why?.detail ?? '', /standard channel/);
    assert.equal(std.currentJob(), undefined);
  } finally {
    for (const u of ups) await u.stop();
    await asks.stop();
    await fixed.stop();
  }
});
