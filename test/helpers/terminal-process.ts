/**
 * A command run with its stdout on a real pseudo-terminal (the project's pty addon), as when a person
 * starts it in a terminal: `process.stdout.isTTY` is true in the child. What it prints is collected from
 * the master side; `waitFor` resolves when the text matches, so tests wait for output, not for time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { ptyAddon } from '../../workshop/sim/bm13xx/pty-addon.js';

export interface TerminalProcess {
  child: ChildProcess;
  /** Everything printed on the terminal so far. */
  text(): string;
  stderr(): string;
  waitFor(re: RegExp, what: string, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  close(): Promise<void>;
}

export function startInTerminal(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): TerminalProcess {
  const pty = ptyAddon().openPty();
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', pty.slaveFd, 'pipe'] });
  // The child has its own copy of the slave now; ours would keep the terminal open after it exits.
  closeSync(pty.slaveFd);
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = (): void => {
    for (const w of waiters.slice()) {
      const m = out.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  const master = new ReadStream(pty.masterFd);
  master.on('data', (b: Buffer | string) => {
    out += b.toString();
    check();
  });
  // EIO once the child (the last holder of the slave) has exited: the terminal is gone.
  master.on('error', () => undefined);
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    text: () => out,
    stderr: () => err,
    waitFor(re, what, timeoutMs = 120_000) {
      const m = out.match(re);
      if (m) return Promise.resolve(m);
      return new Promise<RegExpMatchArray>((resolve, reject) => {
        const w = { re, resolve: (x: RegExpMatchArray) => (clearTimeout(t), resolve(x)) };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no ${what} on the terminal within ${timeoutMs} ms; it shows:\n${out.slice(-3000)}\nstderr:\n${err.slice(-2000)}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    exited,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      master.destroy();
    },
  };
}
