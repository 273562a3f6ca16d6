/**
 * The lab SV2 pool (`asic-agent lab sv2-pool`) in its own process, for the benchmarks that measure the
 * agent: the pool's work does not then run on the measured event loop. Shared by agent.bench.ts and
 * job-switch.bench.ts.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { ROOT } from '../../test/helpers/agent-process.js';

export interface LabPoolProcess {
  /** stratum2+tcp://127.0.0.1:PORT/KEY, as the pool printed it. */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts the pool with `args` (`asic-agent lab sv2-pool` options); resolves once it listens. */
export async function poolProcess(args: string[]): Promise<LabPoolProcess> {
  // At the lowest CPU priority: a real pool runs on another machine, and on a small box (this one has
  // two cores) the lab pool building its next job must not take the CPU from the agent being measured.
  const child = spawn('nice', ['-n', '19', process.execPath, join(ROOT, 'bin', 'asic-agent.js'), 'lab', 'sv2-pool', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'warn' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const timer = setTimeout(() => reject(new Error('lab pool did not start')), 30_000);
    lines.on('line', (l) => {
      const m = /^lab sv2-pool: (\S+)/.exec(l);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
  });
  return {
    url,
    pid: child.pid as number,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
