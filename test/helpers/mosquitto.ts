/**
 * A real MQTT broker for tests: Debian's mosquitto (installed by .ci/run), on a free port of 127.0.0.1,
 * no persistence (so a restart loses every retained message: what a client sees after one, it was sent
 * again), optionally with users (mosquitto_passwd) and no anonymous access. `kill()` ends it with
 * SIGKILL, as a crash would; `start()` again brings it back on the same port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolEnv } from './system-tool.js';

export interface Broker {
  port: number;
  url: string;
  /** (Re)starts the broker on its port; resolves once it listens. */
  start(): Promise<void>;
  /** SIGKILL: the broker dies as in a crash. */
  kill(): Promise<void>;
  stop(): Promise<void>;
  log(): string;
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

export async function startMosquitto(users: Record<string, string> = {}): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'asic-agent-mqtt-'));
  // Started as root, mosquitto drops to the user "mosquitto": it must be able to read these.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  const lines = [
    `listener ${port} 127.0.0.1`,
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
  ];
  if (Object.keys(users).length > 0) {
    const pw = join(dir, 'passwd');
    writeFileSync(pw, '');
    for (const [u, p] of Object.entries(users)) {
      const r = spawnSync('mosquitto_passwd', ['-b', pw, u, p], { encoding: 'utf8', env: toolEnv() });
      if (r.error || r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.error?.message ?? r.stderr}`);
    }
    chmodSync(pw, 0o644);
    lines.push('allow_anonymous false', `password_file ${pw}`);
  } else lines.push('allow_anonymous true');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  let child: ChildProcess | undefined;
  let stderr = '';

  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const c = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'], env: toolEnv() });
      child = c;
      let done = false;
      c.stderr?.setEncoding('utf8').on('data', (d: string) => {
        stderr = (stderr + d).slice(-20_000);
        // mosquitto logs this once its listener is open (mosquitto 2.0: src/mosquitto.c, "mosquitto version %s running").
        if (!done && /running/.test(stderr.slice(-2000))) {
          done = true;
          resolve();
        }
      });
      c.once('exit', (code, signal) => {
        if (!done) {
          done = true;
          reject(new Error(`mosquitto exited (${code ?? signal}) before listening: ${stderr}`));
        }
      });
      c.once('error', (err) => {
        if (!done) {
          done = true;
          reject(err);
        }
      });
    });

  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGKILL');
    await gone;
  };

  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    start: async () => {
      stderr = '';
      await start();
    },
    kill,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => stderr,
  };
}
