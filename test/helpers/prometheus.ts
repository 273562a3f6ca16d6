/**
 * A real Prometheus server (Debian package `prometheus`, installed by .ci/run) for scrape tests: its own
 * temp config and data dir, a free port on 127.0.0.1, a 1 s scrape interval, and a query helper over
 * its HTTP API (/api/v1/query). `stop()` ends the process and removes the temp dir. Usable against any
 * target, e.g. the running agent's HTTP API in an end-to-end test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  url: string;
  query(q: string): Promise<PromSample[]>;
  /** Waits until `q` returns at least one sample and `pred` holds for the samples. */
  waitFor(q: string, pred: (s: PromSample[]) => boolean, what: string, timeoutMs?: number): Promise<PromSample[]>;
  stop(): Promise<void>;
  /** Prometheus's own log (stderr), for failure messages. */
  log(): string;
}

/** Throws with a clear message when the binary is missing (the test must fail, not skip). */
export function prometheusBinary(): string {
  const r = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error('the prometheus binary is not installed (Debian package "prometheus"; .ci/run installs it)');
  return 'prometheus';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startPrometheus(targets: string[], scrapeInterval = '1s'): Promise<PrometheusServer> {
  const bin = prometheusBinary();
  const dir = mkdtempSync(join(tmpdir(), 'asic-agent-prom-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      `  scrape_interval: ${scrapeInterval}`,
      `  scrape_timeout: ${scrapeInterval}`,
      'scrape_configs:',
      '  - job_name: asic-agent',
      '    static_configs:',
      `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let stderr = '';
  let url = '';
  // The port is free when we look; if Prometheus loses a race for it, try another.
  for (let attempt = 0; attempt < 3 && !url; attempt++) {
    const port = await freePort();
    stderr = '';
    const c = spawn(
      bin,
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, `data${attempt}`)}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    c.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
    const base = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    while (c.exitCode === null && Date.now() - t0 < 60_000) {
      try {
        if ((await fetch(`${base}/-/ready`)).ok) break;
      } catch {
        // not up yet
      }
      await sleep(200);
    }
    if (c.exitCode === null && Date.now() - t0 < 60_000) {
      child = c;
      url = base;
    } else c.kill('SIGKILL');
  }
  if (!child || !url) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`prometheus did not start:\n${stderr}`);
  }
  const proc = child;

  const query = async (q: string): Promise<PromSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success' || !body.data) throw new Error(`query ${q} failed: ${body.error ?? res.status}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };

  return {
    url,
    query,
    async waitFor(q, pred, what, timeoutMs = 90_000) {
      const t0 = Date.now();
      let last: PromSample[] = [];
      while (Date.now() - t0 < timeoutMs) {
        last = await query(q);
        if (last.length > 0 && pred(last)) return last;
        await sleep(250);
      }
      throw new Error(`timed out waiting for ${what}: ${q} = ${JSON.stringify(last)}\nprometheus log:\n${stderr}`);
    },
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => stderr,
  };
}
