// The pool list the dashboard, the settings API and the cgminer write commands edit, and the file
// edits it turns into.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { loadRunConfig } from '../../../src/config/run-config.js';
import { editToml } from '../../../src/config/toml-edit.js';
import { locatePool, poolIds, poolListEdits, poolListOf } from '../../../src/agent/pool-list.js';
import { settingsEdits, SettingsRequestError } from '../../../src/agent/settings.js';

function config(text: string): { cfg: ReturnType<typeof loadRunConfig>; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'asic-pool-list-'));
  try {
    const f = join(dir, 'agent.toml');
    writeFileSync(f, text);
    return { cfg: loadRunConfig(f), text };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const POOLS = `version = 1
[board]
config = "sim-bm1370"
[[pool]]
name = "b"
url = "stratum+tcp://b.example:3333"
user = "w"
priority = 2
[[pool]]
url = "stratum+tcp://a.example:3333"
user = "w"
password = "pw"   # keep me
priority = 1
channel = "standard"
`;

test('the list is in failover order, with the ids the API uses, and no passwords', () => {
  const { cfg } = config(POOLS);
  const list = poolListOf(cfg.agent);
  assert.equal(list.form, 'pool');
  const pools = list.groups[0]?.pools ?? [];
  assert.deepEqual(
    pools.map((p) => [p.id, p.from?.index, p.hasPassword]),
    [
      ['pool2', 1, true],
      ['b', 0, false],
    ],
  );
  assert.ok(!JSON.stringify(list).includes('"pw"'));
  assert.deepEqual(locatePool(list, 'b'), { g: 0, p: 1 });
});

test('written back in the list order without priorities; untouched keys and comments stay', () => {
  const { cfg, text } = config(POOLS);
  const list = poolListOf(cfg.agent);
  const edits = poolListEdits(list, parse(text) as Record<string, unknown>);
  const out = editToml(text, edits);
  const data = parse(out) as { pool: Record<string, unknown>[] };
  assert.deepEqual(
    data.pool.map((p) => [p.url, p.priority, p.password, p.channel]),
    [
      ['stratum+tcp://a.example:3333', undefined, 'pw', 'standard'],
      ['stratum+tcp://b.example:3333', undefined, undefined, undefined],
    ],
  );
  assert.ok(out.includes('password = "pw"   # keep me'));
});

test('with Job Declaration, ids skip its own entry', () => {
  const { cfg } = config(
    `${POOLS}[job_declaration]\ntemplate_provider = "stratum2+tcp://127.0.0.1:8442"\ntemplate_provider_allow_unauthenticated = true\n[[job_declaration.pool]]\nname = "jd"\nurl = "stratum2+tcp://127.0.0.1:34254"\njds_url = "stratum2+tcp://127.0.0.1:34264"\nuser = "w"\nallow_unauthenticated = true\n`,
  );
  const ids = poolIds(cfg.agent);
  assert.equal(ids.get('0:0'), 'b');
  assert.equal(ids.get('0:1'), 'pool2');
});

test('settings requests: only changed values become edits; bad shapes are refused with their key', () => {
  const { cfg, text } = config(POOLS);
  const raw = parse(text) as Record<string, unknown>;
  assert.deepEqual(settingsEdits({ fans: { mode: 'auto', duty: 70 }, log: { level: 'info' } }, cfg, raw).edits, []);
  const { edits, changed } = settingsEdits({ fans: { mode: 'manual' }, board: { frequency_mhz: 500 } }, cfg, raw);
  assert.deepEqual(changed, ['fans.mode', 'board.frequency_mhz']);
  assert.equal(edits.length, 2);
  const unchangedPools = { groups: poolListOf(cfg.agent).groups };
  assert.deepEqual(settingsEdits({ pools: unchangedPools }, cfg, raw).edits, [], 'the same pools write nothing');
  assert.throws(
    () => settingsEdits({ fans: { duty: '80' } }, cfg, raw),
    (e: unknown) => e instanceof SettingsRequestError && e.key === 'fans.duty',
  );
  assert.throws(
    () => settingsEdits({ wifi: {} }, cfg, raw),
    (e: unknown) => e instanceof SettingsRequestError && e.key === 'wifi',
  );
  assert.throws(
    () => settingsEdits({ pools: { groups: [{ pools: [{ url: 1 }] }] } }, cfg, raw),
    (e: unknown) => e instanceof SettingsRequestError && e.key === 'pool[0].url',
  );
});
