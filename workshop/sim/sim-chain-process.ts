/**
 * A simulated chain in its own process: `asic-agent sim` behind a pseudo-terminal, so that the agent
 * opens it with the real serialport binding exactly as it would a hashboard's UART, and the simulator's
 * hashing runs on another core. The child prints the device path first and its settings second
 * (including the sim-only ticket difficulty the host must use for stats). It exits when the agent does
 * (SIGTERM, or the end of its stdin pipe if the agent died without cleaning up). The chain's reset line
 * goes over the same pipe (`reset 1` / `reset 0`), each change acknowledged on stdout once applied.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';
import type { Logger } from '../../src/log.js';

export interface SimChainSpec {
  family: string;
  chips: number;
  /** H/s the simulator really hashes. */
  hashrate: number;
  simTicketDifficulty: number;
  /** `asic-agent sim --faults` syntax. */
  faults?: string;
  seed?: number;
  /** Replay mode: pre-found nonces at this rate, no hashing (benchmarks). */
  replayNoncesPerSecond?: number;
  /** Silicon-lottery chips (`asic-agent sim --lottery`): seed, the chain's index, the clock `hashrate` applies at. */
  lottery?: { seed: number; chain: number; refMhz: number };
}

export interface SimChainProcess {
  devicePath: string;
  simTicketDifficulty: number;
  pid: number;
  /** True once the simulator process has ended: its pty path may already belong to another terminal. */
  readonly exited: boolean;
  /** Drives the simulated chips' reset line; resolves once the simulator has applied it. */
  setReset(held: boolean): Promise<void>;
  /**
   * Hashes the simulated chips have really done, as last reported (asked anew on each call). On a
   * loaded machine a simulator falls behind its configured rate; this is what it achieved.
   */
  hashesDone(): number;
  /** Lottery chips: the rail (core volts per domain) and the board's temperature they run at. */
  setRail(volts: number, tempC: number): void;
  /** Lottery chips: each chip's clock as last reported (undefined before the first report). */
  clocks(): readonly number[] | undefined;
  /** Asks the simulator now; resolves with its hashes and the nonce replies it has sent so far. */
  counts(): Promise<{ hashes: number; noncesSent: number }>;
  stop(): Promise<void>;
}

export class SimChainError extends Error {
  override readonly name = 'SimChainError';
}

/** bin/asic-agent.js of this package (from src/ under tsx and from a compiled dist/src/ alike). */
const BIN = join(packageRoot(), 'bin', 'asic-agent.js');

export function startSimChain(spec: SimChainSpec, log: Logger, timeoutMs = 20_000): Promise<SimChainProcess> {
  const args = [
    BIN,
    'sim',
    '--chip',
    spec.family,
    '--chips',
    String(spec.chips),
    '--hashrate',
    String(spec.hashrate),
    '--sim-ticket-difficulty',
    String(spec.simTicketDifficulty),
    '--seed',
    String(spec.seed ?? 1),
    '--exit-with-parent',
  ];
  if (spec.faults) args.push('--faults', spec.faults);
  if (spec.replayNoncesPerSecond !== undefined) args.push('--replay', String(spec.replayNoncesPerSecond));
  if (spec.lottery)
    args.push('--lottery', String(spec.lottery.seed), '--lottery-chain', String(spec.lottery.chain), '--lottery-ref-mhz', String(spec.lottery.refMhz));
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'warn', ASIC_AGENT_LOG_FORMAT: 'json' },
  });
  return new Promise<SimChainProcess>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    let path: string | undefined;
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGTERM');
      reject(new SimChainError(`chain simulator did not start: ${why}`));
    };
    const timer = setTimeout(() => fail(`no device path within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => {
      if (settled) log.info({ pid: child.pid, code, signal }, 'chain simulator exited');
    });
    // 'close' comes after its output is read: its last stderr line is the one-line reason
    // (`asic-agent sim: …`), when it gave one.
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (!settled) fail(lastStderr ? lastStderr.replace(/^asic-agent sim: /, '') : `exited (${signal ?? code})`);
    });
    let lastStderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      const text = b.toString().trim();
      if (text) lastStderr = text.split('\n').pop() ?? text;
      // Before it started, what it says is the reason it could not (reported with the failure).
      if (settled) log.warn({ pid: child.pid, stderr: text.slice(0, 500) }, 'chain simulator stderr');
    });
    lines.on('line', (line) => {
      if (settled) return;
      if (path === undefined) {
        path = line.trim();
        return;
      }
      let info: { simTicketDifficulty?: unknown };
      try {
        info = JSON.parse(line) as { simTicketDifficulty?: unknown };
      } catch {
        fail(`unexpected second line ${JSON.stringify(line.slice(0, 80))}`);
        return;
      }
      settled = true;
      clearTimeout(timer);
      const d = typeof info.simTicketDifficulty === 'number' ? info.simTicketDifficulty : spec.simTicketDifficulty;
      // Acknowledgements of reset changes, in the order they were asked for.
      const acks: (() => void)[] = [];
      let hashes = 0;
      let clocks: number[] | undefined;
      let noncesSent = 0;
      // Questions asked and answered, in order: a counts() call resolves on the answer to its own question.
      let asked = 0;
      let answered = 0;
      let countWaiters: { at: number; done: (c: { hashes: number; noncesSent: number }) => void }[] = [];
      lines.on('line', (l) => {
        if (l.startsWith('{"hashes"')) {
          const a = JSON.parse(l) as { hashes?: unknown; noncesSent?: unknown };
          if (typeof a.hashes === 'number' && Number.isFinite(a.hashes)) hashes = a.hashes;
          if (typeof a.noncesSent === 'number' && Number.isFinite(a.noncesSent)) noncesSent = a.noncesSent;
          answered++;
          const due = countWaiters.filter((w) => w.at <= answered);
          countWaiters = countWaiters.filter((w) => w.at > answered);
          for (const w of due) w.done({ hashes, noncesSent });
          return;
        }
        if (l.startsWith('{"clocks"')) {
          try {
            const c = (JSON.parse(l) as { clocks?: unknown }).clocks;
            if (Array.isArray(c) && c.every((x) => typeof x === 'number')) clocks = c as number[];
          } catch {
            // A torn line: the next report replaces it.
          }
          return;
        }
        if (!l.startsWith('{"reset"')) return;
        acks.shift()?.();
      });
      const gone = (): void => {
        for (const ack of acks.splice(0)) ack();
        for (const w of countWaiters.splice(0)) w.done({ hashes, noncesSent });
      };
      child.once('exit', gone);
      resolve({
        devicePath: path,
        simTicketDifficulty: d,
        pid: child.pid ?? -1,
        get exited() {
          return child.exitCode !== null || child.signalCode !== null;
        },
        hashesDone: () => {
          // The latest answer, and a new question for the next caller (answered within a few ms).
          if (child.exitCode === null && child.signalCode === null && child.stdin?.writable) {
            asked++;
            child.stdin.write('hashes\n');
          }
          return hashes;
        },
        counts: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null || !child.stdin?.writable) return done({ hashes, noncesSent });
            countWaiters.push({ at: ++asked, done });
            child.stdin.write('hashes\n');
          }),
        setReset: (held) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null || !child.stdin?.writable) return done();
            acks.push(done);
            child.stdin.write(`reset ${held ? 1 : 0}\n`);
          }),
        setRail: (volts, tempC) => {
          if (child.exitCode !== null || child.signalCode !== null || !child.stdin?.writable) return;
          child.stdin.write(`rail ${volts.toFixed(4)} ${tempC.toFixed(2)}\n`);
        },
        clocks: () => clocks,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
