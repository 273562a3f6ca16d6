/**
 * What a person sees when the agent runs in a terminal. The log records are the same ones journald gets
 * as JSON (src/log.ts); this renders them for a reader instead:
 * - a banner before the first status line: what runs, which pools, where the APIs listen, how to look
 *   (the `starting` record);
 * - one line per status period (the `status` record): measured and nominal hashrate with units, shares
 *   accepted / rejected / stale, hardware errors, pool and protocol, the hottest sensor, fan duty;
 * - one line for each event a miner acts on (pool switch, chain up, safe state, cool-down, reload...);
 * - warnings and errors as one line each, with their most useful fields;
 * - everything else only when the log level asks for more than `info`.
 * Records that are not JSON (a foreign line) pass through unchanged.
 */
import type { DestinationStream, LevelWithSilent } from 'pino';

const LEVEL_NUM: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const LEVEL_NAME: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

type Rec = Record<string, unknown> & { level: number; time?: number; msg?: string; module?: string };

export interface TerminalViewOptions {
  /** The configured level: above `info` every record is shown as a line. */
  level: LevelWithSilent;
  color: boolean;
  write: (text: string) => void;
}

/** 1234567 → "1.23 MH/s"; H/s to PH/s. */
export function formatHashrate(hs: number): string {
  if (!Number.isFinite(hs) || hs <= 0) return '0 H/s';
  const units = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s', 'EH/s'];
  let u = 0;
  let v = hs;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

function clock(t: unknown): string {
  const d = typeof t === 'number' ? new Date(t) : new Date();
  return d.toTimeString().slice(0, 8);
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v));

const PROTOCOL: Record<string, string> = { sv2: 'Stratum V2', sv1: 'Stratum V1', jd: 'Job Declaration', solo: 'solo' };

/** The one status line (exported for tests). */
export function statusLine(r: Record<string, unknown>): string {
  const parts: string[] = [];
  const board = str(r.board);
  if (board && board !== 'running') parts.push(`board ${board.replace(/^(\w+):(.*)$/, '$1 ($2)')}`);
  parts.push(`${formatHashrate(num(r.hashrate_hs))} (1 min; nominal ${formatHashrate(num(r.nominal_hs))})`);
  parts.push(`shares ${num(r.accepted)} accepted, ${num(r.rejected)} rejected, ${num(r.stale)} stale${num(r.lost) > 0 ? `, ${num(r.lost)} lost` : ''}`);
  parts.push(`HW errors ${num(r.hw_errors)}`);
  const pool = typeof r.pool === 'string' ? r.pool : null;
  const proto = typeof r.pool_protocol === 'string' ? (PROTOCOL[r.pool_protocol] ?? r.pool_protocol) : null;
  parts.push(pool ? `pool ${pool}${proto ? ` (${proto})` : ''}` : 'no pool');
  const temps = Object.entries((r.temps_c ?? {}) as Record<string, number | null>).filter((e): e is [string, number] => typeof e[1] === 'number');
  if (temps.length > 0) {
    const [name, c] = temps.reduce((a, b) => (b[1] > a[1] ? b : a));
    parts.push(`hottest ${name} ${c.toFixed(1)} °C`);
  } else if (Object.keys((r.temps_c ?? {}) as object).length > 0) {
    parts.push('no temperature reading');
  }
  const fans = Object.values((r.fans_pct ?? {}) as Record<string, number>).filter((d) => typeof d === 'number');
  if (fans.length > 0) {
    const lo = Math.min(...fans);
    const hi = Math.max(...fans);
    parts.push(`fan${fans.length > 1 ? 's' : ''} ${lo === hi ? Math.round(lo) : `${Math.round(lo)}–${Math.round(hi)}`} %`);
  }
  return parts.join(' · ');
}

function poolLines(r: Rec): string[] {
  const pools = Array.isArray(r.pools) ? (r.pools as unknown[]) : [];
  return pools.map((p) => `  pool      ${str(p)}`);
}

/** The banner before the first status line (exported for tests). */
export function bannerLines(r: Record<string, unknown>): string[] {
  const api = (r.api ?? {}) as { cgminer?: string | null; http?: string | null };
  const lines = [
    '',
    `${str(r.firmware) || 'asic-agent'} — ${r.simulated ? 'simulated board' : 'board'} ${str(r.board)}: ${num(r.chains)} chain${num(r.chains) === 1 ? '' : 's'}${r.chips ? ` × ${str(r.chips)}` : ''}`,
    ...poolLines(r as Rec),
  ];
  if (typeof r.dashboard === 'string') lines.push(`  dashboard ${r.dashboard}   (live page; settings need \`asic-agent password\`)`);
  if (api.http) lines.push(`  status    asic-agent status --url http://${api.http}   (or: curl -s http://${api.http}/api/status)`);
  if (api.http) lines.push(`  metrics   http://${api.http}/metrics`);
  if (api.cgminer) lines.push(`  cgminer   ${api.cgminer} (cgminer-compatible API: pyasic, farm tools)`);
  if (!api.http && !api.cgminer) lines.push('  APIs      off ([api] in the config)');
  if (r.config) lines.push(`  config    ${str(r.config)}`);
  lines.push('  stop      Ctrl-C (the board is made safe and cooled down first; Ctrl-C again skips the cool-down)', '');
  return lines;
}

/** Info records a miner acts on, rendered as one line each; the rest of `info` stays in the JSON logs. */
const EVENTS: Record<string, (r: Rec) => string> = {
  'lab SV2 pool listening': (r) => `lab Stratum V2 pool on ${str(r.url)} (jobs from ${r.realBlocks ? 'real mainnet blocks' : 'synthetic blocks'})`,
  'pool switch': (r) => `mining on pool ${str(r.pool ?? r.to)}${r.from ? ` (was ${str(r.from)})` : ''}`,
  'chain running': (r) => `chain ${num(r.chain)} up: ${num(r.chips)} chips at ${num(r.frequencyMhz)} MHz, ${num(r.baud)} baud`,
  hashing: () => 'hashing',
  'hashing stopped': (r) => `hashing stopped: ${str(r.reason)}`,
  'config reloaded': () => 'config reloaded',
  'pools replaced': (r) => `pools replaced: ${str(r.pools)}`,
  'no longer hot': () => 'no longer hot: frequency restored',
  'cool again after an overheat: restarting': (r) => `cool again (${num(r.controlC).toFixed(1)} °C): restarting after the overheat`,
  stopping: (r) => `stopping (${str(r.detail) || str(r.reason)}): making the board safe`,
  'safe-state': (r) =>
    `board safe (${str(r.reason)}): hashing stopped, chains held in reset, power off${r.complete === false ? ' — NOT every step succeeded, see the log' : ''}`,
  'cooling down': (r) =>
    `waiting for the board to cool to ${num(r.coolC)} °C (now ${r.controlC === null || r.controlC === undefined ? 'unknown' : `${num(r.controlC).toFixed(1)} °C`}, at most ${num(r.timeoutS)} s), fans at ${num(r.fanDutyPct)} %; press Ctrl-C again to skip`,
  'cool-down skipped': (r) =>
    `cool-down skipped${r.controlC === null || r.controlC === undefined ? '' : ` at ${num(r.controlC).toFixed(1)} °C`}; fans left at the safe duty`,
  'board closed, cool': (r) =>
    `board cool${r.controlC === null || r.controlC === undefined ? '' : ` (${num(r.controlC).toFixed(1)} °C)`}; fans at ${num(r.fanDutyPct)} %. Stopped.`,
  'board closed, fans left at the safe duty': (r) =>
    `stopped; fans left at ${num(r.fanDutyPct)} % (board not confirmed cool${r.controlC === null || r.controlC === undefined ? '' : `: ${num(r.controlC).toFixed(1)} °C`})`,
  'block found': (r) => `BLOCK FOUND${r.hash ? ` ${str(r.hash)}` : ''}`,
  'work again: bringing the idle chains up': (r) => `work again (${str(r.reason)}): bringing the idle chains up`,
};

/** Fields that make a warning line useful, in order; the rest is in the JSON log. */
const DETAIL_KEYS = ['pool', 'chain', 'chip', 'reason', 'detail', 'err', 'code', 'sensor', 'fan', 'c', 'controlC', 'template', 'txids'];

function eventLine(r: Rec): string {
  const bits: string[] = [];
  for (const k of DETAIL_KEYS) {
    if (r[k] === undefined || r[k] === null) continue;
    bits.push(`${k}=${str(r[k])}`);
  }
  const text = `${r.module ? `${r.module}: ` : ''}${str(r.msg)}${bits.length > 0 ? ` (${bits.join(', ')})` : ''}`;
  return text.length > 400 ? `${text.slice(0, 397)}...` : text;
}

function paint(color: boolean, level: number, text: string): string {
  if (!color) return text;
  if (level >= 50) return `\u001b[31m${text}\u001b[39m`;
  if (level >= 40) return `\u001b[33m${text}\u001b[39m`;
  return text;
}

/** Messages the command line reports itself on stderr in one human line: not repeated here. */
const SHOWN_BY_CLI = new Set(['cannot open the board', 'cannot start']);

export function renderRecord(r: Rec, o: Pick<TerminalViewOptions, 'level' | 'color'>): string[] {
  const t = clock(r.time);
  const msg = str(r.msg);
  if (SHOWN_BY_CLI.has(msg)) return [];
  if (msg === 'starting' && r.api !== undefined) return bannerLines(r);
  if (msg === 'status' && r.level === 30) return [`${t}  ${statusLine(r)}`];
  const verbose = (LEVEL_NUM[o.level] ?? 30) < 30;
  if (r.level >= 40) return [paint(o.color, r.level, `${t}  ${LEVEL_NAME[r.level] ?? 'WARN'} ${eventLine(r)}`)];
  // Own keys only: a message such as 'constructor' must not find Object's.
  const ev = Object.hasOwn(EVENTS, msg) ? EVENTS[msg] : undefined;
  // The lab pool logs its address itself; the demo repeats it with where its blocks come from.
  if (ev && r.level === 30 && !(msg === 'lab SV2 pool listening' && r.module !== 'demo')) return [`${t}  ${ev(r)}`];
  if (verbose) return [`${t}  ${LEVEL_NAME[r.level] ?? ''} ${eventLine(r)}`];
  return [];
}

/** A pino destination that renders each JSON record for a person. */
export function terminalView(o: TerminalViewOptions): DestinationStream {
  return {
    write(line: string): void {
      let r: Rec;
      try {
        r = JSON.parse(line) as Rec;
      } catch {
        o.write(line);
        return;
      }
      if (typeof r !== 'object' || r === null || typeof r.level !== 'number') {
        o.write(line);
        return;
      }
      const out = renderRecord(r, o);
      if (out.length > 0) o.write(`${out.join('\n')}\n`);
    },
  };
}
