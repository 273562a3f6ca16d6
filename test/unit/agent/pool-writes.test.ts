/**
 * Issue 21 D2 and D6: the API's pool write commands (src/agent/control.ts) against a real Agent whose
 * upstreams are in-test fakes. D2: every write path uses the config schema's rules, ids never come from
 * URLs, URLs are redacted wherever they are shown. D6: the schema's pool count limit holds, and edits
 * are applied to the running pool manager without a rebuild, so no share in flight is lost.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent } from '../../../src/agent/agent.js';
import { agentControl } from '../../../src/agent/control.js';
import { ManualClock } from '../../../src/clock.js';
import { loadRunConfig } from '../../../src/config/run-config.js';
import { poolSnapshots } from '../../../src/api/snapshot-sources.js';
import { MiningStats } from '../../../src/mining/mining-stats.js';
import { PoolManager } from '../../../src/upstream/pools.js';
import type { UpstreamConstructor } from '../../../src/upstream/upstream-factory.js';
import { FakeUpstream, fakeFactory, shareFor } from '../../helpers/fake-upstream.js';
import { SIM_BOARD_FILE } from '../../helpers/sim-board.js';
import { simulatedParts } from '../../../workshop/sim/simulated-parts.js';

const KEY = '9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXh';

function agentWithPools(pools: string[]): { agent: Agent; made: FakeUpstream[]; clock: ManualClock; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'asic-pool-writes-'));
  const file = join(dir, 'agent.toml');
  writeFileSync(
    file,
    [
      'version = 1',
      '[board]',
      `config = ${JSON.stringify(SIM_BOARD_FILE)}`,
      ...pools.flatMap((url) => ['[[pool]]', `url = ${JSON.stringify(url)}`, 'user = "rig"']),
      '',
    ].join('\n'),
  );
  const clock = new ManualClock();
  const made: FakeUpstream[] = [];
  const fake: UpstreamConstructor = (p, ctx) => {
    const u = new FakeUpstream(p, ctx.clock, made.length + 1);
    made.push(u);
    return u;
  };
  const agent = new Agent({
    config: loadRunConfig(file),
    clock,
    clients: { 'stratum+tcp': fake, 'stratum+ssl': fake, 'stratum2+tcp': fake },
    noApi: true,
    simulated: simulatedParts,
  });
  return { agent, made, clock, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('D2: addpool goes through the config schema: credentials in the URL, other schemes, bad ports, SV2 without a key are refused, and nothing echoes the secret', async () => {
  const t = agentWithPools(['stratum+tcp://a.example:3333']);
  const c = agentControl(t.agent);
  for (const url of [
    'stratum+tcp://user:s3cret-pw@b.example:3333',
    'http://b.example:3333',
    'garbage',
    'stratum+tcp://b.example:99999',
    'stratum+tcp://b.example:0',
    'stratum2+tcp://b.example:3336',
  ]) {
    const r = await c.addPool({ url, user: 'rig', password: 'x' });
    assert.equal(r.ok, false, url);
    assert.equal(r.ok ? '' : r.code, 'invalid', url);
    assert.ok(!JSON.stringify(r).includes('s3cret-pw'), JSON.stringify(r));
  }
  assert.equal(t.agent.groups[0]?.pools.length, 1, 'nothing was added');
  const ok = await c.addPool({ url: `stratum2+tcp://b.example:3336/${KEY}`, user: 'rig', password: 'x' });
  assert.equal(ok.ok, true, JSON.stringify(ok));
  t.done();
});

test('D2: pool ids never come from URLs; URLs are redacted in every snapshot of the pools', async () => {
  const t = agentWithPools(['stratum+tcp://a.example:3333', 'stratum+tcp://b.example:3333']);
  const ids = t.agent.pools?.stats().pools.map((p) => p.id) ?? [];
  assert.equal(ids.length, 2);
  for (const id of ids) assert.doesNotMatch(id, /example|stratum|:\/\//, id);
  const added = await agentControl(t.agent).addPool({ url: 'stratum+tcp://c.example:3333', user: 'rig', password: 'x' });
  assert.equal(added.ok, true);
  assert.doesNotMatch(added.ok ? (added.poolId ?? '') : '', /example|stratum/);
  t.done();
  // A manager handed a URL with credentials by any other path still never shows them.
  const clock = new ManualClock();
  const m = new PoolManager({
    groups: [{ name: 'g', pools: [{ url: 'stratum+tcp://rig:hunter2@pool.example:3333', user: 'rig' }] }],
    factory: fakeFactory(clock).factory,
    clock,
  });
  const snap = poolSnapshots(
    m.stats(),
    new MiningStats(clock),
    () => undefined,
    (ms) => ms,
  );
  assert.ok(!JSON.stringify(snap).includes('hunter2'), JSON.stringify(snap));
  assert.doesNotMatch(snap[0]?.id ?? '', /pool\.example|stratum/);
});

test('D6: addpool stops at the schema limit of 32 pools per group', async () => {
  const t = agentWithPools(['stratum+tcp://a.example:3333']);
  const c = agentControl(t.agent);
  let refused: string | undefined;
  for (let i = 0; i < 40 && refused === undefined; i++) {
    const r = await c.addPool({ url: `stratum+tcp://p${i}.example:3333`, user: 'rig', password: 'x' });
    if (!r.ok) refused = `${r.code}: ${r.message}`;
  }
  assert.match(refused ?? '', /^invalid: .*32/);
  assert.equal(t.agent.groups[0]?.pools.length, 32);
  t.done();
});

test('D6: pool edits are applied to the running manager, not by replacing it: a share in flight is answered', async () => {
  const t = agentWithPools(['stratum+tcp://a.example:3333', 'stratum+tcp://b.example:3333']);
  const m = t.agent.pools;
  assert.ok(m);
  m.start();
  const a = t.made[0];
  assert.ok(a);
  a.ready();
  t.made[1]?.ready();
  const job = m.currentJob();
  assert.ok(job);
  a.answer = () => 'hold';
  const outcome = m.submit(shareFor(job));
  await Promise.resolve();
  const c = agentControl(t.agent);
  const poolIds = m.stats().pools.map((p) => p.id);
  assert.equal((await c.addPool({ url: 'stratum+tcp://c.example:3333', user: 'rig', password: 'x' })).ok, true);
  assert.equal((await c.disablePool(poolIds[1] as string)).ok, true);
  assert.equal((await c.enablePool(poolIds[1] as string)).ok, true);
  assert.equal(t.agent.pools, m, 'the same pool manager');
  assert.equal(t.made.filter((u) => u.id === a.id).length, 1, 'pool A kept its session');
  a.release({ status: 'accepted' });
  assert.deepEqual(await outcome, { status: 'accepted' });
  assert.equal(m.stats().pools.find((p) => p.id === a.id)?.accepted, 1, 'the counters survived the edits');
  // switchpool moves the chains at once when the pool is connected.
  assert.equal((await c.switchPool(poolIds[1] as string)).ok, true);
  t.made
    .filter((u) => u.id === poolIds[1])
    .at(-1)
    ?.ready();
  t.clock.advance(1000);
  assert.equal(m.currentPool(), poolIds[1]);
  await m.stop();
  t.done();
});
