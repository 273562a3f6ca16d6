// contrib/pyasic's backend and the agent must not drift apart: every STATS[1] key the patch's
// AsicAgent backend reads (s.get("…"), s["…"], f-string keys with their index) is one the agent sends,
// and every key pyasic's own BMMiner backend reads for the listed fields is there too
// (pyasic @ e2b9d357, pyasic/miners/backends/bmminer.py:159-282).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readOnlyControl } from '../../../src/api/agent-control.js';
import { WriteAccess } from '../../../src/api/cgminer-access.js';
import { CgminerDispatcher } from '../../../src/api/cgminer-dispatch.js';
import { SystemClock } from '../../../src/clock.js';
import { ROOT } from '../../helpers/agent-process.js';
import { sampleSnapshot } from '../../helpers/api-snapshot.js';

const PATCH = readFileSync(`${ROOT}contrib/pyasic/0001-asic-agent-backend.patch`, 'utf8');

/** The added lines of one file of the patch. */
function addedLines(path: string): string {
  const start = PATCH.indexOf(`+++ b/${path}`);
  assert.ok(start >= 0, `${path} in the patch`);
  const end = PATCH.indexOf('\ndiff --git', start);
  return PATCH.slice(start, end < 0 ? undefined : end)
    .split('\n')
    .filter((l) => l.startsWith('+') && !l.startsWith('+++'))
    .map((l) => l.slice(1))
    .join('\n');
}

async function statsItem(): Promise<Record<string, unknown>> {
  const s = sampleSnapshot();
  s.alarms.push({ key: 'pool:backup:down', kind: 'pool', severity: 'warning', message: 'pool backup is down', at: 1, active: true });
  const d = new CgminerDispatcher({
    snapshot: () => s,
    control: readOnlyControl,
    access: new WriteAccess({ enabled: false, allow: [] }),
    clock: new SystemClock(),
  });
  const r = await d.handle('{"command": "stats"}', '127.0.0.1');
  return ((JSON.parse(r.text) as { STATS: Record<string, unknown>[] }).STATS[1] ?? {}) as Record<string, unknown>;
}

test('every STATS[1] key the contrib/pyasic backend reads is one the agent sends', async () => {
  const backend = addedLines('pyasic/miners/backends/asic_agent.py');
  const plain = [...backend.matchAll(/s(?:\.get\(|\[)"([a-z_]+)"/g)].map((m) => m[1] as string);
  const indexed = [...backend.matchAll(/f"([a-z_]+)\{i\}"/g)].map((m) => `${m[1] as string}1`);
  const keys = [...new Set([...plain, ...indexed])];
  assert.ok(keys.includes('miner_count') && keys.includes('power') && keys.includes('alarm1'), keys.join(' '));
  const item = await statsItem();
  for (const k of keys) assert.ok(k in item, `STATS[1] has ${k}`);
  // pyasic's own BMMiner backend, for the fields the issue lists.
  for (const k of ['Elapsed', 'total_rateideal', 'rate_unit', 'fan1', 'temp1', 'temp2_1', 'chain_acn1', 'chain_acs1', 'chain_rate1'])
    assert.ok(k in item, `STATS[1] has ${k}`);
});

test('the patch recognises the agent by the name it gives in every reply, and its recorded replies have the agent layout', async () => {
  const factory = addedLines('pyasic/miners/factory.py');
  assert.match(factory, /if "ASIC-AGENT" in upper_data:\n\s+return MinerTypes.ASIC_AGENT/);
  const recorded = addedLines('tests/miners_tests/backends_tests/asic_agent_tests/test_asic_agent.py');
  const json = recorded.slice(recorded.indexOf('r"""') + 4, recorded.lastIndexOf('"""'));
  const rec = JSON.parse(json) as { rpc_stats: { STATS: Record<string, unknown>[] } };
  const live = Object.keys(await statsItem()).filter((k) => !/\d$/.test(k));
  const old = Object.keys(rec.rpc_stats.STATS[1] ?? {}).filter((k) => !/\d$/.test(k));
  assert.deepEqual(old.sort(), live.sort());
});
