/**
 * Building blocks for the agent's snapshot adapter: the parts of an AgentSnapshot that come from the
 * mining pipeline (MiningStats: hashrate meters, per-chip counters, shares by pool and reason) and from
 * the pool manager (PoolManager.stats() and switchLog()). Board, thermal and power readings come from
 * their own modules and are plain arrays already. Monotonic Clock times become Unix seconds through
 * `wallTime(clock)`.
 */
import { redactUrlCredentials } from '../url-credentials.js';
import type { Clock } from '../clock.js';
import type { HashrateMeter } from '../mining/hashrate-meter.js';
import type { MiningStats, PoolShareStats } from '../mining/mining-stats.js';
import type { PoolManagerStats, PoolStats, SwitchEvent } from '../upstream/pools.js';
import type {
  ChainSnapshot,
  ChainState,
  ChipSnapshot,
  HashrateFigures,
  PoolProtocol,
  PoolSnapshot,
  ShareCounters,
  ShareReasonCount,
  ShareTotals,
  SwitchRecord,
} from './snapshot.js';

/** Converts the clock's monotonic milliseconds to Unix seconds (fixed at the moment of the call). */
export function wallTime(clock: Clock): (monotonicMs: number) => number {
  const offset = clock.wallSeconds() - clock.now() / 1000;
  return (ms) => Math.floor(ms / 1000 + offset);
}

/** cgminer's windows from a meter; 15 min is the meter's longest (899 completed seconds). */
export function hashrateOf(m: HashrateMeter, nominal?: number): HashrateFigures {
  const h: HashrateFigures = { rate5s: m.rate(5), rate1m: m.rate(60), rate5m: m.rate(300), rate15m: m.rate(900), average: m.average() };
  if (nominal !== undefined) h.nominal = nominal;
  return h;
}

export interface MiningTotals {
  hashrate: HashrateFigures;
  validNonces: number;
  hwErrors: number;
  diff1Work: number;
  workSent: number;
}

export function miningTotals(stats: MiningStats, nominal?: number): MiningTotals {
  return {
    hashrate: hashrateOf(stats.board, nominal),
    validNonces: stats.validNonces,
    hwErrors: stats.hwErrors,
    diff1Work: stats.board.diff1Work(),
    workSent: stats.workSent,
  };
}

/** What the chain driver and chain health know about a chain (MiningStats knows the nonces). */
export interface ChainInfo {
  id: number;
  family: string;
  state: ChainState;
  chipsExpected: number;
  /** Chips that answered enumeration (default: chipsExpected). */
  chipsFound?: number;
  /** Chip indices chain health marks silent. */
  silentChips?: readonly number[];
  crcErrors: number;
  frequencyMhz: number;
  /** Nominal hashrate of the whole chain, H/s (split evenly over the chips for their figures). */
  nominal?: number;
  temperature?: number;
  devicePath?: string;
}

export function chainSnapshot(stats: MiningStats, info: ChainInfo, toWall: (ms: number) => number): ChainSnapshot {
  const silent = new Set(info.silentChips ?? []);
  const seen = new Map(
    stats
      .chipList()
      .filter((c) => c.chain === info.id)
      .map((c) => [c.chip, c]),
  );
  const count = Math.max(info.chipsExpected, ...[...seen.keys()].map((k) => k + 1));
  const chipNominal = info.nominal !== undefined && info.chipsExpected > 0 ? info.nominal / info.chipsExpected : undefined;
  const chips: ChipSnapshot[] = [];
  let validNonces = 0;
  let hwErrors = 0;
  let last: number | undefined;
  for (let i = 0; i < count; i++) {
    const c = seen.get(i);
    validNonces += c?.nonces ?? 0;
    hwErrors += c?.hwErrors ?? 0;
    if (c?.lastNonceAt !== undefined && (last === undefined || c.lastNonceAt > last)) last = c.lastNonceAt;
    const chip: ChipSnapshot = {
      chip: i,
      hashrate: c
        ? hashrateOf(c.meter, chipNominal)
        : { rate5s: 0, rate1m: 0, rate5m: 0, rate15m: 0, average: 0, ...(chipNominal !== undefined ? { nominal: chipNominal } : {}) },
      validNonces: c?.nonces ?? 0,
      hwErrors: c?.hwErrors ?? 0,
      silent: silent.has(i),
    };
    if (c?.lastNonceAt !== undefined) chip.lastNonceAt = toWall(c.lastNonceAt);
    chips.push(chip);
  }
  const meter = stats.chainMeter(info.id);
  const found = info.chipsFound ?? info.chipsExpected;
  const out: ChainSnapshot = {
    id: info.id,
    family: info.family,
    state: info.state,
    chipsExpected: info.chipsExpected,
    chipsAlive: Math.max(0, found - [...silent].filter((i) => i < found).length),
    crcErrors: info.crcErrors,
    frequencyMhz: info.frequencyMhz,
    hashrate: hashrateOf(meter, info.nominal),
    validNonces,
    hwErrors,
    diff1Work: meter.diff1Work(),
    chips,
  };
  if (last !== undefined) out.lastNonceAt = toWall(last);
  if (info.temperature !== undefined) out.temperature = info.temperature;
  if (info.devicePath !== undefined) out.devicePath = info.devicePath;
  return out;
}

function reasonList(p: PoolShareStats): ShareReasonCount[] {
  const out: ShareReasonCount[] = [];
  for (const result of ['rejected', 'stale', 'lost'] as const) {
    for (const [reason, count] of Object.entries(p.reasonsByResult[result])) out.push({ result, reason, count });
  }
  return out;
}

function sharesOf(p: PoolShareStats, toWall: (ms: number) => number): ShareCounters {
  const s: ShareCounters = {
    accepted: p.accepted,
    rejected: p.rejected,
    stale: p.stale,
    lost: p.lost,
    acceptedDifficulty: p.acceptedDifficulty,
    rejectedDifficulty: p.rejectedDifficulty,
    staleDifficulty: p.staleDifficulty,
    reasons: reasonList(p),
  };
  if (p.lastShareAt !== undefined) s.lastShareAt = toWall(p.lastShareAt);
  if (p.lastShareDifficulty !== undefined) s.lastShareDifficulty = p.lastShareDifficulty;
  return s;
}

/** Totals over every pool, with the board's best share and blocks. */
export function shareTotals(stats: MiningStats, toWall: (ms: number) => number): ShareTotals {
  const t: ShareTotals = {
    accepted: 0,
    rejected: 0,
    stale: 0,
    lost: 0,
    acceptedDifficulty: 0,
    rejectedDifficulty: 0,
    staleDifficulty: 0,
    reasons: [],
    bestShare: stats.bestShare,
    blocksFound: stats.blocksFound,
  };
  const merged = new Map<string, ShareReasonCount>();
  let last: number | undefined;
  let lastDiff: number | undefined;
  for (const [, p] of stats.poolEntries()) {
    t.accepted += p.accepted;
    t.rejected += p.rejected;
    t.stale += p.stale;
    t.lost += p.lost;
    t.acceptedDifficulty += p.acceptedDifficulty;
    t.rejectedDifficulty += p.rejectedDifficulty;
    t.staleDifficulty += p.staleDifficulty;
    for (const r of reasonList(p)) {
      const k = `${r.result}\u0000${r.reason}`;
      const m = merged.get(k);
      if (m) m.count += r.count;
      else merged.set(k, { ...r });
    }
    if (p.lastShareAt !== undefined && (last === undefined || p.lastShareAt > last)) {
      last = p.lastShareAt;
      lastDiff = p.lastShareDifficulty;
    }
  }
  t.reasons = [...merged.values()];
  if (last !== undefined) t.lastShareAt = toWall(last);
  if (lastDiff !== undefined) t.lastShareDifficulty = lastDiff;
  return t;
}

/** Pool protocol from its URL scheme. */
export function protocolOfUrl(url: string): PoolProtocol {
  const scheme = url.split(':')[0]?.toLowerCase() ?? '';
  if (scheme.startsWith('stratum2')) return 'sv2';
  if (scheme === 'solo') return 'solo';
  return 'sv1';
}

/** What the config knows about a pool that the manager's stats do not carry. */
export interface PoolInfo {
  user: string;
  protocol?: PoolProtocol;
  /** Configured but switched off (enabled = false). */
  disabled?: boolean;
  censorshipAlarms?: number;
}

function poolShares(ps: PoolStats, mining: PoolShareStats | undefined, toWall: (ms: number) => number): ShareCounters {
  if (mining) return sharesOf(mining, toWall);
  // No share reached the share path for this pool: the manager's own counts (no difficulty sums).
  const reasons: ShareReasonCount[] = Object.entries(ps.lost).map(([reason, count]) => ({ result: 'lost' as const, reason, count }));
  return {
    accepted: ps.accepted,
    rejected: ps.rejected,
    stale: ps.stale,
    lost: Object.values(ps.lost).reduce((a, b) => a + b, 0),
    acceptedDifficulty: 0,
    rejectedDifficulty: 0,
    staleDifficulty: 0,
    reasons,
  };
}

export function poolSnapshots(
  pm: PoolManagerStats,
  mining: MiningStats,
  info: (id: string) => PoolInfo | undefined,
  toWall: (ms: number) => number,
): PoolSnapshot[] {
  const quota = new Map(pm.groups.map((g) => [g.name, g.quota]));
  const byId = new Map(mining.poolEntries());
  return pm.pools.map((ps) => {
    const i = info(ps.id);
    const p: PoolSnapshot = {
      id: ps.id,
      url: redactUrlCredentials(ps.url),
      user: i?.user ?? '',
      protocol: i?.protocol ?? protocolOfUrl(ps.url),
      group: ps.group,
      priority: ps.rank,
      quota: quota.get(ps.group) ?? 1,
      status: i?.disabled ? 'disabled' : ps.usable ? 'alive' : 'dead',
      active: ps.current,
      failures: Object.values(ps.failures).reduce((a, b) => a + b, 0),
      switchesTo: ps.switchesTo,
      switchesAway: { ...ps.switchesAway },
      censorshipAlarms: i?.censorshipAlarms ?? 0,
      shares: poolShares(ps, byId.get(ps.id), toWall),
    };
    if (ps.upstream?.difficulty !== undefined) p.difficulty = ps.upstream.difficulty;
    if (ps.failure) p.lastFailure = { reason: ps.failure.reason, detail: ps.failure.detail, at: toWall(ps.failure.at) };
    return p;
  });
}

export function switchRecords(log: readonly SwitchEvent[], toWall: (ms: number) => number): SwitchRecord[] {
  return log.map((e) => ({
    at: toWall(e.at),
    group: e.group,
    ...(e.from !== undefined ? { from: e.from } : {}),
    ...(e.to !== undefined ? { to: e.to } : {}),
    reason: e.reason,
    ...(e.detail !== undefined ? { detail: e.detail } : {}),
  }));
}
