/** What the `[mqtt]` section turns into (src/config/notify-sections.ts; docs/notify.md). */
export interface MqttOptions {
  /** mqtt://, mqtts://, ws:// or wss:// broker URL. */
  url: string;
  username?: string;
  password?: string;
  /** The miner's id in topics, unique_ids and the Home Assistant device. */
  nodeId: string;
  /** Home Assistant's discovery prefix (its default: homeassistant). */
  discoveryPrefix: string;
  /** State, availability and command topics live under `<baseTopic>/<nodeId>/`. */
  baseTopic: string;
  intervalMs: number;
  /** Accept pause / resume on the command topic. */
  commands: boolean;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  tlsCaFile?: string;
}

/** A topic-safe node id from a host name: letters, digits, _ and - only. */
export function nodeIdFrom(hostname: string): string {
  const s = hostname
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return s || 'miner';
}
