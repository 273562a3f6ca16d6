/**
 * The sections that make the agent speak first instead of waiting to be asked: `[mqtt]` (state and
 * Home Assistant discovery on a broker, src/notify/mqtt-bridge.ts) and `[[webhook]]` (alarm raise and
 * clear POSTed as JSON, src/notify/webhook.ts). docs/notify.md describes every key.
 */
import type { AlarmKind } from '../api/snapshot.js';
import type { MqttOptions } from '../notify/mqtt-options.js';
import type { WebhookOptions } from '../notify/webhook.js';
import { bool, int, list, num, oneOf, optional, str, table, withDefault, type Infer } from './schema.js';

const ALARM_KINDS = ['thermal', 'fan', 'power', 'chain', 'pool', 'censorship', 'other'] as const satisfies readonly AlarmKind[];
const TOPIC_PART = /^[A-Za-z0-9_-]{1,64}$/;

export const mqttSectionSchema = table(
  {
    enabled: withDefault(bool(), true),
    /** mqtt://host:1883, mqtts://host:8883 (TLS), ws:// or wss://. */
    url: str({ pattern: /^(mqtt|mqtts|ws|wss):\/\/[^\s]+$/, patternHint: 'a broker URL such as mqtt://192.168.1.10:1883', maxLength: 512 }),
    username: optional(str({ maxLength: 255 })),
    password: optional(str({ maxLength: 255 })),
    /** Identifies the miner in topics and in Home Assistant (default: the host name). */
    node_id: optional(str({ pattern: TOPIC_PART, patternHint: 'letters, digits, _ and -' })),
    discovery_prefix: withDefault(str({ pattern: /^[A-Za-z0-9_/-]{1,64}$/, patternHint: 'a topic prefix such as homeassistant' }), 'homeassistant'),
    /** State topics live under `<base_topic>/<node_id>/`. */
    base_topic: withDefault(str({ pattern: /^[A-Za-z0-9_/-]{1,64}$/, patternHint: 'a topic prefix' }), 'asic-agent'),
    /** Publish the state this often. */
    interval_s: withDefault(num(1, 3600, { unit: 's' }), 10),
    /** Accept pause / resume on `<base_topic>/<node_id>/command` (needs the broker's authentication). */
    commands: withDefault(bool(), false),
    reconnect_min_ms: withDefault(int(100, 600_000, { unit: 'ms' }), 1000),
    reconnect_max_ms: withDefault(int(100, 3_600_000, { unit: 'ms' }), 60_000),
    tls_ca_file: optional(str({ maxLength: 4096 })),
  },
  {
    refine(m, report) {
      if (m.reconnect_min_ms > m.reconnect_max_ms) report('reconnect_min_ms', `must not exceed reconnect_max_ms (${m.reconnect_max_ms} ms)`);
      if (m.commands && !m.username) report('commands', "needs username (and password): commands are only taken behind the broker's authentication");
      if (m.password && !m.username) report('password', 'needs username');
    },
  },
);

export const webhookEntrySchema = table(
  {
    /** http:// or https:// receiver. */
    url: str({ pattern: /^https?:\/\/[^\s]+$/, patternHint: 'an http:// or https:// URL', maxLength: 2048 }),
    /** Sent as `Authorization: Bearer <token>` when set. */
    token: optional(str({ maxLength: 1024 })),
    /** Alarm kinds to send (default: all). */
    kinds: optional(list(oneOf(ALARM_KINDS), { min: 1, max: ALARM_KINDS.length })),
    min_severity: withDefault(oneOf(['warning', 'critical'] as const), 'warning'),
    timeout_ms: withDefault(int(100, 120_000, { unit: 'ms' }), 5000),
    /** Tries per event before it is dropped (and counted). */
    attempts: withDefault(int(1, 100), 8),
    backoff_min_ms: withDefault(int(10, 600_000, { unit: 'ms' }), 1000),
    backoff_max_ms: withDefault(int(10, 3_600_000, { unit: 'ms' }), 300_000),
    /** Events waiting at most; the oldest is dropped (and counted) when full. */
    queue: withDefault(int(1, 10_000), 100),
  },
  {
    refine(w, report) {
      if (w.backoff_min_ms > w.backoff_max_ms) report('backoff_min_ms', `must not exceed backoff_max_ms (${w.backoff_max_ms} ms)`);
    },
  },
);

export const webhookListSchema = optional(list(webhookEntrySchema, { min: 1, max: 16 }));

export function toMqttOptions(m: Infer<typeof mqttSectionSchema>, fallbackNodeId: string): MqttOptions {
  return {
    url: m.url,
    ...(m.username !== undefined ? { username: m.username } : {}),
    ...(m.password !== undefined ? { password: m.password } : {}),
    nodeId: m.node_id ?? fallbackNodeId,
    discoveryPrefix: m.discovery_prefix.replace(/\/+$/, ''),
    baseTopic: m.base_topic.replace(/\/+$/, ''),
    intervalMs: m.interval_s * 1000,
    commands: m.commands,
    reconnectMinMs: m.reconnect_min_ms,
    reconnectMaxMs: m.reconnect_max_ms,
    ...(m.tls_ca_file !== undefined ? { tlsCaFile: m.tls_ca_file } : {}),
  };
}

export function toWebhookOptions(w: Infer<typeof webhookEntrySchema>): WebhookOptions {
  return {
    url: w.url,
    ...(w.token !== undefined ? { token: w.token } : {}),
    ...(w.kinds !== undefined ? { kinds: w.kinds } : {}),
    minSeverity: w.min_severity,
    timeoutMs: w.timeout_ms,
    attempts: w.attempts,
    backoffMinMs: w.backoff_min_ms,
    backoffMaxMs: w.backoff_max_ms,
    queue: w.queue,
  };
}
