// [mqtt] and [[webhook]]: strict like every section (errors name key and line), mapped onto the
// notifiers' options; commands only behind a broker username; webhook URLs shown by origin only.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { notifyOptionsOf } from '../../../src/agent/notify-config.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadRunConfig, type RunConfig } from '../../../src/config/run-config.js';
import { nodeIdFrom } from '../../../src/notify/mqtt-options.js';
import { urlOrigin } from '../../../src/notify/webhook.js';

const head = 'version = 1\n[board]\nconfig = "sim-bm1370"\n';

function load(toml: string): RunConfig | string {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const f = join(dir, 'agent.toml');
  writeFileSync(f, head + toml);
  try {
    return loadRunConfig(f);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
}

test('[mqtt] and [[webhook]] map onto the notifiers; defaults filled in', () => {
  const cfg = load(
    '[mqtt]\nurl = "mqtt://10.0.0.2:1883"\nusername = "rig"\npassword = "pw"\nnode_id = "rig-7"\ncommands = true\n[[webhook]]\nurl = "https://hooks.example/T0/B1/secret"\ntoken = "abc"\nkinds = ["thermal", "fan"]\nmin_severity = "critical"\n[[webhook]]\nurl = "http://10.0.0.3:8080/alerts"\n',
  );
  assert.ok(typeof cfg !== 'string', String(cfg));
  const o = notifyOptionsOf(cfg.agent);
  assert.deepEqual(o.mqtt, {
    url: 'mqtt://10.0.0.2:1883',
    username: 'rig',
    password: 'pw',
    nodeId: 'rig-7',
    discoveryPrefix: 'homeassistant',
    baseTopic: 'asic-agent',
    intervalMs: 10_000,
    commands: true,
    reconnectMinMs: 1000,
    reconnectMaxMs: 60_000,
  });
  assert.equal(o.webhooks.length, 2);
  assert.deepEqual(o.webhooks[0], {
    url: 'https://hooks.example/T0/B1/secret',
    token: 'abc',
    kinds: ['thermal', 'fan'],
    minSeverity: 'critical',
    timeoutMs: 5000,
    attempts: 8,
    backoffMinMs: 1000,
    backoffMaxMs: 300_000,
    queue: 100,
  });
  assert.equal(o.webhooks[1]?.minSeverity, 'warning');
  // Nothing configured: nothing on.
  const bare = load('');
  assert.ok(typeof bare !== 'string');
  assert.deepEqual(notifyOptionsOf(bare.agent), { webhooks: [] });
});

test('bad values are errors naming the key and the line', () => {
  assert.match(String(load('[mqtt]\nurl = "http://broker"\n')), /:5: mqtt\.url: "http:\/\/broker" is not a broker URL/);
  assert.match(String(load('[mqtt]\nurl = "mqtt://b:1883"\ncommands = true\n')), /mqtt\.commands.*username/s);
  assert.match(String(load('[mqtt]\nurl = "mqtt://b:1883"\nnode_id = "has space"\n')), /mqtt\.node_id/);
  assert.match(String(load('[mqtt]\nurl = "mqtt://b:1883"\nreconnect_min_ms = 5000\nreconnect_max_ms = 1000\n')), /reconnect_min_ms/);
  assert.match(String(load('[[webhook]]\nurl = "ftp://x"\n')), /webhook\[0\]\.url/);
  assert.match(String(load('[[webhook]]\nurl = "http://x"\nkinds = ["hot"]\n')), /webhook\[0\]\.kinds/);
  assert.match(String(load('[[webhook]]\nurl = "http://x"\nqueue = 0\n')), /webhook\[0\]\.queue/);
  assert.match(String(load('[[webhook]]\nurl = "http://x"\nsurprise = 1\n')), /surprise/);
});

test('node ids from host names; webhook URLs by origin', () => {
  assert.equal(nodeIdFrom('Miner 7.local'), 'miner-7-local');
  assert.equal(nodeIdFrom('...'), 'miner');
  assert.equal(urlOrigin('https://discord.com/api/webhooks/123/SECRET?x=1'), 'https://discord.com');
  assert.equal(urlOrigin('not a url'), '[invalid url]');
});
