/**
 * `asic-agent status` as text: the `/api/status` view in a compact table a miner reads at a glance.
 * Pure formatting; the command (src/cli/status.ts) does the HTTP.
 */
import type { StatusView } from './http-views.js';

const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/** 1.02e12 → "1.02 TH/s". */
export function formatHashrate(hps: number): string {
  if (!Number.isFinite(hps) || hps <= 0) return '0 H/s';
  let i = 0;
  let v = hps;
  while (v >= 1000 && i < SI.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${SI[i]}H/s`;
}

/** 1234567 → "1.23M"; small and fractional difficulties keep their digits. */
export function formatDifficulty(d: number): string {
  if (!Number.isFinite(d) || d <= 0) return '0';
  if (d < 1000) return Number(d.toPrecision(4)).toString();
  let i = 0;
  let v = d;
  while (v >= 1000 && i < SI.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 2)}${SI[i]}`;
}

/** 3723 → "1h 02m 03s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const p2 = (n: number): string => n.toString().padStart(2, '0');
  if (d > 0) return `${d}d ${p2(h)}h ${p2(m)}m`;
  if (h > 0) return `${h}h ${p2(m)}m ${p2(sec)}s`;
  return `${m}m ${p2(sec)}s`;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

const LABEL = 10;
const line = (label: string, text: string): string => `${label.padEnd(LABEL)}${text}`;
const indent = (text: string): string => `${''.padEnd(LABEL)}${text}`;

export function statusTable(s: StatusView): string {
  const out: string[] = [];
  const state = s.board.reason ? `${s.board.state} (${s.board.reason})` : s.board.state;
  out.push(`${s.firmware.name} ${s.firmware.version}  board ${s.board.model}  ${state}  up ${formatDuration(s.uptimeSeconds)}`);
  if (s.pool) {
    const p = s.pool;
    out.push(
      line(
        'pool',
        `${p.id}  ${p.url}  user ${p.user}  ${p.protocol}  ${p.status}${p.difficulty !== undefined ? `  difficulty ${formatDifficulty(p.difficulty)}` : ''}`,
      ),
    );
  } else out.push(line('pool', s.pools.length === 0 ? 'none configured' : `none usable (${s.pools.map((p) => `${p.id} ${p.status}`).join(', ')})`));
  const h = s.hashrate;
  out.push(
    line(
      'hashrate',
      `5s ${formatHashrate(h.rate5s)}  1m ${formatHashrate(h.rate1m)}  15m ${formatHashrate(h.rate15m)}  avg ${formatHashrate(h.average)}` +
        (h.nominal !== undefined ? `  nominal ${formatHashrate(h.nominal)}` : ''),
    ),
  );
  const sh = s.shares;
  out.push(
    line(
      'shares',
      `accepted ${sh.accepted}  rejected ${sh.rejected}  stale ${sh.stale}  lost ${sh.lost}  best ${formatDifficulty(sh.bestShare)}  blocks ${sh.blocksFound}  hw errors ${s.hwErrors}`,
    ),
  );
  if (s.chains.length === 0) out.push(line('chains', 'none'));
  else {
    const rows = [['chain', 'family', 'state', 'chips', 'freq', '5s', '1m', 'hw', 'crc', 'temp']];
    for (const c of s.chains) {
      rows.push([
        String(c.id),
        c.family,
        c.state,
        `${c.chipsAlive}/${c.chipsExpected}`,
        `${c.frequencyMhz} MHz`,
        formatHashrate(c.hashrate.rate5s),
        formatHashrate(c.hashrate.rate1m),
        String(c.hwErrors),
        String(c.crcErrors),
        c.temperature !== undefined ? `${c.temperature.toFixed(1)} °C` : '-',
      ]);
    }
    table(rows).forEach((r, i) => out.push(i === 0 ? line('chains', r) : indent(r)));
  }
  out.push(line('temps', s.temperatures.length === 0 ? 'none' : s.temperatures.map((t) => `${t.name} ${t.celsius.toFixed(1)} °C`).join('  ')));
  out.push(
    line(
      'fans',
      s.fans.length === 0
        ? 'none'
        : s.fans.map((f) => `${f.name} ${Math.round(f.dutyPercent)}%${f.rpm !== undefined ? ` ${Math.round(f.rpm)} rpm` : ''}`).join('  '),
    ),
  );
  if (s.power.length > 0) {
    out.push(
      line(
        'power',
        s.power
          .map((p) => {
            const parts = [p.name];
            if (p.volts !== undefined) parts.push(`${p.volts.toFixed(2)} V`);
            if (p.amps !== undefined) parts.push(`${p.amps.toFixed(2)} A`);
            if (p.watts !== undefined) parts.push(`${p.watts.toFixed(1)} W`);
            if (p.state !== undefined) parts.push(p.state);
            if (p.faults.length > 0) parts.push(`FAULT ${p.faults.join(',')}`);
            return parts.join(' ');
          })
          .join('  '),
      ),
    );
  }
  if (s.alarms.length === 0) out.push(line('alarms', 'none'));
  else {
    s.alarms.forEach((a, i) => {
      const where = [a.pool ? `pool ${a.pool}` : '', a.templateId ? `template ${a.templateId}` : '', a.error ? `error ${a.error}` : '']
        .filter(Boolean)
        .join(', ');
      const text = `[${a.severity}] ${a.kind}: ${a.message}${where ? ` (${where})` : ''}`;
      out.push(i === 0 ? line('alarms', text) : indent(text));
    });
  }
  return out.join('\n');
}
