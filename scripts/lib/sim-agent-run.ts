/**
 * For the long-run scripts: the real agent (`asic-agent run`) on a copy of a simulated board-config,
 * as a child process whose JSON log records are collected and can be waited for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'asic-agent.js');

export type LogRecord = Record<string, unknown> & { msg?: string; time?: number };

/** board.toml (sim-bm1370 tuned: `hashrate` H/s and about `noncesPerS` nonces/s per chain) and agent.toml with `toml` appended. */
export function writeConfigs(dir: string, sim: { hashrate: number; noncesPerS: number }, toml: string[]): string {
  const board = readFileSync(join(ROOT, 'board-configs', 'sim-bm1370.toml'), 'utf8')
    .replace(/^chain_hashrate_hs = .*$/m, `chain_hashrate_hs = ${sim.hashrate}`)
    .replace(/^chain_nonces_per_s = .*$/m, `chain_nonces_per_s = ${sim.noncesPerS}`);
  writeFileSync(join(dir, 'board.toml'), board);
  const cfg = join(dir, 'agent.toml');
  writeFileSync(
    cfg,
    [
      'version = 1',
      '[board]',
      'config = "board.toml"',
      '[log]',
      'status_interval_s = 5',
      '[api.cgminer]',
      'enabled = false',
      '[api.http]',
      'enabled = false',
      ...toml,
      '',
    ].join('\n'),
  );
  return cfg;
}

export interface AgentRun {
  child: ChildProcess;
  records: LogRecord[];
  waitFor(pred: (r: LogRecord) => boolean, what: string, timeoutMs?: number): Promise<LogRecord>;
  stop(): Promise<number | null>;
}

export function startAgent(config: string, onRecord?: (r: LogRecord) => void): AgentRun {
  const child = spawn(process.execPath, [BIN, 'run', '--config', config], {
    cwd: ROOT,
    env: { ...process.env, ASIC_AGENT_LOG_FORMAT: 'json', ASIC_AGENT_LOG_LEVEL: 'info', ASIC_AGENT_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const records: LogRecord[] = [];
  const waiters: { pred: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }[] = [];
  createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on('line', (l) => {
    let r: LogRecord;
    try {
      r = JSON.parse(l) as LogRecord;
    } catch {
      return;
    }
    records.push(r);
    onRecord?.(r);
    for (const w of waiters.slice()) {
      if (w.pred(r)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(r);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    records,
    waitFor(pred, what, timeoutMs = 120_000) {
      const seen = records.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ pred, resolve: (r) => (clearTimeout(t), resolve(r)) });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
