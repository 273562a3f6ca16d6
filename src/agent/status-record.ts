/**
 * The periodic `msg: "status"` log record: what a miner watching `journalctl -fu asic-agent` wants to
 * see every few seconds. Field names are snake_case with units, stable for log processors.
 */
import { targetToDifficulty } from '../work/target.js';
import type { Agent } from './agent.js';
import type { TunerStatus } from '../tuning/tuner.js';

const round = (x: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export interface StatusRecord {
  /** Measured over the last minute (since start when shorter), H/s. */
  hashrate_hs: number;
  hashrate_5s_hs: number;
  hashrate_15m_hs: number;
  hashrate_avg_hs: number;
  /** What the chains should do at their clock (the simulators' rate on a simulated board). */
  nominal_hs: number;
  accepted: number;
  rejected: number;
  stale: number;
  lost: number;
  hw_errors: number;
  duplicates: number;
  /** Shares found (duplicates excluded) = accepted + rejected + stale + lost + in flight. */
  shares_found: number;
  in_flight: number;
  valid_nonces: number;
  /** Sum of ticket difficulties of valid nonces: × 2^32 = hashes done. */
  diff1_work: number;
  best_share: number;
  /** Blocks handed to a pool or to the own node. */
  blocks: number;
  /** Blocks found that nobody could take (no pool, job gone). */
  blocks_lost: number;
  /** The real pool the work goes to (for Job Declaration the pool the templates are declared to), `solo`, or null without work. */
  pool: string | null;
  /** The protocol the current job came by (sv2, sv1, jd, solo). */
  pool_protocol: string | null;
  /** pool | declared | solo, or null without work. */
  mode: 'pool' | 'declared' | 'solo' | null;
  /** Declared mode: the pool's JDS. */
  jds: string | null;
  pool_difficulty: number | null;
  board: string;
  temps_c: Record<string, number | null>;
  fans_pct: Record<string, number>;
  fans_rpm: Record<string, number | null>;
  chains: { chain: number; state: string; chips: number; silent: number[]; mhz: number }[];
  /** The autotuner in brief, when enabled: state, mode, target, cap in force, watts, rail. */
  tuning?: { state: string; mode: string; target: number | null; cap_w: number | null; watts: number | null; volts: number };
  uptime_s: number;
  /**
   * Simulated board only: hashes the chain simulators really did since they started. On a loaded
   * machine they fall behind `nominal_hs`; the measured hashrate follows what they did.
   */
  sim_hashes?: number;
  /** Resident set size and V8 heap in use of the agent process, MB (a leak shows here first). */
  rss_mb: number;
  heap_mb: number;
}

function memory(): { rss_mb: number; heap_mb: number } {
  const m = process.memoryUsage();
  return { rss_mb: round(m.rss / 2 ** 20), heap_mb: round(m.heapUsed / 2 ** 20) };
}

export function statusRecord(agent: Agent): StatusRecord {
  const s = agent.stats;
  const t = s.totals();
  const b = agent.rt.board.status();
  const target = agent.miningTarget();
  const job = target ? agent.pools?.currentJob() : undefined;
  const freqs = agent.chains.frequencies();
  return {
    hashrate_hs: Math.round(s.board.rate(60)),
    hashrate_5s_hs: Math.round(s.board.rate(5)),
    hashrate_15m_hs: Math.round(s.board.rate(900)),
    hashrate_avg_hs: Math.round(s.board.average()),
    nominal_hs: Math.round(agent.nominalHashrate()),
    accepted: t.accepted,
    rejected: t.rejected,
    stale: t.stale,
    lost: t.lost,
    hw_errors: s.hwErrors,
    duplicates: s.duplicates,
    shares_found: s.sharesFound,
    in_flight: agent.shares.inFlight,
    valid_nonces: s.validNonces,
    diff1_work: s.board.diff1Work(),
    best_share: s.bestShare,
    blocks: s.blocksFound,
    blocks_lost: s.blocksLost,
    pool: target?.pool ?? null,
    mode: target?.mode ?? null,
    jds: target?.jds ?? null,
    pool_protocol: job?.source.protocol ?? null,
    pool_difficulty: job ? Number(targetToDifficulty(job.target).toPrecision(6)) : null,
    board: b.reason && b.phase === 'safe' ? `${b.phase}:${b.reason}` : b.phase,
    temps_c: Object.fromEntries(b.temps.map((x) => [x.id, x.c === null ? null : round(x.c)])),
    fans_pct: Object.fromEntries(b.fans.map((f) => [f.id, round(f.dutyPct)])),
    fans_rpm: Object.fromEntries(b.fans.map((f) => [f.id, f.rpm === null ? null : Math.round(f.rpm)])),
    ...memory(),
    chains: agent.chains.chains.map((c, i) => ({
      chain: c.spec.index,
      state: c.state,
      chips: c.up?.chipCount ?? 0,
      silent: agent.chains.silentChips(i),
      mhz: round(freqs[i] ?? 0),
    })),
    ...(agent.tuning ? { tuning: tuningBrief(agent.tuning.status()) } : {}),
    uptime_s: Math.round((agent.clock.now() - s.startedAt) / 1000),
    ...simHashes(agent),
  };
}

function simHashes(agent: Agent): { sim_hashes?: number } {
  const sims = agent.chains.chains.map((c) => c.device).filter((x) => x !== undefined);
  if (sims.length === 0) return {};
  return { sim_hashes: sims.reduce((sum, p) => sum + p.hashesDone(), 0) };
}

function tuningBrief(st: TunerStatus): NonNullable<StatusRecord['tuning']> {
  return {
    state: st.state,
    mode: st.mode,
    target: st.target,
    cap_w: st.capW === null ? null : round(st.capW),
    watts: st.watts === null ? null : round(st.watts),
    volts: Math.round(st.volts * 1000) / 1000,
  };
}
