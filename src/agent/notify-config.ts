/** The agent config's `[mqtt]` and `[[webhook]]` sections as the notifiers' options. */
import { hostname } from 'node:os';
import type { AgentConfig } from '../config/agent-config.js';
import { toMqttOptions, toWebhookOptions } from '../config/notify-sections.js';
import { nodeIdFrom } from '../notify/mqtt-options.js';
import type { NotifyOptions } from '../notify/notifiers.js';
import type { MinerIdentity } from '../notify/webhook.js';
import { FIRMWARE_NAME, FIRMWARE_VERSION } from '../version.js';

export function notifyOptionsOf(a: AgentConfig): NotifyOptions {
  const m = a.mqtt;
  return {
    ...(m && m.enabled ? { mqtt: toMqttOptions(m, nodeIdFrom(hostname())) } : {}),
    webhooks: (a.webhook ?? []).map(toWebhookOptions),
  };
}

export function notifyIdentity(model: string): MinerIdentity {
  return { firmware: FIRMWARE_NAME, version: FIRMWARE_VERSION, model, node: hostname() };
}
