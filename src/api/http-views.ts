/**
 * The HTTP JSON endpoints as pure views of an AgentSnapshot. `/api/status` is the compact whole (what
 * `asic-agent status` prints); the others are the full detail of one area. Config is shown redacted.
 */
import { redactSecrets, redactUrlCredentials } from './redact.js';
import type { AgentSnapshot, JsonValue, PoolSnapshot } from './snapshot.js';

export interface StatusView {
  firmware: { name: string; version: string };
  now: number;
  uptimeSeconds: number;
  board: AgentSnapshot['board'];
  hashrate: AgentSnapshot['hashrate'];
  validNonces: number;
  hwErrors: number;
  shares: Omit<AgentSnapshot['shares'], 'reasons'>;
  /** The pool the chains mine now, if any. */
  pool: CompactPool | null;
  /** What the chains mine for: the real pool (or solo), the mode and the JDS (null: no work). */
  mining: AgentSnapshot['mining'] | null;
  pools: CompactPool[];
  chains: {
    id: number;
    family: string;
    state: string;
    chipsExpected: number;
    chipsAlive: number;
    frequencyMhz: number;
    hashrate: AgentSnapshot['hashrate'];
    hwErrors: number;
    crcErrors: number;
    temperature?: number;
  }[];
  temperatures: AgentSnapshot['temperatures'];
  fans: AgentSnapshot['fans'];
  /** The autotuner in brief (GET /api/tuning has every chip), when enabled. */
  tuning?: { state: string; mode: string; target?: number; capWatts?: number; watts?: number; coreVolts: number; scaling: boolean };
  power: AgentSnapshot['power'];
  /** Alarms still in effect. */
  alarms: AgentSnapshot['alarms'];
}

export interface CompactPool {
  id: string;
  url: string;
  user: string;
  protocol: string;
  group: string;
  status: string;
  active: boolean;
  difficulty?: number;
  accepted: number;
  rejected: number;
  stale: number;
  lost: number;
}

function compactPool(p: PoolSnapshot): CompactPool {
  const c: CompactPool = {
    id: p.id,
    url: redactUrlCredentials(p.url),
    user: p.user,
    protocol: p.protocol,
    group: p.group,
    status: p.status,
    active: p.active,
    accepted: p.shares.accepted,
    rejected: p.shares.rejected,
    stale: p.shares.stale,
    lost: p.shares.lost,
  };
  if (p.difficulty !== undefined) c.difficulty = p.difficulty;
  return c;
}

export function statusView(s: AgentSnapshot): StatusView {
  const { reasons: _reasons, ...shares } = s.shares;
  const active = s.pools.find((p) => p.active);
  return {
    firmware: s.firmware,
    now: s.now,
    uptimeSeconds: s.uptimeSeconds,
    board: s.board,
    hashrate: s.hashrate,
    validNonces: s.validNonces,
    hwErrors: s.hwErrors,
    shares,
    pool: active ? compactPool(active) : null,
    mining: s.mining ?? null,
    pools: s.pools.map(compactPool),
    chains: s.chains.map((c) => ({
      id: c.id,
      family: c.family,
      state: c.state,
      chipsExpected: c.chipsExpected,
      chipsAlive: c.chipsAlive,
      frequencyMhz: c.frequencyMhz,
      hashrate: c.hashrate,
      hwErrors: c.hwErrors,
      crcErrors: c.crcErrors,
      ...(c.temperature !== undefined ? { temperature: c.temperature } : {}),
    })),
    temperatures: s.temperatures,
    fans: s.fans,
    power: s.power,
    alarms: s.alarms.filter((a) => a.active),
    ...(s.tuning
      ? {
          tuning: {
            state: s.tuning.state,
            mode: s.tuning.mode,
            ...(s.tuning.target !== undefined ? { target: s.tuning.target } : {}),
            ...(s.tuning.capWatts !== undefined ? { capWatts: s.tuning.capWatts } : {}),
            ...(s.tuning.watts !== undefined ? { watts: s.tuning.watts } : {}),
            coreVolts: s.tuning.coreVolts,
            scaling: s.tuning.scaling.active,
          },
        }
      : {}),
  };
}

export function chainsView(s: AgentSnapshot): { chains: AgentSnapshot['chains'] } {
  return { chains: s.chains };
}

export function poolsView(s: AgentSnapshot): {
  current: string | null;
  mining: AgentSnapshot['mining'] | null;
  pools: PoolSnapshot[];
  switches: AgentSnapshot['switches'];
} {
  return {
    current: s.pools.find((p) => p.active)?.id ?? null,
    mining: s.mining ?? null,
    pools: s.pools.map((p) => ({ ...p, url: redactUrlCredentials(p.url) })),
    switches: s.switches,
  };
}

/** The autotuner: its state, target, rail and every chip's clock (`{state: "off"}` when not enabled). */
export function tuningView(s: AgentSnapshot): unknown {
  return s.tuning ?? { state: 'off' };
}

export function boardView(s: AgentSnapshot): Pick<AgentSnapshot, 'board' | 'temperatures' | 'fans' | 'power' | 'alarms'> {
  return { board: s.board, temperatures: s.temperatures, fans: s.fans, power: s.power, alarms: s.alarms };
}

export function configView(s: AgentSnapshot): JsonValue {
  return redactSecrets(s.config);
}

/** Strict JSON: a non-finite number (which a snapshot should not hold) becomes null instead of breaking a parser. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : typeof x === 'bigint' ? x.toString() : x));
}
