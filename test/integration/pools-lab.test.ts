// Pool manager with real V1 clients and two lab V1 pools over TCP, CPU mining the job the manager
// hands out: failover when the primary is killed, failback after it is restarted and healthy, and
// every share accounted for across the switches (manager counters = lab pool counters).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Sv1LabPool } from '../../workshop/lab/sv1-pool.js';
import { PoolManager, type SwitchEvent } from '../../src/upstream/pools.js';
import { upstreamFactory, CLIENTS } from '../../src/upstream/upstream-factory.js';
import { Sv1Client } from '../../src/upstream/sv1/client.js';
import { CpuMiner } from '../../workshop/cpu-miner/cpu-miner.js';
import { systemClock } from '../../src/clock.js';
import type { Share, ShareOutcome } from '../../src/upstream/job.js';
import { fakeFactory } from '../helpers/fake-upstream.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const TINY = 0.00002;

async function lab(port = 0): Promise<Sv1LabPool> {
  const p = new Sv1LabPool({ port, difficulty: TINY, notifyIntervalMs: 0, cleanIntervalMs: 0 });
  await p.start();
  cleanups.push(() => p.stop());
  return p;
}

/** V1 clients with fast reconnects, so the test does not wait on production backoff. */
const fastV1 = upstreamFactory({
  clients: {
    'stratum+tcp': (pool, { clock }) =>
      new Sv1Client({ id: pool.id, url: pool.url, user: pool.user, password: pool.password, clock, reconnectMinMs: 20, reconnectMaxMs: 100 }),
  },
});

test('two lab pools: primary killed → failover, restarted → failback; nothing lost that the counters do not show', async () => {
  const a = await lab();
  const b = await lab();
  const portA = a.port;
  const m = new PoolManager({
    groups: [
      {
        name: 'main',
        pools: [
          { name: 'A', url: a.url, user: 'w.1' },
          { name: 'B', url: b.url, user: 'w.1' },
        ],
      },
    ],
    factory: fastV1,
    failbackMs: 400,
    connectTimeoutMs: 2000,
    drainMs: 200,
    tickMs: 50,
  });
  const switches: SwitchEvent[] = [];
  m.on('switch', (e) => switches.push(e));
  const shares: Share[] = [];
  const outcomes: ShareOutcome[] = [];
  const miner = new CpuMiner(
    (s) => {
      shares.push(s);
      void m.submit(s).then((o) => outcomes.push(o));
    },
    { batch: 8192 },
  );
  m.on('job', (j) => miner.setJob(j));
  m.on('idle', () => miner.clearJob());
  m.start();
  miner.start();
  cleanups.push(async () => {
    miner.stop();
    await m.stop();
  });
  const acceptedBy = (id: string): number => m.stats().pools.find((p) => p.id === id)?.accepted ?? 0;

  await waitFor(() => acceptedBy('A') >= 3, 'shares accepted by A');
  assert.equal(m.currentPool(), 'A');
  await a.stop();
  await waitFor(() => m.currentPool() === 'B', 'failover to B');
  assert.equal(switches.at(-1)?.reason, 'disconnected');
  await waitFor(() => acceptedBy('B') >= 3, 'shares accepted by B');

  const a2 = await lab(portA);
  await waitFor(() => m.currentPool() === 'A', 'failback to A');
  assert.equal(switches.at(-1)?.reason, 'failback');
  await waitFor(() => a2.stats().accepted >= 3, 'shares accepted by the restarted A');

  miner.stop();
  await waitFor(() => outcomes.length === shares.length, 'every share answered');
  const st = m.stats();
  const pa = st.pools.find((p) => p.id === 'A');
  const pb = st.pools.find((p) => p.id === 'B');
  assert.ok(pa && pb);
  // The lab pools saw exactly what the manager counts as accepted.
  assert.equal(pa.accepted, a.stats().accepted + a2.stats().accepted);
  assert.equal(pb.accepted, b.stats().accepted);
  // Every share found has exactly one counted outcome.
  let counted = 0;
  for (const p of st.pools) counted += p.accepted + p.rejected + p.stale + Object.values(p.lost).reduce((x, y) => x + y, 0);
  assert.equal(counted, shares.length);
  assert.equal(
    st.pools.reduce((x, p) => x + p.submitted, 0),
    shares.length,
  );
  assert.equal(pa.rejected + pb.rejected, 0);
  // Only A's in-flight or late shares around the kill may be lost, and they say why.
  for (const reason of Object.keys(pa.lost)) assert.ok(['lost-to-disconnect', 'lost-to-switch'].includes(reason), reason);
  assert.deepEqual(pb.lost, {});
  assert.equal(pa.switchesAway.disconnected, 1);
  assert.equal(pb.switchesAway.failback, 1);
});

test('V1 and another protocol mixed in one group: the manager fails over from a dead V2 entry to a V1 lab pool', async () => {
  const v1 = await lab();
  const fakes = fakeFactory(systemClock);
  const factory = upstreamFactory({ clients: { ...CLIENTS, 'stratum2+tcp': (pool) => fakes.factory(pool) } });
  const m = new PoolManager({
    groups: [
      {
        name: 'mixed',
        pools: [
          { name: 'V2', url: 'stratum2+tcp://127.0.0.1:1/9auth', user: 'w' },
          { name: 'V1', url: v1.url, user: 'w' },
        ],
      },
    ],
    factory,
    tickMs: 50,
  });
  cleanups.push(() => m.stop());
  m.start();
  fakes.latest('V2').fail('connect-failed: ECONNREFUSED');
  await waitFor(() => m.currentPool() === 'V1', 'V1 pool active');
  assert.equal(m.currentJob()?.source.protocol, 'sv1');
  assert.equal(m.switchLog().at(-1)?.to, 'V1');
});
