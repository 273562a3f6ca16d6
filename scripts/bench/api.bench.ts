/**
 * Local APIs on a large board (3 chains × 126 chips, an S19-class layout): `/metrics` renders per second
 * and their size, cgminer `summary+pools+devs+stats` replies built per second, and the loopback round
 * trip of a cgminer `summary` request (connect, request, reply, NUL, close).
 */
import * as net from 'node:net';
import { readOnlyControl } from '../../src/api/agent-control.js';
import { resolveApiOptions } from '../../src/api/api-options.js';
import { WriteAccess } from '../../src/api/cgminer-access.js';
import { CgminerDispatcher } from '../../src/api/cgminer-dispatch.js';
import { CgminerServer } from '../../src/api/cgminer-server.js';
import { renderMetrics } from '../../src/api/prometheus.js';
import type { AgentSnapshot, ChainSnapshot } from '../../src/api/snapshot.js';
import { percentiles, rate, type Bench } from './bench.js';

function bigBoard(): AgentSnapshot {
  const h = { rate5s: 33e12, rate1m: 33e12, rate5m: 33e12, rate15m: 33e12, average: 33e12, nominal: 34e12 };
  const chain = (id: number): ChainSnapshot => ({
    id,
    family: 'BM1368',
    state: 'running',
    chipsExpected: 126,
    chipsAlive: 126,
    crcErrors: 0,
    frequencyMhz: 525,
    hashrate: h,
    validNonces: 1e6,
    hwErrors: 10,
    diff1Work: 2.56e8,
    chips: Array.from({ length: 126 }, (_, chip) => ({
      chip,
      hashrate: { ...h, rate1m: 87e9, rate15m: 87e9 },
      validNonces: 8000,
      hwErrors: chip % 7,
      silent: false,
    })),
  });
  const shares = {
    accepted: 1000,
    rejected: 3,
    stale: 1,
    lost: 0,
    acceptedDifficulty: 1e9,
    rejectedDifficulty: 3e6,
    staleDifficulty: 1e6,
    reasons: [{ result: 'rejected' as const, reason: 'low difficulty', count: 3 }],
  };
  return {
    firmware: { name: 'asic-agent', version: 'bench' },
    now: 1_700_000_000,
    uptimeSeconds: 86_400,
    board: { model: 'bench-3x126', state: 'running' },
    hashrate: h,
    validNonces: 3e6,
    hwErrors: 30,
    diff1Work: 7.7e8,
    workSent: 1e6,
    chains: [chain(0), chain(1), chain(2)],
    shares: { ...shares, bestShare: 1e9, blocksFound: 0 },
    pools: ['a', 'b', 'c'].map((id, i) => ({
      id,
      url: `stratum+tcp://${id}.example:3333`,
      user: 'u',
      protocol: 'sv1' as const,
      group: 'g',
      priority: i,
      quota: 1,
      status: 'alive' as const,
      active: i === 0,
      failures: 0,
      switchesTo: 1,
      switchesAway: {},
      censorshipAlarms: 0,
      shares,
    })),
    switches: [],
    temperatures: Array.from({ length: 12 }, (_, i) => ({ name: `t${i}`, celsius: 60 })),
    fans: Array.from({ length: 4 }, (_, i) => ({ name: `fan${i}`, dutyPercent: 50, rpm: 4000 })),
    power: [{ name: 'psu', volts: 12, amps: 280, watts: 3360, faults: [] }],
    alarms: [],
    config: {},
  };
}

function roundTrip(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write('{"command":"summary"}'));
    s.on('data', () => undefined);
    s.on('error', reject);
    s.on('close', () => resolve(performance.now() - t0));
  });
}

const bench: Bench = {
  name: 'api',
  async run({ quick }) {
    const ms = quick ? 500 : 2000;
    const snap = bigBoard();
    let size = 0;
    const metricsPerS = rate(
      (n) => {
        for (let i = 0; i < n; i++) size = renderMetrics(snap).length;
      },
      { ms, batch: 5 },
    );
    // The same board with `metrics_per_chip = false`.
    let sizeNoChips = 0;
    const metricsNoChipsPerS = rate(
      (n) => {
        for (let i = 0; i < n; i++) sizeNoChips = renderMetrics(snap, {}, { perChip: false }).length;
      },
      { ms, batch: 5 },
    );
    const d = new CgminerDispatcher({ snapshot: () => snap, control: readOnlyControl, access: new WriteAccess({ enabled: false, allow: [] }) });
    const joinedPerS = await (async () => {
      const t0 = performance.now();
      let n = 0;
      while (performance.now() - t0 < ms) {
        await d.handle('{"command":"summary+pools+devs+stats"}', '127.0.0.1');
        n++;
      }
      return n / ((performance.now() - t0) / 1000);
    })();
    const o = resolveApiOptions({ cgminer: { port: 0 }, http: { enabled: false } });
    const server = new CgminerServer(o.cgminer, { snapshot: () => snap, control: readOnlyControl });
    const { port } = await server.listen();
    const times: number[] = [];
    for (let i = 0; i < (quick ? 200 : 1000); i++) times.push(await roundTrip(port));
    await server.close();
    const p = percentiles(times);
    return {
      metrics_renders_per_s: Math.round(metricsPerS),
      metrics_bytes: size,
      metrics_no_chips_renders_per_s: Math.round(metricsNoChipsPerS),
      metrics_no_chips_bytes: sizeNoChips,
      cgminer_joined_replies_per_s: Math.round(joinedPerS),
      cgminer_summary_roundtrip_p50_ms: Number(p.p50.toFixed(3)),
      cgminer_summary_roundtrip_p99_ms: Number(p.p99.toFixed(3)),
    };
  },
};
export default bench;
