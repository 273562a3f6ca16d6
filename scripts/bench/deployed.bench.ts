/**
 * The deployed path (issue 16, "Performance that rides along"): the agent as scripts/install.sh installs
 * and the systemd unit starts it — compiled with `npm run build` (tsconfig.build.json; compiled-agent.ts
 * builds into a scratch folder), run as `node <the unit's node flags> bin/asic-agent.js run --config …`
 * with NODE_ENV=production and JSON logs (scripts/systemd/asic-agent.service.in), so dist/src/main.js
 * runs and no TypeScript compiler is loaded. Its board: 4 BM1370 chains, each a chain simulator in its
 * own process behind a pseudo-terminal replaying 2,000 valid nonces a second; its pool: the lab SV2 pool
 * in its own process.
 *
 *   start_to_first_job_s   process spawn -> the first job frames written to a chain: the scheduler's
 *                          first `new work` record that reached a chain (its pino time, epoch ms, the same
 *                          clock as the spawn stamp). Goal < 1.5 s. The records on the way (first log line,
 *                          chains running) are reported beside it, to show where the time goes, and the
 *                          CPU time the agent used until then (cpu_to_first_job_s: what a loaded machine
 *                          does not inflate). The simulated board's own waits are in it (power settle
 *                          500 ms, reset 100 + 100 ms: board-configs/sim-bm1370.toml [power]), as a real
 *                          board's are; so is starting the 4 simulator processes, which a real board has not.
 *   rss_median_mb, rss_max_mb   VmRSS from /proc/PID/status, sampled every 500 ms over a steady window
 *                          after a warm-up. Goal < 70 MB.
 * Goals are stated, never asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess, type LogRecord } from '../../test/helpers/agent-process.js';
import { percentiles, type Bench } from './bench.js';
import { buildScratch, procStat, unitNodeFlags, writeSimAgentConfig } from './compiled-agent.js';
import { poolProcess } from './lab-pool-process.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface DeployedFigures {
  startToFirstJobS: number;
  cpuToFirstJobS: number;
  startToFirstLogS: number;
  startToChainsRunningS: number;
  rssMedianMb: number;
  rssMaxMb: number;
  rssSamples: number;
  cpuPct: number;
  noncesPerS: number;
}

export async function deployed(o: { warmupS: number; steadyS: number; built?: string }): Promise<DeployedFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-deployed-'));
  const built = o.built ?? buildScratch();
  // Pool difficulty 2^-19 against replayed nonces of ticket difficulty 2^-32: about one share a second.
  const pool = await poolProcess(['--difficulty', String(2 ** -19), '--prev-hash-interval', '0', '--ack-flush-ms', '500']);
  const config = writeSimAgentConfig(dir, pool.url, { noncesPerS: 2000, logLevel: 'info' });
  const spawnedAt = Date.now();
  const agent = startAgentProcess(
    ['run', '--config', config],
    { ASIC_AGENT_FROM_SOURCE: '0', NODE_ENV: 'production' },
    join(built, 'bin', 'asic-agent.js'),
    unitNodeFlags(),
  );
  const since = (r: LogRecord | undefined): number => (typeof r?.time === 'number' ? (r.time - spawnedAt) / 1000 : Number.NaN);
  try {
    const pid = agent.child.pid as number;
    const first = await agent.waitFor((r) => r.msg === 'new work' && Number(r.chains) > 0, 'first job frames', 60_000);
    // CPU the agent used to get there (read as the record arrives, 10 ms ticks): on a loaded machine the
    // wall time is mostly waiting for a CPU, this is not.
    const cpuToFirstJobS = procStat(pid).cpuTicks / 100;
    const running = agent.records.filter((r) => r.msg === 'chain running');
    const figures = {
      startToFirstJobS: since(first),
      cpuToFirstJobS,
      startToFirstLogS: since(agent.records[0]),
      startToChainsRunningS: since(running[running.length - 1]),
    };
    await sleep(o.warmupS * 1000);
    const status = (): LogRecord | undefined => agent.records.filter((r) => r.msg === 'status').at(-1);
    const n0 = Number(status()?.valid_nonces ?? 0);
    const a = procStat(pid);
    const t0 = performance.now();
    const rss: number[] = [];
    while (performance.now() - t0 < o.steadyS * 1000) {
      rss.push(procStat(pid).rssMb);
      await sleep(500);
    }
    const b = procStat(pid);
    const dt = (performance.now() - t0) / 1000;
    const n1 = Number(status()?.valid_nonces ?? 0);
    const p = percentiles(rss);
    return {
      ...figures,
      rssMedianMb: p.p50,
      rssMaxMb: p.max,
      rssSamples: rss.length,
      cpuPct: ((b.cpuTicks - a.cpuTicks) / 100 / dt) * 100,
      noncesPerS: (n1 - n0) / dt,
    };
  } finally {
    await agent.stop('SIGTERM');
    await pool.stop();
    rmSync(dir, { recursive: true, force: true });
    if (!o.built) rmSync(built, { recursive: true, force: true });
  }
}

const round = (x: number, d = 3): number => Number(x.toFixed(d));

const bench: Bench = {
  name: 'deployed',
  async run({ quick }) {
    const f = await deployed({ warmupS: quick ? 5 : 10, steadyS: quick ? 10 : 30 });
    return {
      node_flags: unitNodeFlags().join(' '),
      start_to_first_job_s: round(f.startToFirstJobS),
      start_to_first_job_goal: '< 1.5 s',
      cpu_to_first_job_s: round(f.cpuToFirstJobS, 2),
      start_to_first_log_s: round(f.startToFirstLogS),
      start_to_chains_running_s: round(f.startToChainsRunningS),
      rss_median_mb: round(f.rssMedianMb, 1),
      rss_max_mb: round(f.rssMaxMb, 1),
      rss_goal: '< 70 MB steady',
      rss_samples: f.rssSamples,
      cpu_pct: round(f.cpuPct, 1),
      nonces_per_s: Math.round(f.noncesPerS),
      nonces_per_s_asked: 4 * 2000,
    };
  },
};
export default bench;

/** Alone: `node --import tsx scripts/bench/deployed.bench.ts [steady seconds] [built dir]`. */
if (process.argv[1]?.endsWith('deployed.bench.ts')) {
  console.log(await deployed({ warmupS: 10, steadyS: Number(process.argv[2] ?? 20), ...(process.argv[3] ? { built: process.argv[3] } : {}) }));
}
