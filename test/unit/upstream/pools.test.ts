// Pool manager with in-test upstreams and a ManualClock: failover for each reason, failback after the
// healthy period, standby and cold backups, draining, quota split within ±10 %, and share accounting
// across switches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../src/clock.js';
import { PoolManager, type PoolManagerOptions, type SwitchEvent } from '../../../src/upstream/pools.js';
import { PoolConfigError, resolvePoolGroups } from '../../../src/upstream/pool-config.js';
import type { Job, ShareOutcome } from '../../../src/upstream/job.js';
import { fakeFactory, shareFor, type FakeUpstream } from '../../helpers/fake-upstream.js';

const tick = async (): Promise<void> => {
  // Let promise continuations (submit outcomes) run.
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function setup(o: Partial<PoolManagerOptions> = {}, groups?: PoolManagerOptions['groups']) {
  const clock = new ManualClock();
  const f = fakeFactory(clock);
  const m = new PoolManager({
    groups: groups ?? [
      {
        name: 'main',
        pools: [
          { name: 'A', url: 'stratum+tcp://a:3333', user: 'u' },
          { name: 'B', url: 'stratum+tcp://b:3333', user: 'u' },
          { name: 'C', url: 'stratum2+tcp://c:3336/key', user: 'u' },
        ],
      },
    ],
    factory: f.factory,
    clock,
    connectTimeoutMs: 10_000,
    noJobTimeoutMs: 60_000,
    rejectRunLimit: 3,
    failbackMs: 30_000,
    quotaSliceMs: 60_000,
    drainMs: 5_000,
    ...o,
  });
  const jobs: Job[] = [];
  const switches: SwitchEvent[] = [];
  const idle: string[] = [];
  m.on('job', (j) => jobs.push(j));
  m.on('switch', (e) => switches.push(e));
  m.on('idle', (r) => idle.push(r));
  const up = (id: string): FakeUpstream => f.latest(id);
  /** Pools send a new job every 30 s, as real pools do (the no-job check watches for this). */
  const feedJobs = (ids: string[]): void => {
    clock.setInterval(() => {
      for (const id of ids) if (f.made.has(id) && up(id).state === 'ready') up(id).newJob(false);
    }, 30_000);
  };
  return { clock, f, m, jobs, switches, idle, up, feedJobs };
}

test('config: ids, priority order, disabled pools, validation errors', () => {
  const g = resolvePoolGroups([
    {
      name: 'g',
      quota: 2,
      pools: [
        { url: 'stratum+tcp://x:1', user: 'u', priority: 5 },
        { url: 'stratum+tcp://x:1', user: 'v', priority: 1 },
        { url: 'stratum+tcp://y:1', user: 'u', enabled: false },
      ],
    },
  ]);
  // Ids are the name, or pool<N> by position: never the URL, which may carry what must not be shown.
  assert.deepEqual(
    g[0]?.pools.map((p) => [p.id, p.user, p.rank]),
    [
      ['pool2', 'v', 0],
      ['pool1', 'u', 1],
    ],
  );
  assert.equal(g[0]?.quota, 2);
  assert.throws(() => resolvePoolGroups([]), PoolConfigError);
  assert.throws(() => resolvePoolGroups([{ name: 'g', quota: 0, pools: [{ url: 'stratum+tcp://x:1', user: 'u' }] }]), /quota/);
  assert.throws(() => resolvePoolGroups([{ name: 'g', pools: [{ url: 'stratum+tcp://x:1', user: 'u', enabled: false }] }]), /no enabled pool/);
  assert.throws(
    () =>
      resolvePoolGroups([
        { name: 'g', pools: [] },
        { name: 'g', pools: [] },
      ]),
    PoolConfigError,
  );
});

test('start: the first pool and one standby connect; the first pool gets the chains, not the faster standby', () => {
  const t = setup();
  t.m.start();
  assert.deepEqual([...t.f.made.keys()], ['A', 'B']);
  t.up('B').ready();
  assert.equal(t.m.currentPool(), undefined, 'B is ready first, but A is still connecting');
  t.up('A').ready();
  assert.equal(t.m.currentPool(), 'A');
  assert.equal(t.jobs.length, 1);
  assert.equal(t.jobs[0]?.clean, true);
  assert.equal(t.jobs[0]?.source.poolId, 'A');
  assert.deepEqual(
    t.switches.map((e) => [e.from, e.to, e.reason, e.chains]),
    [[undefined, 'A', 'initial', true]],
  );
  // New jobs of the current pool pass through as they are.
  t.up('A').newJob(false);
  assert.equal(t.jobs.length, 2);
  assert.equal(t.jobs[1]?.clean, false);
  // Jobs of the standby do not reach the chains.
  t.up('B').newJob(true);
  assert.equal(t.jobs.length, 2);
});

for (const reason of [
  'connect-failed: ECONNREFUSED',
  'handshake-failed: mining.subscribe refused',
  'authorize-failed: unauthorized worker',
  'disconnected: connection closed by pool',
]) {
  test(`failover to the standby at once on ${reason.split(':')[0]}, failback after the healthy period`, () => {
    const t = setup();
    t.m.start();
    t.up('A').ready();
    t.up('B').ready();
    t.up('A').fail(reason);
    assert.equal(t.m.currentPool(), 'B');
    const last = t.switches.at(-1) as SwitchEvent;
    assert.deepEqual([last.from, last.to, last.reason, last.detail, last.chains], ['A', 'B', reason.split(':')[0], reason, true]);
    assert.equal(t.jobs.at(-1)?.source.poolId, 'B');
    assert.equal(t.jobs.at(-1)?.clean, true);
    // C becomes B's standby.
    assert.ok(t.f.made.has('C'));
    // A comes back: it must stay healthy for failbackMs before the chains return.
    t.up('A').ready();
    t.clock.advance(29_000);
    assert.equal(t.m.currentPool(), 'B');
    t.clock.advance(2_000);
    assert.equal(t.m.currentPool(), 'A');
    assert.deepEqual((t.switches.at(-1) as SwitchEvent).reason, 'failback');
    const st = t.m.stats().pools;
    assert.equal(st.find((p) => p.id === 'A')?.switchesAway[reason.split(':')[0] as string], 1);
    assert.equal(st.find((p) => p.id === 'B')?.switchesAway.failback, 1);
    assert.equal(st.find((p) => p.id === 'A')?.failures[reason.split(':')[0] as string], 1);
  });
}

test('a flapping pool restarts its failback period', () => {
  const t = setup();
  t.m.start();
  t.up('A').ready();
  t.up('B').ready();
  t.up('A').fail('disconnected: reset');
  t.up('A').ready();
  t.clock.advance(20_000);
  t.up('A').fail('disconnected: reset again');
  t.up('A').ready();
  t.clock.advance(20_000);
  assert.equal(t.m.currentPool(), 'B', '20 s healthy is not enough');
  t.clock.advance(11_000);
  assert.equal(t.m.currentPool(), 'A');
});

test('no job for N s: the pool is failed and reconnected; the standby takes over', () => {
  const t = setup();
  t.m.start();
  t.up('A').ready();
  t.up('B').ready();
  const first = t.up('A');
  t.clock.advance(30_000);
  t.up('A').newJob(false);
  t.up('B').newJob(false);
  t.clock.advance(59_000);
  assert.equal(t.m.currentPool(), 'A');
  t.up('B').newJob(false);
  t.clock.advance(2_000);
  assert.equal(t.m.currentPool(), 'B');
  assert.equal(t.switches.at(-1)?.reason, 'no-job');
  assert.notEqual(t.up('A'), first, 'a new session was started');
  assert.equal(first.state, 'closed');
});

test('a run of rejects fails the pool over; stale shares do not count; accepted resets the run', async () => {
  const t = setup();
  t.m.start();
  t.up('A').ready();
  t.up('B').ready();
  const a = t.up('A');
  const answers: ShareOutcome[] = [
    { status: 'rejected', reason: 'difficulty-too-low', detail: 'low difficulty share (23)' },
    { status: 'rejected', reason: 'difficulty-too-low', detail: 'low difficulty share (23)' },
    { status: 'accepted' },
    { status: 'rejected', reason: 'other', detail: 'x' },
    { status: 'stale', reason: 'stale-share' },
    { status: 'rejected', reason: 'other', detail: 'x' },
    { status: 'rejected', reason: 'other', detail: 'x' },
  ];
  let i = 0;
  a.answer = () => answers[i++] as ShareOutcome;
  for (let n = 0; n < 6; n++) {
    await t.m.submit(shareFor(a.job as Job, n));
    assert.equal(t.m.currentPool(), 'A', `after ${n + 1} answers`);
  }
  await t.m.submit(shareFor(a.job as Job, 6));
  assert.equal(t.m.currentPool(), 'B');
  assert.equal(t.switches.at(-1)?.reason, 'reject-run');
  const st = t.m.stats().pools.find((p) => p.id === 'A');
  assert.equal(st?.rejected, 5);
  assert.equal(st?.stale, 1);
  assert.equal(st?.accepted, 1);
  assert.notEqual(t.up('A'), a, 'reconnected');
});

test('connect timeout: a pool that never becomes usable is failed; a cold backup (standby 0) is connected then', () => {
  const t = setup({ standby: 0 });
  t.m.start();
  assert.deepEqual([...t.f.made.keys()], ['A']);
  t.clock.advance(11_000);
  assert.deepEqual([...t.f.made.keys()], ['A', 'B']);
  t.up('B').ready();
  assert.equal(t.m.currentPool(), 'B');
  // Failover that had to connect the backup first: one record, from nobody (A never had the chains).
  assert.deepEqual(
    t.switches.map((e) => [e.to, e.reason]),
    [['B', 'initial']],
  );
  // A keeps retrying in the background and gets the chains back after the healthy period.
  t.up('A').ready();
  t.clock.advance(31_000);
  assert.equal(t.m.currentPool(), 'A');
});

test('cold backup after a drop: the chains idle, then the backup takes over with the failure as reason', () => {
  const t = setup({ standby: 0 });
  t.m.start();
  t.up('A').ready();
  t.up('A').fail('disconnected: gone');
  assert.equal(t.m.currentPool(), undefined);
  assert.equal(t.idle.length, 1);
  t.up('B').ready();
  assert.equal(t.m.currentPool(), 'B');
  assert.deepEqual(
    t.switches.map((e) => [e.from, e.to, e.reason]),
    [
      [undefined, 'A', 'initial'],
      ['A', undefined, 'disconnected'],
      [undefined, 'B', 'disconnected'],
    ],
  );
});

test('client.reconnect is not a failure: the standby covers, the pool gets its place back as soon as it is usable', () => {
  const t = setup();
  t.m.start();
  t.up('A').ready();
  t.up('B').ready();
  t.up('A').fail('reconnect-requested: stratum+tcp://a:3333');
  assert.equal(t.m.currentPool(), 'B');
  assert.equal(t.switches.at(-1)?.reason, 'reconnect-requested');
  t.up('A').ready();
  assert.equal(t.m.currentPool(), 'A', 'no failback wait');
  assert.deepEqual(t.m.stats().pools.find((p) => p.id === 'A')?.failures, {});
});

test('draining: after failback the old pool stays for late shares, then stops; later shares are lost-to-switch', async () => {
  const t = setup({ standby: 0 });
  t.m.start();
  t.up('A').ready();
  t.up('A').fail('disconnected: x');
  t.up('B').ready();
  const b = t.up('B');
  const bJob = b.job as Job;
  t.up('A').ready();
  t.clock.advance(31_000);
  assert.equal(t.m.currentPool(), 'A');
  // B is draining: a share found on B's job is still submitted to B.
  assert.equal(b.state, 'ready');
  b.answer = () => 'hold';
  const pending = t.m.submit(shareFor(bJob, 1));
  await tick();
  t.clock.advance(6_000);
  assert.equal(b.state, 'ready', 'not stopped while a share is in flight');
  b.release();
  assert.deepEqual(await pending, { status: 'accepted' });
  await tick();
  assert.equal(b.state, 'closed', 'stopped once the in-flight share was answered');
  assert.deepEqual(await t.m.submit(shareFor(bJob, 2)), { status: 'lost', reason: 'lost-to-switch' });
  const st = t.m.stats().pools.find((p) => p.id === 'B');
  assert.equal(st?.accepted, 1);
  assert.equal(st?.lost['lost-to-switch'], 1);
  assert.equal(st?.submitted, 2);
});

test('a switch mid-job loses nothing the counters do not show', async () => {
  const t = setup();
  t.m.start();
  t.up('A').ready();
  t.up('B').ready();
  const a = t.up('A');
  const aJob = a.job as Job;
  a.answer = () => 'hold';
  const outcomes: Promise<ShareOutcome>[] = [];
  // Three shares in flight on A when it drops; two more found on A's job after the switch.
  for (let n = 0; n < 3; n++) outcomes.push(t.m.submit(shareFor(aJob, n)));
  await tick();
  a.fail('disconnected: pool died');
  assert.equal(t.m.currentPool(), 'B');
  for (let n = 3; n < 5; n++) outcomes.push(t.m.submit(shareFor(aJob, n)));
  // And B's work, accepted.
  for (let n = 0; n < 4; n++) outcomes.push(t.m.submit(shareFor(t.m.currentJob() as Job, n)));
  const all = await Promise.all(outcomes);
  const st = t.m.stats();
  const sa = st.pools.find((p) => p.id === 'A');
  const sb = st.pools.find((p) => p.id === 'B');
  assert.deepEqual(sa?.lost, { 'lost-to-disconnect': 5 });
  assert.equal(sb?.accepted, 4);
  let counted = 0;
  for (const p of st.pools) counted += p.accepted + p.rejected + p.stale + Object.values(p.lost).reduce((x, y) => x + y, 0);
  assert.equal(counted, all.length);
  assert.equal(
    st.pools.reduce((x, p) => x + p.submitted, 0),
    all.length,
  );
});

test('quota 1:3 between two groups: time and accepted shares within ±10 % over two simulated hours', async () => {
  const t = setup({ quotaSliceMs: 60_000 }, [
    { name: 'small', quota: 1, pools: [{ name: 'S', url: 'stratum+tcp://s:1', user: 'u' }] },
    { name: 'big', quota: 3, pools: [{ name: 'L', url: 'stratum2+tcp://l:1/key', user: 'u' }] },
  ]);
  t.m.start();
  t.feedJobs(['S', 'L']);
  t.up('S').ready();
  t.up('L').ready();
  const accepted = new Map<string, number>();
  // The chains find a share every second on whatever job the manager gave them.
  for (let s = 0; s < 7200; s++) {
    t.clock.advance(1000);
    const job = t.m.currentJob() as Job;
    const out = await t.m.submit(shareFor(job, s));
    if (out.status === 'accepted') accepted.set(job.source.poolId, (accepted.get(job.source.poolId) ?? 0) + 1);
  }
  const st = t.m.stats();
  const small = st.groups.find((g) => g.name === 'small')?.activeMs ?? 0;
  const big = st.groups.find((g) => g.name === 'big')?.activeMs ?? 0;
  const within = (x: number, want: number): boolean => Math.abs(x - want) <= 0.1 * want;
  assert.ok(within(small / (small + big), 0.25), `time: small ${small / (small + big)}`);
  assert.ok(within(big / (small + big), 0.75), `time: big ${big / (small + big)}`);
  const sS = accepted.get('S') ?? 0;
  const sL = accepted.get('L') ?? 0;
  assert.ok(within(sS / (sS + sL), 0.25), `shares: ${sS} vs ${sL}`);
  assert.ok(t.switches.filter((e) => e.reason === 'quota').length > 50, 'the chains alternate every slice');
  // The hashrate each pool is told follows the quota.
  t.m.reportHashrate(4e12);
  assert.equal(t.up('S').hashrate, 1e12);
  assert.equal(t.up('L').hashrate, 3e12);
});

test('quota: a group that was down gets no catch-up credit; the other group mines alone meanwhile', async () => {
  const t = setup({ quotaSliceMs: 60_000 }, [
    { name: 'g1', quota: 1, pools: [{ name: 'P1', url: 'stratum+tcp://p1:1', user: 'u' }] },
    { name: 'g2', quota: 1, pools: [{ name: 'P2', url: 'stratum+tcp://p2:1', user: 'u' }] },
  ]);
  t.m.start();
  t.feedJobs(['P1', 'P2']);
  t.up('P1').ready();
  t.up('P2').ready();
  t.clock.advance(600_000);
  t.up('P2').fail('disconnected: maintenance');
  const g2Before = t.m.stats().groups[1]?.activeMs ?? 0;
  t.clock.advance(1_800_000);
  assert.equal(t.m.stats().groups[1]?.activeMs, g2Before, 'g2 got no time while down');
  t.up('P2').ready();
  const g1At = t.m.stats().groups[0]?.activeMs ?? 0;
  const g2At = t.m.stats().groups[1]?.activeMs ?? 0;
  t.clock.advance(1_200_000);
  const d1 = (t.m.stats().groups[0]?.activeMs ?? 0) - g1At;
  const d2 = (t.m.stats().groups[1]?.activeMs ?? 0) - g2At;
  assert.ok(Math.abs(d1 / (d1 + d2) - 0.5) <= 0.05, `after the return: ${d1} vs ${d2}`);
});

test('mixed protocols in one group; every upstream is stopped on stop()', async () => {
  const t = setup();
  t.m.start();
  t.up('A').ready();
  t.up('B').ready();
  t.up('A').fail('disconnected: x');
  t.up('B').fail('disconnected: y');
  t.up('C').ready();
  assert.equal(t.m.currentPool(), 'C');
  assert.equal(t.m.currentJob()?.source.protocol, 'sv2');
  await t.m.stop();
  for (const list of t.f.made.values()) for (const u of list) assert.equal(u.state, 'closed');
  assert.equal(t.clock.pending(), 0, 'no timers left');
});

test('stats: per-pool state and counters for the API', async () => {
  const t = setup();
  t.m.start();
  t.up('A').ready();
  t.up('B').ready();
  await t.m.submit(shareFor(t.up('A').job as Job));
  t.clock.advance(5000);
  const st = t.m.stats();
  assert.equal(st.current, 'A');
  assert.equal(st.currentGroup, 'main');
  const a = st.pools.find((p) => p.id === 'A');
  assert.equal(a?.active, true);
  assert.equal(a?.current, true);
  assert.equal(a?.usable, true);
  assert.equal(a?.accepted, 1);
  assert.equal(a?.activeMs, 5000);
  assert.equal(st.pools.find((p) => p.id === 'B')?.usable, true);
  assert.equal(st.pools.find((p) => p.id === 'C')?.running, false);
  assert.deepEqual(await t.m.submit(shareFor({ ...(t.up('A').job as Job), source: { poolId: 'nope', protocol: 'sv1' } })), {
    status: 'lost',
    reason: 'lost-refused-job',
  });
  assert.equal(t.m.stats().unroutable, 1);
});

test("jobs are the upstreams' own immutable objects: a target change never rewrites one, and shares go only to the connection that issued their job", async () => {
  const t = setup({ rejectRunLimit: 1 });
  t.m.start();
  t.up('A').ready();
  t.up('B').ready();
  const bJob = t.up('B').job as Job;
  // A SetTarget / set_difficulty is the upstream's business: it issues new Jobs when it wants to.
  t.up('B').target(12345n);
  t.up('A').fail('disconnected: x');
  assert.equal(t.m.currentPool(), 'B');
  assert.equal(t.jobs.at(-1), bJob, "the switch hands out B's own Job object, not a copy");
  assert.notEqual(bJob.target, 12345n, 'the Job keeps its own target');
  const first = t.up('B');
  assert.deepEqual(await t.m.submit(shareFor(bJob, 1)), { status: 'accepted' });
  assert.equal(first.submitted.length, 1);
  // B rejects a share: with rejectRunLimit 1 the manager restarts it (a new connection, a new upstream).
  first.answer = () => ({ status: 'rejected', reason: 'other', detail: 'x' });
  await t.m.submit(shareFor(bJob, 2));
  const second = t.up('B');
  assert.notEqual(second, first);
  // A share of a job the old connection issued is not sent on the new one.
  assert.deepEqual(await t.m.submit(shareFor(bJob, 3)), { status: 'lost', reason: 'lost-to-switch' });
  assert.equal(second.submitted.length, 0);
});

test('setGroups edits in place: kept pools keep their sessions, a removed pool drains its in-flight share, switchTo moves the chains at once', async () => {
  const t = setup({ standby: 1 });
  t.m.start();
  t.up('A').ready();
  t.up('B').ready();
  assert.equal(t.m.currentPool(), 'A');
  const jobA = t.m.currentJob();
  assert.ok(jobA);
  t.up('A').answer = () => 'hold';
  const outcome = t.m.submit(shareFor(jobA));
  await tick();
  // Remove A (the active pool), keep B and C, put C first and ask for it.
  t.m.setGroups(
    [
      {
        name: 'main',
        pools: [
          { name: 'C', url: 'stratum2+tcp://c:3336/key', user: 'u' },
          { name: 'B', url: 'stratum+tcp://b:3333', user: 'u' },
        ],
      },
    ],
    { switchTo: 'C' },
  );
  assert.equal(t.m.currentPool(), 'B', 'A is gone: the chains fail over to the connected B');
  assert.equal(t.f.made.get('B')?.length, 1, 'B kept its session');
  assert.deepEqual(t.switches.at(-1)?.reason, 'stopped');
  t.up('C').ready();
  assert.equal(t.m.currentPool(), 'C', 'the operator pick takes over as soon as it is usable, no failback wait');
  assert.equal(t.switches.at(-1)?.reason, 'operator');
  // A drains: its late share is still answered by A's own upstream, then A is stopped and forgotten.
  assert.ok(!t.m.stats().pools.some((p) => p.id === 'A'), 'a removed pool is no longer listed');
  assert.notEqual(t.up('A').state, 'closed', 'but stays connected while it drains');
  t.up('A').release({ status: 'accepted' });
  assert.deepEqual(await outcome, { status: 'accepted' });
  t.clock.advance(5_000);
  await tick();
  assert.equal(t.up('A').state, 'closed');
  assert.throws(() => t.m.setGroups([{ name: 'main', pools: [] }]), PoolConfigError);
  assert.equal(t.m.currentPool(), 'C', 'an invalid edit changes nothing');
});
