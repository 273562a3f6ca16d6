/**
 * The agent on an MQTT broker: the state every `interval`, Home Assistant discovery configs (retained,
 * ha-discovery.ts), availability with a last will, and optionally pause / resume commands.
 *
 * Mining never waits on the broker: every publish is fire-and-forget, nothing is queued while the
 * connection is down (mqtt.js would otherwise keep QoS 0 messages in memory: `queueQoSZero: false`, and
 * nothing is published at all while disconnected), and reconnecting is ours, with exponential backoff
 * and jitter (mqtt.js only knows a fixed period). On every (re)connect the discovery configs, `online`
 * and the state go out again, and again whenever Home Assistant announces itself on
 * `<discovery_prefix>/status` (its birth message), so a restarted broker or Home Assistant without
 * persistence still learns the device.
 *
 * Commands are only accepted when `commands = true`, which the config allows only with a broker
 * username: the broker's authentication and ACLs decide who may publish on the command topic.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { AgentControl } from '../api/agent-control.js';
import type { SnapshotProvider } from '../api/snapshot.js';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { logger, type Logger } from '../log.js';
import { Backoff } from '../upstream/sv2/backoff.js';
import { discoveryMessages, minerState, topics } from './ha-discovery.js';
import type { MqttOptions } from './mqtt-options.js';

export interface MqttBridgeDeps {
  snapshot: SnapshotProvider;
  control?: AgentControl;
  clock?: Clock;
  log?: Logger;
}

export interface MqttBridgeStats {
  connected: boolean;
  connects: number;
  statePublishes: number;
  discoveryPublishes: number;
  commands: number;
}

/**
 * mqtt.js, loaded when a bridge first starts: most miners configure no broker, and loading it costs
 * about 20 MB of resident memory and a few hundred ms at start on a small board (scripts/bench/
 * deployed.bench.ts). Node resolves `mqtt` to the same CommonJS build (build/index.js, the package's
 * "default" export condition) for require as for import.
 */
let mqttModule: typeof import('mqtt') | undefined;
function mqttConnect(): typeof import('mqtt')['connect'] {
  mqttModule ??= createRequire(import.meta.url)('mqtt') as typeof import('mqtt');
  return mqttModule.connect;
}

export class MqttBridge {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly t: ReturnType<typeof topics>;
  private readonly backoff: Backoff;
  private client: MqttClient | undefined;
  private interval: TimerHandle | undefined;
  private reconnectTimer: TimerHandle | undefined;
  private closing = false;
  /** Discovery topics published on the current connection. */
  private announced = new Set<string>();
  private lastError = '';
  private readonly counts = { connects: 0, statePublishes: 0, discoveryPublishes: 0, commands: 0 };

  constructor(
    private readonly o: MqttOptions,
    private readonly deps: MqttBridgeDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log ?? logger('notify.mqtt');
    this.t = topics(o);
    this.backoff = new Backoff({ initialMs: o.reconnectMinMs, maxMs: o.reconnectMaxMs });
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  stats(): MqttBridgeStats {
    return { connected: this.connected, ...this.counts };
  }

  /** Starts connecting and returns at once. */
  start(): void {
    const opts: IClientOptions = {
      clientId: `asic-agent-${this.o.nodeId}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      queueQoSZero: false,
      will: { topic: this.t.availability, payload: Buffer.from('offline'), retain: true, qos: 1 },
      ...(this.o.username !== undefined ? { username: this.o.username } : {}),
      ...(this.o.password !== undefined ? { password: this.o.password } : {}),
      ...(this.o.tlsCaFile !== undefined ? { ca: readFileSync(this.o.tlsCaFile) } : {}),
    };
    const c = (this.client = mqttConnect()(this.o.url, opts));
    c.on('connect', () => this.onConnect());
    c.on('close', () => this.onClose());
    c.on('error', (err) => {
      // Said once per distinct error, not once per retry.
      if (err.message !== this.lastError) this.log.warn({ broker: this.brokerName(), err: err.message }, 'mqtt error');
      this.lastError = err.message;
    });
    c.on('message', (topic, payload) => this.onMessage(topic, payload.toString('utf8')));
    this.interval = this.clock.setInterval(() => this.publishState(), this.o.intervalMs);
  }

  /** Publishes the state now (alarm raised or cleared); nothing when disconnected. */
  publishState(): void {
    const c = this.client;
    if (!c?.connected) return;
    let snap;
    try {
      snap = this.deps.snapshot();
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'mqtt: no snapshot');
      return;
    }
    const state = minerState(snap);
    // Entities that appeared since the last announcement (a sensor read for the first time).
    for (const m of discoveryMessages(snap, this.o, state)) {
      if (this.announced.has(m.topic)) continue;
      this.announced.add(m.topic);
      this.publish(m.topic, JSON.stringify(m.payload), true, 1);
      this.counts.discoveryPublishes++;
    }
    this.publish(this.t.state, JSON.stringify(state), true, 0);
    this.counts.statePublishes++;
  }

  /** Says `offline` (retained) and disconnects. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.clock.clearInterval(this.interval);
    this.clock.clearTimeout(this.reconnectTimer);
    const c = this.client;
    if (!c) return;
    if (c.connected) {
      await new Promise<void>((resolve) => c.publish(this.t.availability, 'offline', { retain: true, qos: 1 }, () => resolve()));
    }
    await new Promise<void>((resolve) => c.end(true, {}, () => resolve()));
  }

  private brokerName(): string {
    try {
      const u = new URL(this.o.url);
      return `${u.protocol}//${u.host}`;
    } catch {
      return '[invalid url]';
    }
  }

  private publish(topic: string, payload: string, retain: boolean, qos: 0 | 1): void {
    this.client?.publish(topic, payload, { retain, qos }, (err) => {
      if (err && !this.closing) this.log.debug({ topic, err: err.message }, 'mqtt publish failed');
    });
  }

  private onConnect(): void {
    this.counts.connects++;
    this.backoff.reset();
    this.lastError = '';
    this.log.info({ broker: this.brokerName(), node: this.o.nodeId, state: this.t.state }, 'mqtt connected');
    const subs = [this.t.haStatus, ...(this.o.commands ? [this.t.command] : [])];
    this.client?.subscribe(subs, { qos: 1 }, (err) => {
      if (err && !this.closing) this.log.warn({ err: err.message }, 'mqtt subscribe failed');
    });
    this.publish(this.t.availability, 'online', true, 1);
    this.announced = new Set();
    this.publishState();
  }

  private onClose(): void {
    if (this.closing) return;
    if (this.reconnectTimer !== undefined) return;
    const wait = this.backoff.next();
    this.log.info({ broker: this.brokerName(), retryInMs: wait }, 'mqtt disconnected; reconnecting');
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closing) this.client?.reconnect();
    }, wait);
  }

  private onMessage(topic: string, payload: string): void {
    if (topic === this.t.haStatus) {
      // Home Assistant (re)started: announce everything again.
      if (payload.trim() === 'online') {
        this.announced = new Set();
        this.publishState();
      }
      return;
    }
    if (topic !== this.t.command || !this.o.commands) return;
    const cmd = payload.trim().toLowerCase();
    const control = this.deps.control;
    if (!control || (cmd !== 'pause' && cmd !== 'resume')) {
      this.log.warn({ command: cmd.slice(0, 32) }, 'mqtt: unknown command ignored');
      return;
    }
    this.counts.commands++;
    this.log.info({ command: cmd }, 'mqtt command');
    void (cmd === 'pause' ? control.pause() : control.resume())
      .then((r) => {
        this.log.info({ command: cmd, ok: r.ok, message: r.message }, 'mqtt command done');
        this.publishState();
      })
      .catch((err: unknown) => this.log.warn({ command: cmd, err: err instanceof Error ? err.message : String(err) }, 'mqtt command failed'));
  }
}
