// The agent config's pool and API sections: every error names the key and the line and says what is
// allowed; valid sections map onto the pool manager's and the APIs' options.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunConfig } from '../../../src/config/run-config.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { poolGroupsOf, poolManagerTiming } from '../../../src/config/pool-sections.js';
import { toApiOptionsInput } from '../../../src/config/api-section.js';
import { resolveApiOptions } from '../../../src/api/api-options.js';

const KEY = '9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXh';

function issues(toml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const f = join(dir, 'agent.toml');
  writeFileSync(f, toml);
  try {
    loadRunConfig(f);
    return 'ok';
  } catch (err) {
    if (err instanceof ConfigError) return err.message.replaceAll(dir, 'DIR');
    throw err;
  }
}

const head = 'version = 1\n[board]\nconfig = "sim-bm1370"\n';

test('pools: valid [[pool]] and [[group]] configs map onto the pool manager', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const f = join(dir, 'agent.toml');
  writeFileSync(
    f,
    head +
      `[pools]\nfailback = 30\nstandby = 0\n[[group]]\nname = "main"\nquota = 3\n[[group.pool]]\nurl = "stratum2+tcp://pool.example:34254/${KEY}"\nuser = "acct.w1"\n[[group.pool]]\nurl = "stratum+ssl://backup.example:443"\nuser = "w"\npassword = "secret"\ntls_ca_file = "/etc/ca.pem"\n[[group]]\nname = "other"\n[[group.pool]]\nurl = "stratum+tcp://p.example:3333"\nuser = "u"\nsuggest_difficulty = 1024\n`,
  );
  const cfg = loadRunConfig(f);
  const groups = poolGroupsOf(cfg.agent.pool, cfg.agent.group);
  assert.equal(groups.length, 2);
  assert.equal(groups[0]?.quota, 3);
  assert.deepEqual(groups[0]?.pools[1]?.tls, { caFile: '/etc/ca.pem' });
  assert.equal(groups[0]?.pools[0]?.channel, 'extended');
  assert.equal(groups[1]?.pools[0]?.suggestDifficulty, 1024);
  const t = poolManagerTiming(cfg.agent.pools);
  assert.equal(t.failbackMs, 30_000);
  assert.equal(t.standby, 0);
});

test('pools: errors name the key, the line and what is allowed', () => {
  assert.match(
    issues(head + '[[pool]]\nurl = "http://pool.example:80"\nuser = "u"\n'),
    /agent\.toml:5: pool\[0\]\.url: "http:\/\/pool\.example:80" is not stratum2\+tcp:\/\/host:port\/AUTHORITY_KEY, stratum\+tcp:\/\/host:port or stratum\+ssl:\/\/host:port/,
  );
  assert.match(issues(head + '[[pool]]\nurl = "stratum+tcp://p:3333"\n'), /agent\.toml:4: pool\[0\]\.user: missing/);
  assert.match(issues(head + '[[pool]]\nurl = "stratum2+tcp://p:34254"\nuser = "u"\n'), /agent\.toml:5: pool\[0\]\.url: has no authority key/);
  assert.match(
    issues(head + '[[pool]]\nurl = "stratum2+tcp://127.0.0.1:34250"\nuser = "u"\nplain = true\n'),
    /agent\.toml:7: pool\[0\]\.plain: needs allow_unauthenticated = true/,
  );
  assert.match(
    issues(head + '[[pool]]\nurl = "stratum+tcp://p:3333"\nuser = "u"\nchannel = "group"\n'),
    /agent\.toml:7: pool\[0\]\.channel: "group" is not allowed; expected one of "extended", "standard"/,
  );
  assert.match(issues(head + '[[pool]]\nurl = "stratum+tcp://p:3333"\nuser = "u"\nusr = "u"\n'), /agent\.toml:7: pool\[0\]\.usr: unknown key/);
  assert.match(
    issues(head + '[[pool]]\nurl = "stratum+tcp://p:3333"\nuser = "u"\n[[group]]\nname = "g"\n[[group.pool]]\nurl = "stratum+tcp://q:3333"\nuser = "u"\n'),
    /group: use either \[\[pool\]\] \(one group\) or \[\[group\]\]/,
  );
  assert.match(issues(head + '[pools]\nreject_run = 0\n'), /agent\.toml:5: pools\.reject_run: 0 is out of range/);
});

test('api: defaults, overrides, and errors with their lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const f = join(dir, 'agent.toml');
  writeFileSync(
    f,
    head +
      '[api.cgminer]\nport = 14028\n[api.cgminer.write]\nenabled = true\nallow = ["10.0.0.0/8"]\ntoken = "0123456789abcdefXYZ"\n[api.http]\nenabled = false\n',
  );
  const api = resolveApiOptions(toApiOptionsInput(loadRunConfig(f).agent.api));
  assert.equal(api.cgminer.port, 14028);
  assert.equal(api.cgminer.host, '127.0.0.1');
  assert.equal(api.cgminer.write.enabled, true);
  assert.equal(api.http.enabled, false);
  assert.match(issues(head + '[api.http]\nport = 70000\n'), /agent\.toml:5: api\.http\.port: 70000 is out of range/);
  assert.match(issues(head + '[api.cgminer]\nlisten = "0.0.0.0"\n'), /agent\.toml:5: api\.cgminer\.listen: unknown key/);
  // Write access needs an allow-list and a real token: checked at load time, reported at the key's line.
  assert.match(
    issues(head + '[api.cgminer.write]\nenabled = true\nallow = ["10.0.0.0/8"]\ntoken = "short"\n'),
    /agent\.toml:\d+: api\.cgminer\.write\.token: write access needs a token of at least 16 characters/,
  );
  assert.match(
    issues(head + '[api.cgminer.write]\nenabled = true\ntoken = "0123456789abcdefXYZ"\n'),
    /api\.cgminer\.write\.allow: write access needs at least one allowed client address/,
  );
});
