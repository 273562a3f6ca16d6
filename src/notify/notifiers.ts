/**
 * The agent's outward voices, composed: webhooks get every alarm raise and clear; the MQTT bridge
 * publishes the state on its interval and at once when an alarm is raised or cleared. Nothing here is
 * awaited by mining: the alarm book's events only queue work.
 */
import type { AgentControl } from '../api/agent-control.js';
import type { SnapshotProvider } from '../api/snapshot.js';
import type { AlarmBook } from '../agent/alarm-book.js';
import type { Clock } from '../clock.js';
import { logger } from '../log.js';
import { MqttBridge } from './mqtt-bridge.js';
import type { MqttOptions } from './mqtt-options.js';
import { WebhookSender, type MinerIdentity, type WebhookOptions } from './webhook.js';

export interface NotifyOptions {
  mqtt?: MqttOptions;
  webhooks: WebhookOptions[];
}

export interface NotifyDeps {
  snapshot: SnapshotProvider;
  control: AgentControl;
  alarms: AlarmBook;
  identity: () => MinerIdentity;
  clock: Clock;
}

export interface Notifiers {
  readonly mqtt: MqttBridge | undefined;
  readonly webhooks: WebhookSender[];
  close(): Promise<void>;
}

export function startNotifiers(o: NotifyOptions, deps: NotifyDeps): Notifiers {
  const log = logger('notify');
  const webhooks = o.webhooks.map((w) => new WebhookSender(w, { clock: deps.clock, identity: deps.identity }));
  const mqtt = o.mqtt ? new MqttBridge(o.mqtt, { snapshot: deps.snapshot, control: deps.control, clock: deps.clock }) : undefined;
  const onRaise = (a: Parameters<WebhookSender['offer']>[1]): void => {
    log[a.severity === 'critical' ? 'error' : 'warn']({ key: a.key, kind: a.kind, severity: a.severity, alarm: a.message }, 'alarm raised');
    for (const w of webhooks) w.offer('raise', a);
    mqtt?.publishState();
  };
  const onClear = (a: Parameters<WebhookSender['offer']>[1]): void => {
    log.info({ key: a.key, kind: a.kind, alarm: a.message }, 'alarm cleared');
    for (const w of webhooks) w.offer('clear', a);
    mqtt?.publishState();
  };
  deps.alarms.on('raise', onRaise);
  deps.alarms.on('clear', onClear);
  mqtt?.start();
  if (mqtt || webhooks.length > 0) log.info({ mqtt: o.mqtt ? o.mqtt.nodeId : null, webhooks: webhooks.map((w) => w.origin) }, 'notifications on');
  return {
    mqtt,
    webhooks,
    async close() {
      deps.alarms.off('raise', onRaise);
      deps.alarms.off('clear', onClear);
      for (const w of webhooks) w.close();
      await mqtt?.close();
    },
  };
}
