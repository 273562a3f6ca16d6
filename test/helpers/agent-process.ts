/**
 * The real agent as a child process (`asic-agent run`), its JSON log records collected as they come.
 * Children still running when the test process ends are killed with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'asic-agent.js');

export type LogRecord = Record<string, unknown> & { msg?: string; time?: number };

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export interface AgentProcess {
  child: ChildProcess;
  records: LogRecord[];
  stderr(): string;
  waitFor(pred: (r: LogRecord) => boolean, what: string, timeoutMs?: number): Promise<LogRecord>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `nodeArgs`: node's own flags before the script (as the systemd unit gives them). */
export function startAgentProcess(args: string[], env: NodeJS.ProcessEnv = {}, bin = BIN, nodeArgs: string[] = []): AgentProcess {
  const e: NodeJS.ProcessEnv = { ...process.env, ASIC_AGENT_LOG_FORMAT: 'json', ASIC_AGENT_FROM_SOURCE: '1', ...env };
  if (!('ASIC_AGENT_LOG_LEVEL' in env)) delete e.ASIC_AGENT_LOG_LEVEL;
  const child = spawn(process.execPath, [...nodeArgs, bin, ...args], { cwd: ROOT, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const records: LogRecord[] = [];
  const waiters: { pred: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }[] = [];
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    let r: LogRecord;
    try {
      r = JSON.parse(line) as LogRecord;
    } catch {
      return;
    }
    records.push(r);
    for (const w of waiters.slice()) {
      if (w.pred(r)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(r);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const waitFor = (pred: (r: LogRecord) => boolean, what: string, timeoutMs = 180_000): Promise<LogRecord> => {
    const seen = records.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogRecord>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no ${what} within ${timeoutMs} ms; stderr: ${err.slice(-2000)}; last records: ${records
                .slice(-5)
                .map((r) => JSON.stringify(r))
                .join('\n')}`,
            ),
          ),
        timeoutMs,
      );
      const w = {
        pred,
        resolve: (r: LogRecord) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      waiters.push(w);
      void exited.then(() => {
        if (!waiters.includes(w)) return;
        clearTimeout(timer);
        reject(new Error(`agent exited before ${what}; stderr: ${err.slice(-2000)}`));
      });
    });
  };
  return {
    child,
    records,
    stderr: () => err,
    waitFor,
    exited,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export const statusRecords = (a: AgentProcess): LogRecord[] => a.records.filter((r) => r.msg === 'status');
