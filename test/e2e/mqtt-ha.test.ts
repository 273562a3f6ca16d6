// The agent on a real MQTT broker (Debian's mosquitto), seen as Home Assistant sees it: a subscriber on
// the discovery prefix finds the device and its entities (retained configs), reads their values from the
// state topic and sees them change; killing the broker does not disturb mining; when the broker comes
// back (without persistence, so nothing retained survives) the agent announces the device again; pause
// and resume arrive over the command topic behind the broker's password; the last will says offline
// when the agent dies.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import { startAgentProcess, statusRecords, type AgentProcess } from '../helpers/agent-process.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { TOOLS, toolTest } from '../helpers/system-tool.js';

const USER = 'miner';
const PASS = 'broker-password-e2e';
const NODE = 'e2e-miner';

interface Seen {
  client: MqttClient;
  messages: Map<string, string>;
  /** Resolves when `pred` holds for a message (already seen or still to come). */
  waitFor(pred: (topic: string, payload: string) => boolean, what: string): Promise<[string, string]>;
  close(): Promise<void>;
}

/** A subscriber like Home Assistant's MQTT integration: discovery prefix and the state topics. */
async function subscriber(url: string): Promise<Seen> {
  const client = connect(url, { username: USER, password: PASS, reconnectPeriod: 0, clientId: `ha-${Math.random().toString(16).slice(2)}` });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const messages = new Map<string, string>();
  const waiters: { pred: (t: string, p: string) => boolean; resolve: (m: [string, string]) => void }[] = [];
  client.on('message', (topic, payload) => {
    const p = payload.toString('utf8');
    messages.set(topic, p);
    for (const w of waiters.slice()) {
      if (w.pred(topic, p)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve([topic, p]);
      }
    }
  });
  await client.subscribeAsync(['homeassistant/#', 'asic-agent/#'], { qos: 1 });
  return {
    client,
    messages,
    waitFor(pred, what) {
      for (const [t, p] of messages) if (pred(t, p)) return Promise.resolve([t, p]);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no MQTT message: ${what}; seen: ${[...messages.keys()].join(' ')}`)), 90_000);
        waiters.push({
          pred,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
    close: () => client.endAsync(true),
  };
}

const state = (p: string): Record<string, number | string> => JSON.parse(p) as Record<string, number | string>;
const lastAccepted = (a: AgentProcess): number => Number(statusRecords(a).at(-1)?.accepted ?? 0);

toolTest(
  'Home Assistant over MQTT: discovery, values, broker loss, rediscovery, commands, last will',
  [TOOLS.mosquitto, TOOLS.mosquittoPasswd],
  { timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asic-e2e-mqtt-'));
    const broker = await startMosquitto({ [USER]: PASS });
    const pool = new Sv2Pool({ port: 0, difficulty: 2e5 / 2 ** 32, prevHashIntervalSeconds: 0, ackFlushMs: 300 });
    const { url } = await pool.start();
    const cfg = join(dir, 'agent.toml');
    writeFileSync(
      cfg,
      [
        'version = 1',
        '[board]',
        'config = "sim-bm1370"',
        '[log]',
        'status_interval_s = 1',
        '[api.cgminer]',
        'enabled = false',
        '[api.http]',
        'enabled = false',
        '[mqtt]',
        `url = "${broker.url}"`,
        `username = "${USER}"`,
        `password = "${PASS}"`,
        `node_id = "${NODE}"`,
        'interval_s = 1',
        'commands = true',
        'reconnect_min_ms = 200',
        'reconnect_max_ms = 2000',
        '[[pool]]',
        'name = "lab"',
        `url = ${JSON.stringify(url)}`,
        'user = "e2e.worker"',
        '',
      ].join('\n'),
    );
    const agent = startAgentProcess(['run', '--config', cfg]);
    let ha = await subscriber(broker.url);
    try {
      await agent.waitFor((r) => r.msg === 'mqtt connected', 'mqtt connected');
      // The device and its entities, from the retained discovery configs.
      const [, hashrateCfg] = await ha.waitFor((t) => t === `homeassistant/sensor/${NODE}/hashrate_ths/config`, 'the hashrate entity');
      const c = JSON.parse(hashrateCfg) as Record<string, unknown> & { device: Record<string, unknown> };
      assert.equal(c.state_topic, `asic-agent/${NODE}/state`);
      assert.equal(c.availability_topic, `asic-agent/${NODE}/availability`);
      assert.equal(c.unit_of_measurement, 'TH/s');
      assert.deepEqual(c.device.identifiers, [`asic-agent_${NODE}`]);
      assert.equal(c.device.model, 'sim-bm1370');
      assert.match(String(c.device.sw_version), /^asic-agent \d/);
      for (const key of [
        'power_w',
        'efficiency_jth',
        'accepted',
        'rejected',
        'stale',
        'pool',
        'temp_chip',
        'fan_fan_rpm',
        'chain0_temp',
        'hashrate_nominal_ths',
      ]) {
        await ha.waitFor((t) => t === `homeassistant/sensor/${NODE}/${key}/config`, `the ${key} entity`);
      }
      await ha.waitFor((t) => t === `homeassistant/binary_sensor/${NODE}/problem/config`, 'the problem entity');
      await ha.waitFor((t) => t === `homeassistant/button/${NODE}/pause/config`, 'the pause button');
      await ha.waitFor((t, p) => t === `asic-agent/${NODE}/availability` && p === 'online', 'online');

      // Values, and values that change: shares accepted go up, the hashrate is measured.
      const [, first] = await ha.waitFor((t, p) => t === `asic-agent/${NODE}/state` && state(p).pool === 'lab', 'a state with the pool in use');
      const s0 = state(first);
      assert.ok(Number(s0.temp_chip) > 0 && Number(s0.fan_fan_rpm) >= 0, first);
      await ha.waitFor(
        (t, p) =>
          t === `asic-agent/${NODE}/state` &&
          Number(state(p).accepted) > Number(s0.accepted) &&
          Number(state(p).hashrate_ths) > 0 &&
          Number(state(p).power_w) > 0,
        'accepted shares going up',
      );

      // The broker dies: mining goes on (accepted shares keep coming, as the status records say).
      await ha.close();
      await broker.kill();
      await agent.waitFor((r) => r.msg === 'mqtt disconnected; reconnecting', 'the agent notices');
      const before = lastAccepted(agent);
      await agent.waitFor((r) => r.msg === 'status' && Number(r.accepted) > before, 'more accepted shares with the broker down');
      const beforeAgain = lastAccepted(agent);
      await agent.waitFor((r) => r.msg === 'status' && Number(r.accepted) > beforeAgain, 'and more');

      // It comes back with nothing retained: the device is announced again.
      const connects = agent.records.filter((r) => r.msg === 'mqtt connected').length;
      await broker.start();
      await agent.waitFor((r) => r.msg === 'mqtt connected' && agent.records.filter((x) => x.msg === 'mqtt connected').indexOf(r) >= connects, 'reconnected');
      ha = await subscriber(broker.url);
      await ha.waitFor((t) => t === `homeassistant/sensor/${NODE}/hashrate_ths/config`, 'the hashrate entity again');
      await ha.waitFor((t, p) => t === `asic-agent/${NODE}/availability` && p === 'online', 'online again');

      // Commands, behind the broker's password. A power-up is allowed at most once per 30 s (issue 21 D1,
      // src/board/power-up-gate.ts): a resume pressed sooner is kept and happens when the limit allows.
      await ha.client.publishAsync(`asic-agent/${NODE}/command`, 'pause', { qos: 1 });
      await ha.waitFor((t, p) => t === `asic-agent/${NODE}/state` && state(p).board_state === 'paused', 'paused');
      await ha.client.publishAsync(`asic-agent/${NODE}/command`, 'resume', { qos: 1 });
      await ha
        .waitFor((t, p) => t === `asic-agent/${NODE}/state` && state(p).board_state === 'running', 'running again')
        .catch((err: unknown) => {
          // What the board and the command path said meanwhile, so that a failure here names its cause.
          const said = agent.records.filter((r) => r.module === 'board' || r.module === 'mqtt' || /resume|pause|power/.test(String(r.msg)));
          throw new Error(
            `${err instanceof Error ? err.message : String(err)}\nagent: ${said
              .slice(-15)
              .map((r) => JSON.stringify(r))
              .join('\n')}`,
          );
        });

      // The agent dies without a word: the broker publishes its last will.
      agent.child.kill('SIGKILL');
      await ha.waitFor((t, p) => t === `asic-agent/${NODE}/availability` && p === 'offline', 'offline (last will)');
    } finally {
      await ha.close().catch(() => undefined);
      await agent.stop('SIGKILL');
      await pool.stop();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
