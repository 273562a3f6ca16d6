/**
 * A NOTIFY_SOCKET for an agent under test, with systemd's side played here: every datagram the agent's
 * systemd-notify sends arrives as one message (its KEY=VALUE lines). Uses systemd-socket-activate (Debian
 * package systemd) to bind the datagram socket, see notify-receiver.mjs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface NotifyMessage {
  /** Arrival, ms (performance.now()). */
  at: number;
  fields: Record<string, string>;
}

export interface NotifySocket {
  path: string;
  messages: NotifyMessage[];
  waitFor(pred: (m: NotifyMessage) => boolean, what: string, timeoutMs?: number): Promise<NotifyMessage>;
  close(): void;
}

const RECEIVER = fileURLToPath(new URL('./notify-receiver.mjs', import.meta.url));

export async function startNotifySocket(dir: string): Promise<NotifySocket> {
  const path = join(dir, 'notify.sock');
  const child: ChildProcess = spawn('systemd-socket-activate', ['--datagram', '-l', path, process.execPath, RECEIVER], { stdio: ['ignore', 'pipe', 'pipe'] });
  const messages: NotifyMessage[] = [];
  const waiters: { pred: (m: NotifyMessage) => boolean; resolve: (m: NotifyMessage) => void }[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const text = JSON.parse(line) as string;
    const fields: Record<string, string> = {};
    for (const l of text.split('\n')) {
      const i = l.indexOf('=');
      if (i > 0) fields[l.slice(0, i)] = l.slice(i + 1);
    }
    if (fields.BARRIER === '1') return;
    const m = { at: performance.now(), fields };
    messages.push(m);
    for (const w of waiters.slice()) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  // Bound once it says so (it prints before handing the socket to the receiver).
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('Listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`systemd-socket-activate exited (${code}): ${err}`)));
  });
  return {
    path,
    messages,
    waitFor(pred, what, timeoutMs = 120_000) {
      const seen = messages.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no notify message ${what}; got ${JSON.stringify(messages.map((m) => m.fields))}`)), timeoutMs);
        waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
      });
    },
    close() {
      child.kill('SIGKILL');
    },
  };
}
