/**
 * The web dashboard's costs:
 *   page_kb, page_gzip_kb   the page's own files plus uPlot, before and after compression (goal < 300 kB before).
 *   rss_before_mb           the real agent process (simulated board mining to the lab SV2 pool, run with
 *                           --max-semi-space-size=1 as the systemd unit runs it) with no page open.
 *   rss_two_browsers_mb     the same agent after two browsers (Debian's chromium, each its own process)
 *                           have had the dashboard open for a while, live updates flowing.
 *   rss_growth_mb           the difference (goal < 5 MB).
 *   events_bytes_per_s      what one open page receives over Server-Sent Events.
 * Without chromium, the two "browsers" are two plain HTTP clients that load every page file and hold the
 * event stream (figure `clients` says which).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import { loadStaticFiles } from '../../src/dashboard/static-files.js';
import { startAgentProcess } from '../../test/helpers/agent-process.js';
import type { Bench } from './bench.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Median RSS over `ms`, sampled every 250 ms (RSS moves with every garbage collection). */
async function settledRss(pid: number, ms: number): Promise<number> {
  const xs: number[] = [];
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(250)) xs.push(rssMb(pid));
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)] ?? Number.NaN;
}

/** A client that holds the event stream and counts what it gets. */
function holdEvents(base: string): { bytes: () => number; close: () => void } {
  let n = 0;
  const req = request(`${base}api/events`, (res) => res.on('data', (c: Buffer) => (n += c.length)));
  req.on('error', () => undefined);
  req.end();
  return { bytes: () => n, close: () => req.destroy() };
}

const hasChromium = (): boolean => spawnSync('chromium', ['--version'], { stdio: 'ignore' }).status === 0;

const bench: Bench = {
  name: 'dashboard',
  async run({ quick }) {
    let raw = 0;
    let gz = 0;
    for (const f of loadStaticFiles().values()) {
      raw += f.body.length;
      gz += f.gzip.length;
    }
    const dir = mkdtempSync(join(tmpdir(), 'asic-bench-dash-'));
    const pool = new Sv2Pool({ port: 0, difficulty: 2e5 / 2 ** 32, prevHashIntervalSeconds: 30, ackFlushMs: 500 });
    const { url } = await pool.start();
    const file = join(dir, 'agent.toml');
    writeFileSync(
      file,
      [
        'version = 1',
        '[board]',
        'config = "sim-bm1370"',
        '[log]',
        'status_interval_s = 0',
        '[api.cgminer]',
        'port = 0',
        '[api.http]',
        'port = 0',
        '[[pool]]',
        `url = ${JSON.stringify(url)}`,
        'user = "bench"',
        '',
      ].join('\n'),
    );
    // As the systemd unit runs it (--max-semi-space-size=1): RSS then moves less with each scavenge.
    const agent = startAgentProcess(['run', '--config', file], { ASIC_AGENT_LOG_LEVEL: 'info', NODE_OPTIONS: '--max-semi-space-size=1' });
    const closers: (() => Promise<void> | void)[] = [];
    try {
      const base = String((await agent.waitFor((r) => typeof r.msg === 'string' && r.msg.startsWith('dashboard at'), 'the dashboard')).url);
      await agent.waitFor((r) => r.msg === 'hashing', 'hashing');
      const pid = agent.child.pid as number;
      // Warm up: the agent's steady state (pools, chains, history rings filling), then the baseline.
      await sleep(quick ? 10_000 : 30_000);
      const before = await settledRss(pid, quick ? 5000 : 15_000);
      let clients: string;
      if (hasChromium()) {
        clients = 'chromium x2';
        const { launchBrowser } = await import('../../test/helpers/browser.js');
        for (let i = 0; i < 2; i++) {
          const browser = await launchBrowser();
          closers.push(() => browser.close());
          const page = await browser.newPage();
          await page.goto(base);
          await page.locator('#hr-1m').filter({ hasText: /H\/s/ }).waitFor({ timeout: 60_000 });
        }
      } else {
        clients = 'http x2 (no chromium)';
        for (let i = 0; i < 2; i++) {
          for (const p of ['', 'ui/app.js', 'ui/style.css', 'ui/vendor/uPlot.iife.min.js', 'api/history', 'api/settings', 'api/logs'])
            await fetch(`${base}${p}`, { headers: { Accept: 'text/html' } }).then((r) => r.arrayBuffer());
          const h = holdEvents(base);
          closers.push(() => h.close());
        }
      }
      const probe = holdEvents(base);
      closers.push(() => probe.close());
      const t0 = Date.now();
      await sleep(quick ? 20_000 : 60_000);
      const bytesPerS = probe.bytes() / ((Date.now() - t0) / 1000);
      const after = await settledRss(pid, quick ? 5000 : 15_000);
      return {
        page_kb: Number((raw / 1024).toFixed(1)),
        page_gzip_kb: Number((gz / 1024).toFixed(1)),
        rss_before_mb: Number(before.toFixed(1)),
        rss_two_browsers_mb: Number(after.toFixed(1)),
        rss_growth_mb: Number((after - before).toFixed(1)),
        events_bytes_per_s: Math.round(bytesPerS),
        clients,
      };
    } finally {
      for (const c of closers) await c();
      await agent.stop('SIGTERM');
      await pool.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default bench;
