/**
 * The miner as a Home Assistant device over MQTT (pure: a snapshot in, topics and payloads out).
 *
 * Home Assistant's MQTT discovery (home-assistant.io/integrations/mqtt, "MQTT Discovery"): one retained
 * config per entity on `<discovery_prefix>/<component>/<node_id>/<object_id>/config`, all entities
 * sharing one `device` block (identifiers, name, model, sw_version) so that they appear as one device;
 * every entity reads its value from one JSON state topic through a `value_template`, and is available
 * while the retained availability topic says `online` (the broker publishes the last will `offline`
 * when the agent's connection dies).
 *
 * Entities: hashrate (1 m, 5 s, expected), power, efficiency (J/TH), shares (accepted, rejected, stale:
 * total_increasing), best share, active pool, board state, uptime, every temperature sensor and every
 * chain's chip temperature and hashrate, every fan's speed and duty, alarm count, a `problem` binary
 * sensor and the active alarms' text; with commands on, Pause and Resume buttons.
 */
import { boardWatts } from '../api/bmminer-stats.js';
import type { AgentSnapshot } from '../api/snapshot.js';
import type { MqttOptions } from './mqtt-options.js';

export type MinerState = Record<string, number | string>;

export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

/** `[a-z0-9_]` only: a name from the board-config as a JSON key and object id. */
export function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'x'
  );
}

// Six significant digits, not fixed decimals: a small (or simulated) board is not 0.0000 TH/s.
const ths = (hps: number): number => Number((hps / 1e12).toPrecision(6));
const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function topics(o: Pick<MqttOptions, 'baseTopic' | 'nodeId' | 'discoveryPrefix'>): {
  state: string;
  availability: string;
  command: string;
  haStatus: string;
} {
  const base = `${o.baseTopic}/${o.nodeId}`;
  return { state: `${base}/state`, availability: `${base}/availability`, command: `${base}/command`, haStatus: `${o.discoveryPrefix}/status` };
}

/** The JSON published on the state topic. A figure the agent does not have is left out. */
export function minerState(s: AgentSnapshot): MinerState {
  const out: MinerState = {
    hashrate_ths: ths(s.hashrate.rate1m),
    hashrate_5s_ths: ths(s.hashrate.rate5s),
    board_state: s.board.state,
    uptime_s: Math.round(s.uptimeSeconds),
    accepted: s.shares.accepted,
    rejected: s.shares.rejected,
    stale: s.shares.stale,
    best_share: s.shares.bestShare,
    hw_errors: s.hwErrors,
  };
  if (s.hashrate.nominal !== undefined) out.hashrate_nominal_ths = ths(s.hashrate.nominal);
  const watts = boardWatts(s);
  if (watts !== undefined) {
    out.power_w = round(watts, 2);
    if (s.hashrate.rate1m > 0) out.efficiency_jth = round(watts / (s.hashrate.rate1m / 1e12), 2);
  }
  const pool = s.pools.find((p) => p.active);
  out.pool = pool ? pool.id : 'none';
  if (pool) out.pool_url = pool.url;
  for (const t of s.temperatures) out[`temp_${slug(t.name)}`] = round(t.celsius, 2);
  for (const c of s.chains) {
    out[`chain${c.id}_ths`] = ths(c.hashrate.rate1m);
    out[`chain${c.id}_state`] = c.state;
    if (c.temperature !== undefined) out[`chain${c.id}_temp`] = round(c.temperature, 2);
  }
  for (const f of s.fans) {
    out[`fan_${slug(f.name)}_duty`] = f.dutyPercent;
    if (f.rpm !== undefined) out[`fan_${slug(f.name)}_rpm`] = f.rpm;
  }
  const active = s.alarms.filter((a) => a.active);
  out.alarms = active.length;
  out.problem = active.length > 0 ? 'ON' : 'OFF';
  // Home Assistant keeps at most 255 characters of a state.
  out.alarm_text =
    active.length > 0
      ? active
          .map((a) => `[${a.severity}] ${a.message}`)
          .join('; ')
          .slice(0, 255)
      : 'none';
  return out;
}

interface EntitySpec {
  component: 'sensor' | 'binary_sensor' | 'button';
  key: string;
  name: string;
  unit?: string;
  deviceClass?: string;
  stateClass?: 'measurement' | 'total_increasing';
  icon?: string;
  category?: 'diagnostic';
  press?: string;
}

function entities(s: AgentSnapshot, state: MinerState, commands: boolean): EntitySpec[] {
  const e: EntitySpec[] = [
    { component: 'sensor', key: 'hashrate_ths', name: 'Hashrate', unit: 'TH/s', stateClass: 'measurement', icon: 'mdi:pickaxe' },
    { component: 'sensor', key: 'hashrate_5s_ths', name: 'Hashrate 5s', unit: 'TH/s', stateClass: 'measurement', icon: 'mdi:pickaxe', category: 'diagnostic' },
    { component: 'sensor', key: 'accepted', name: 'Shares accepted', stateClass: 'total_increasing', icon: 'mdi:check' },
    { component: 'sensor', key: 'rejected', name: 'Shares rejected', stateClass: 'total_increasing', icon: 'mdi:close' },
    { component: 'sensor', key: 'stale', name: 'Shares stale', stateClass: 'total_increasing', icon: 'mdi:timer-sand' },
    { component: 'sensor', key: 'best_share', name: 'Best share', stateClass: 'measurement', icon: 'mdi:trophy' },
    { component: 'sensor', key: 'hw_errors', name: 'Hardware errors', stateClass: 'total_increasing', category: 'diagnostic' },
    { component: 'sensor', key: 'pool', name: 'Pool', icon: 'mdi:server-network' },
    { component: 'sensor', key: 'board_state', name: 'State', icon: 'mdi:state-machine' },
    { component: 'sensor', key: 'uptime_s', name: 'Uptime', unit: 's', deviceClass: 'duration', category: 'diagnostic' },
    { component: 'sensor', key: 'alarms', name: 'Alarms', stateClass: 'measurement', icon: 'mdi:alarm-light' },
    { component: 'sensor', key: 'alarm_text', name: 'Alarm', icon: 'mdi:alert' },
    { component: 'binary_sensor', key: 'problem', name: 'Problem', deviceClass: 'problem' },
  ];
  if ('hashrate_nominal_ths' in state)
    e.push({ component: 'sensor', key: 'hashrate_nominal_ths', name: 'Expected hashrate', unit: 'TH/s', stateClass: 'measurement', icon: 'mdi:pickaxe' });
  if ('power_w' in state) {
    e.push({ component: 'sensor', key: 'power_w', name: 'Power', unit: 'W', deviceClass: 'power', stateClass: 'measurement' });
    e.push({ component: 'sensor', key: 'efficiency_jth', name: 'Efficiency', unit: 'J/TH', stateClass: 'measurement', icon: 'mdi:flash' });
  }
  for (const t of s.temperatures)
    e.push({
      component: 'sensor',
      key: `temp_${slug(t.name)}`,
      name: `Temperature ${t.name}`,
      unit: '°C',
      deviceClass: 'temperature',
      stateClass: 'measurement',
    });
  for (const c of s.chains) {
    const n = c.name ?? `chain${c.id}`;
    e.push({ component: 'sensor', key: `chain${c.id}_ths`, name: `Hashrate ${n}`, unit: 'TH/s', stateClass: 'measurement', icon: 'mdi:pickaxe' });
    e.push({ component: 'sensor', key: `chain${c.id}_state`, name: `State ${n}`, category: 'diagnostic' });
    if (c.temperature !== undefined)
      e.push({
        component: 'sensor',
        key: `chain${c.id}_temp`,
        name: `Chip temperature ${n}`,
        unit: '°C',
        deviceClass: 'temperature',
        stateClass: 'measurement',
      });
  }
  for (const f of s.fans) {
    e.push({ component: 'sensor', key: `fan_${slug(f.name)}_duty`, name: `Fan ${f.name} duty`, unit: '%', stateClass: 'measurement', icon: 'mdi:fan' });
    if (f.rpm !== undefined)
      e.push({ component: 'sensor', key: `fan_${slug(f.name)}_rpm`, name: `Fan ${f.name} speed`, unit: 'RPM', stateClass: 'measurement', icon: 'mdi:fan' });
  }
  if (commands) {
    e.push({ component: 'button', key: 'pause', name: 'Pause mining', icon: 'mdi:pause', press: 'pause' });
    e.push({ component: 'button', key: 'resume', name: 'Resume mining', icon: 'mdi:play', press: 'resume' });
  }
  return e;
}

/** Every entity's retained discovery config for this snapshot. */
export function discoveryMessages(
  s: AgentSnapshot,
  o: Pick<MqttOptions, 'baseTopic' | 'nodeId' | 'discoveryPrefix' | 'commands'>,
  state: MinerState = minerState(s),
): DiscoveryMessage[] {
  const t = topics(o);
  const device = {
    identifiers: [`asic-agent_${o.nodeId}`],
    name: o.nodeId,
    model: s.board.model,
    sw_version: `${s.firmware.name} ${s.firmware.version}`,
  };
  return entities(s, state, o.commands).map((e) => {
    const payload: Record<string, unknown> = {
      name: e.name,
      unique_id: `asic-agent_${o.nodeId}_${e.key}`,
      object_id: `${o.nodeId}_${e.key}`,
      availability_topic: t.availability,
      payload_available: 'online',
      payload_not_available: 'offline',
      device,
    };
    if (e.component === 'button') {
      payload.command_topic = t.command;
      payload.payload_press = e.press;
    } else {
      payload.state_topic = t.state;
      payload.value_template = `{{ value_json.${e.key} }}`;
    }
    if (e.component === 'binary_sensor') {
      payload.payload_on = 'ON';
      payload.payload_off = 'OFF';
    }
    if (e.unit) payload.unit_of_measurement = e.unit;
    if (e.deviceClass) payload.device_class = e.deviceClass;
    if (e.stateClass) payload.state_class = e.stateClass;
    if (e.icon) payload.icon = e.icon;
    if (e.category) payload.entity_category = e.category;
    return { topic: `${o.discoveryPrefix}/${e.component}/${o.nodeId}/${e.key}/config`, payload };
  });
}
