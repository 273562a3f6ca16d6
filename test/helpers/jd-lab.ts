/**
 * Job declaration in process for tests: a lab Template Provider, lab JDS + pool pairs, a JdUpstream,
 * a CPU miner feeding it, and a ledger of every share submitted and what became of it (so that a test
 * can show that no share disappears without a counter).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { TemplateProvider, type TemplateProviderOptions } from '../../workshop/lab/template-provider.js';
import { LabJdsPool, type LabJdsOptions } from '../../workshop/lab/jds.js';
import { JdUpstream, type JdUpstreamOptions } from '../../src/upstream/jd/jd-upstream.js';
import type { JdPairConfig } from '../../src/upstream/jd/jd-pair.js';
import { CpuMiner } from '../../workshop/cpu-miner/cpu-miner.js';
import type { Share, ShareOutcome } from '../../src/upstream/job.js';
import { configureLogging } from '../../src/log.js';

/** Share difficulty for lab pools in these tests: ~43 000 hashes per share, a few ms of CPU. */
export const LAB_DIFFICULTY = 1e-5;

export async function startTp(o: Partial<TemplateProviderOptions> = {}): Promise<TemplateProvider> {
  const tp = new TemplateProvider({ port: 0, prevHashIntervalSeconds: 0, templateIntervalSeconds: 0, ...o });
  await tp.start();
  return tp;
}

export async function startJds(o: Partial<LabJdsOptions> = {}): Promise<LabJdsPool> {
  const p = new LabJdsPool({ port: 0, poolPort: 0, difficulty: LAB_DIFFICULTY, shareBatchSize: 1, ackFlushMs: 0, ...o });
  await p.start();
  return p;
}

export function pairOf(name: string, p: LabJdsPool): JdPairConfig {
  return { name, poolUrl: p.poolUrl, jdsUrl: p.jdsUrl, user: `lab.${name}` };
}

export function jdUpstream(tp: { url: string }, o: Partial<JdUpstreamOptions> & Pick<JdUpstreamOptions, 'pairs'>): JdUpstream {
  return new JdUpstream({
    templateProvider: { url: tp.url },
    mode: 'full-template',
    onCensorship: 'next-pool',
    nominalHashrate: 1e6,
    soloShareDifficulty: LAB_DIFFICULTY,
    backoff: { initialMs: 20, maxMs: 200 },
    random: () => 0,
    ...o,
  });
}

/** Every share submitted and its outcome. */
export class ShareLedger {
  submitted = 0;
  pending = 0;
  readonly outcomes: Record<string, number> = {};
  readonly byPool: Record<string, Record<string, number>> = {};

  track(pool: string, p: Promise<ShareOutcome>): void {
    this.submitted++;
    this.pending++;
    void p.then((o) => {
      this.pending--;
      const k = o.status === 'accepted' ? 'accepted' : `${o.status}:${o.reason}`;
      this.outcomes[k] = (this.outcomes[k] ?? 0) + 1;
      const b = (this.byPool[pool] ??= {});
      b[k] = (b[k] ?? 0) + 1;
    });
  }

  count(k: string): number {
    return this.outcomes[k] ?? 0;
  }
}

/** A CPU miner that mines whatever the upstream hands out and submits every share to it. */
export function mineInto(up: JdUpstream, ledger: ShareLedger, batch = 8192): CpuMiner {
  const miner = new CpuMiner((s: Share) => ledger.track(up.currentPair()?.name ?? 'solo', up.submit(s)), { batch });
  up.on('job', (j) => miner.setJob(j));
  return miner;
}

/** Log records (JSON) from loggers created after this call. */
export function captureLogs(): { records: Record<string, unknown>[]; restore: () => void } {
  const records: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb): void {
      for (const line of chunk.toString().split('\n')) if (line.trim()) records.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  configureLogging({ level: 'info', destination: dest });
  return { records, restore: () => void configureLogging({ level: 'silent' }) };
}

/** A lab server run as its own process (`asic-agent lab <server> ...`), with its printed lines. */
export interface LabProcess {
  lines: string[];
  /** Stops it with SIGINT; resolves with its last line parsed as JSON (its counters). */
  stop(): Promise<Record<string, unknown>>;
}

const BIN = fileURLToPath(new URL('../../bin/asic-agent.js', import.meta.url));

/** Spawns a lab server and waits until every pattern matched a printed line; returns the captures. */
export async function spawnLab(args: string[], patterns: RegExp[]): Promise<{ proc: LabProcess; captures: string[] }> {
  const child = spawn(process.execPath, [BIN, 'lab', ...args], {
    env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const captures = await new Promise<string[]>((resolve, reject) => {
    const got: (string | undefined)[] = patterns.map(() => undefined);
    const t = setTimeout(() => reject(new Error(`lab ${args[0] ?? ''} printed no URL: ${lines.join('\n')}`)), 30_000);
    createInterface({ input: child.stdout }).on('line', (l) => {
      lines.push(l);
      patterns.forEach((p, i) => {
        const m = p.exec(l);
        if (m) got[i] = m[1];
      });
      if (got.every((g) => g !== undefined)) {
        clearTimeout(t);
        resolve(got as string[]);
      }
    });
    child.once('error', reject);
  });
  return {
    captures,
    proc: {
      lines,
      async stop() {
        child.kill('SIGINT');
        const code = await exited;
        if (code !== 0) throw new Error(`lab ${args[0] ?? ''} exited with ${code}`);
        return JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
      },
    },
  };
}
