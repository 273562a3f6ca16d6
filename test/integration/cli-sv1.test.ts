// The commands as a miner runs them: `asic-agent lab sv1-pool --port 0` prints its URL,
// `asic-agent probe <that URL> --cpu-mine` ends with one JSON line and exit code 0; SIGTERM stops the
// lab pool with its counters. Plus the V1 prober in-process for the failure cases.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { rmSync } from 'node:fs';
import * as net from 'node:net';
import probeSv1 from '../../src/upstream/sv1/probe.js';
import { Sv1LabPool } from '../../workshop/lab/sv1-pool.js';
import type { ProbeOptions } from '../../src/cli/probe.js';
// The CPU miner the command line hands to `probe --cpu-mine` (src/cli/workshop.ts).
import { cpuMining } from '../../workshop/cpu-miner/cpu-miner.js';
import { selfSignedCert } from '../helpers/tls-cert.js';
import { TOOLS, toolTest } from '../helpers/system-tool.js';

const bin = fileURLToPath(new URL('../../bin/asic-agent.js', import.meta.url));
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const c of cleanups.reverse()) await c();
});

function run(args: string[]): ChildProcess & { out: string[] } {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'warn', ASIC_AGENT_LOG_FORMAT: 'json' },
  }) as ChildProcess & { out: string[] };
  children.push(child);
  child.out = [];
  let buf = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      child.out.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  return child;
}

function exited(c: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (c.exitCode !== null ? resolve(c.exitCode) : c.once('exit', (code) => resolve(code))));
}

async function lineMatching(c: ChildProcess & { out: string[] }, re: RegExp): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const l = c.out.find((x) => re.test(x));
    if (l) return l;
    if (c.exitCode !== null) throw new Error(`process exited (${c.exitCode}) before printing ${re}: ${c.out.join('\n')}`);
    if (Date.now() - t0 > 30_000) throw new Error(`no line matching ${re}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('asic-agent lab sv1-pool + asic-agent probe --cpu-mine: shares accepted, JSON last line, exit 0', async () => {
  const lab = run(['lab', 'sv1-pool', '--port', '0', '--difficulty', '0.00002', '--quiet']);
  const url = /stratum\+tcp:\/\/127\.0\.0\.1:\d+/.exec(await lineMatching(lab, /listening on stratum\+tcp:\/\/127\.0\.0\.1:\d+/))?.[0] as string;
  const probe = run(['probe', url, '--user', 'lab.rig', '--cpu-mine', '--until-accepted', '1', '--seconds', '300']);
  const code = await exited(probe);
  const last = JSON.parse(probe.out[probe.out.length - 1] as string) as Record<string, unknown>;
  assert.equal(code, 0, probe.out.join('\n'));
  assert.equal(last.protocol, 'sv1');
  assert.equal(last.handshake, 'ok');
  assert.equal(last.difficulty, 0.00002);
  assert.equal(last.versionMask, '1fffe000');
  assert.ok((last.jobs as number) >= 1);
  assert.ok((last.accepted as number) >= 1, JSON.stringify(last));
  assert.equal(last.rejected, 0);
  lab.kill('SIGTERM');
  assert.equal(await exited(lab), 0);
  const stats = JSON.parse(lab.out[lab.out.length - 1] as string) as { accepted: number; rejected: number };
  assert.equal(stats.accepted, last.accepted);
  assert.equal(stats.rejected, 0);
});

test('asic-agent lab sv1-pool: usage errors exit 2', async () => {
  const c = run(['lab', 'sv1-pool', '--difficulty', '1']);
  assert.equal(await exited(c), 2);
});

function opts(url: string, o: Partial<ProbeOptions> = {}): ProbeOptions {
  return { url, user: 'u', password: 'x', channel: 'standard', cpuMine: false, cpuMining, seconds: 2, allowUnauthenticated: false, say: () => {}, ...o };
}

test('probe in-process: refused connection and refused authorization are reported, not retried', async () => {
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const refused = await probeSv1(opts(`stratum+tcp://127.0.0.1:${port}`));
  assert.match(refused.handshake, /^connect-failed: .*ECONNREFUSED/);
  assert.equal(refused.jobs, 0);

  const pool = new Sv1LabPool({ authorize: () => false, notifyIntervalMs: 0, cleanIntervalMs: 0 });
  await pool.start();
  cleanups.push(() => pool.stop());
  const unauthorized = await probeSv1(opts(pool.url));
  assert.match(unauthorized.handshake, /^authorize-failed: unauthorized worker/);
  assert.equal(pool.stats().connections, 1, 'one attempt only');
});

toolTest('probe in-process over TLS with --tls-ca; version mask, extranonce space and difficulty reported', [TOOLS.openssl], {}, async () => {
  const cert = selfSignedCert();
  cleanups.push(() => rmSync(cert.dir, { recursive: true, force: true }));
  const pool = new Sv1LabPool({
    difficulty: 0.00002,
    extranonce2Size: 8,
    versionMask: 0x00ffe000,
    tls: { certFile: cert.certFile, keyFile: cert.keyFile },
    notifyIntervalMs: 0,
    cleanIntervalMs: 0,
  });
  await pool.start();
  cleanups.push(() => pool.stop());
  const r = await probeSv1(opts(pool.url, { tlsCaFile: cert.certFile, cpuMine: true, untilAccepted: 1, seconds: 300 }));
  assert.equal(r.handshake, 'ok');
  assert.equal(r.versionMask, '00ffe000');
  assert.equal(r.extranonce2Size, 8);
  assert.ok(r.accepted >= 1);
  assert.equal(r.rejected, 0);
  assert.equal(pool.stats().accepted, r.accepted);
});
