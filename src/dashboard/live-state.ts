/**
 * What the page shows, as one plain object pushed to every open page (src/dashboard/event-stream.ts):
 * the compact status plus what the dashboard adds — per-chip figures for the heatmap, share reasons,
 * efficiency once power is known, the upstream's security and Job Declaration details, and the
 * safe-state banner. A pure function of the snapshot and the upstream view.
 */
import { statusView, type StatusView } from '../api/http-views.js';
import type { AgentSnapshot } from '../api/snapshot.js';

export interface UpstreamPoolView {
  id: string;
  /** Without credentials. */
  url: string;
  protocol: string;
  /** How the connection is protected: "Noise NX (ChaCha20-Poly1305)", "TLS", "none". */
  encryption: string;
  /** SV2: the pool's authority key from the URL, or null when the pool is not authenticated. */
  authorityKey: string | null;
  channel: string | null;
}

export interface JdView {
  mode: string;
  /** What the chains mine for: a pool's name, or "solo". */
  mining: string;
  templateProvider: { url: string; state: string; templates: number };
  declared: number;
  declareRefused: number;
  lastTemplate?: { id: string; pool: string | null; at: number };
  censorshipAlarms: number;
}

export interface UpstreamView {
  pools: UpstreamPoolView[];
  jd: JdView | null;
}

export interface LiveState extends StatusView {
  /** Chip figures for the heatmap: [chain][chip]. */
  chips: {
    chain: number;
    nominalPerChip: number | null;
    chips: { chip: number; rate1m: number; share: number | null; hwErrors: number; validNonces: number; silent: boolean }[];
  }[];
  shareReasons: AgentSnapshot['shares']['reasons'];
  /** J/TH, when input power and hashrate are known. */
  efficiencyJth: number | null;
  watts: number | null;
  upstream: { pools: (UpstreamPoolView & { status: string; active: boolean; difficulty?: number; group: string; user: string })[]; jd: JdView | null };
  /** Set while the board is in its safe state: the banner's text. */
  safeState: string | null;
  /** The autotuner, when enabled (every chip's clock included). */
  tuningDetail: AgentSnapshot['tuning'] | null;
}

export function liveState(s: AgentSnapshot, up: UpstreamView): LiveState {
  const base = statusView(s);
  const input = s.power.find((p) => p.name === 'input');
  const watts = input?.watts ?? (s.power.length > 0 ? s.power.reduce((w, p) => w + (p.watts ?? 0), 0) : undefined);
  const rate = s.hashrate.rate1m;
  const why = s.alarms.find((a) => a.active && a.severity === 'critical')?.message.replace(/^safe state: /, '') ?? s.board.reason ?? 'unknown reason';
  const safe = s.board.state === 'safe-state' ? why : null;
  const byId = new Map(up.pools.map((p) => [p.id, p]));
  return {
    ...base,
    chips: s.chains.map((c) => {
      const nominalPerChip = c.hashrate.nominal !== undefined && c.chipsExpected > 0 ? c.hashrate.nominal / c.chipsExpected : null;
      return {
        chain: c.id,
        nominalPerChip,
        chips: c.chips.map((k) => ({
          chip: k.chip,
          rate1m: k.hashrate.rate1m,
          share: nominalPerChip ? k.hashrate.rate1m / nominalPerChip : null,
          hwErrors: k.hwErrors,
          validNonces: k.validNonces,
          silent: k.silent,
        })),
      };
    }),
    shareReasons: s.shares.reasons,
    tuningDetail: s.tuning ?? null,
    watts: watts ?? null,
    efficiencyJth: watts !== undefined && watts > 0 && rate > 0 ? watts / (rate / 1e12) : null,
    upstream: {
      pools: base.pools.map((p) => {
        const u = byId.get(p.id);
        return {
          id: p.id,
          url: p.url,
          protocol: p.protocol,
          encryption: u?.encryption ?? (p.protocol === 'sv2' ? 'Noise NX (ChaCha20-Poly1305)' : 'none'),
          authorityKey: u?.authorityKey ?? null,
          channel: u?.channel ?? null,
          status: p.status,
          active: p.active,
          group: p.group,
          user: p.user,
          ...(p.difficulty !== undefined ? { difficulty: p.difficulty } : {}),
        };
      }),
      jd: up.jd,
    },
    safeState: safe,
  };
}
