// `asic-agent status` as a miner runs it: against a live HTTP API (table and --json), against nothing
// (a clear message, exit 1), with bad arguments (usage, exit 2). Plus the table's number formatting.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { resolveApiOptions } from '../../src/api/api-options.js';
import { HttpApiServer } from '../../src/api/http-server.js';
import { statusView } from '../../src/api/http-views.js';
import { formatDifficulty, formatDuration, formatHashrate, statusTable } from '../../src/api/status-table.js';
import { systemClock } from '../../src/clock.js';
import { sampleSnapshot } from '../helpers/api-snapshot.js';
import { SimAgent } from '../helpers/sim-agent.js';
import { waitFor } from '../helpers/wait.js';

const bin = fileURLToPath(new URL('../../bin/asic-agent.js', import.meta.url));
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers) await c();
});

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'warn', ASIC_AGENT_LOG_FORMAT: 'json' } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

async function serve(snapshot = sampleSnapshot): Promise<string> {
  const o = resolveApiOptions({ http: { port: 0 }, cgminer: { enabled: false } });
  const s = new HttpApiServer(o.http, { snapshot });
  closers.push(() => s.close());
  const { port } = await s.listen();
  return `http://127.0.0.1:${port}`;
}

test('status prints the table: pool, hashrate, shares, chains with chips alive, temps, fans, alarms', async () => {
  const url = await serve();
  const r = await run(['status', '--url', url]);
  assert.equal(r.code, 0, r.err);
  const out = r.out;
  assert.match(out, /^asic-agent 0\.1\.0 {2}board sim-bm1366-2x4 {2}running {2}up 1h 02m 03s/);
  assert.match(out, /\npool {6}main {2}stratum2\+tcp:\/\/pool\.example:3336\/\S+ {2}user bc1qminer\.rig1 {2}sv2 {2}alive {2}difficulty 4\.10k\n/);
  assert.match(out, /\nhashrate {2}5s 3\.54 TH\/s {2}1m 3\.50 TH\/s {2}15m 3\.43 TH\/s {2}avg 3\.40 TH\/s {2}nominal 4\.00 TH\/s\n/);
  assert.match(out, /\nshares {4}accepted 120 {2}rejected 3 {2}stale 2 {2}lost 1 {2}best 1\.23M {2}blocks 0 {2}hw errors 4\n/);
  assert.match(out, /\nchains {4}chain +family +state +chips +freq/);
  assert.match(out, /\n {10}1 +BM1366 +running +3\/4 +485 MHz +1\.51 TH\/s +1\.50 TH\/s +2 +4 +62\.5 °C\n/);
  assert.match(out, /\ntemps {5}chain0-chip 61\.5 °C {2}chain1-chip 62\.5 °C {2}board 44\.3 °C\n/);
  assert.match(out, /\nfans {6}fan0 45% 3120 rpm {2}fan1 45%\n/);
  assert.match(out, /\npower {5}vdd 12\.05 V 10\.20 A 122\.9 W on\n/);
  assert.match(out, /\nalarms {4}\[warning\] censorship: pool refused our template \(pool main, template 42, error invalid-coinbase\)\n$/);
});

test('status --json prints the /api/status JSON', async () => {
  const url = await serve();
  const r = await run(['status', '--json', '--url', `${url}/`]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), JSON.parse(JSON.stringify(statusView(sampleSnapshot()))));
});

test('status against a live simulated agent shows its pool and measured hashrate', async () => {
  const sim = new SimAgent(systemClock);
  sim.start(20);
  closers.push(() => sim.stop());
  const url = await serve(sim.snapshot);
  await waitFor(() => sim.snapshot().hashrate.rate1m > 0, 'a measured hashrate');
  const r = await run(['status', '--json', '--url', url]);
  assert.equal(r.code, 0, r.err);
  const v = JSON.parse(r.out) as { pool: { id: string }; hashrate: { rate1m: number }; chains: { chipsAlive: number }[] };
  assert.equal(v.pool.id, 'main');
  assert.ok(v.hashrate.rate1m > 0);
  assert.deepEqual(
    v.chains.map((c) => c.chipsAlive),
    [4, 3],
  );
});

test('status with no agent listening: a clear message and exit 1', async () => {
  const free = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const r = await run(['status', '--url', `http://127.0.0.1:${free}`]);
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`asic-agent status: no agent is listening at http://127\\.0\\.0\\.1:${free} \\(connection refused\\)`));
  assert.equal(r.out, '');
});

test('status against something that is not the agent, and bad arguments', async () => {
  const other = net.createServer((s) => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello'));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise((r) => other.close(() => r())));
  const r = await run(['status', '--url', `http://127.0.0.1:${(other.address() as net.AddressInfo).port}`]);
  assert.equal(r.code, 1);
  assert.match(r.err, /does not look like an asic-agent API/);
  assert.equal((await run(['status', '--url', 'ftp://x'])).code, 2);
  assert.equal((await run(['status', '--timeout', '-1'])).code, 2);
  assert.equal((await run(['status', '--bogus'])).code, 2);
});

test('table formatting helpers', () => {
  assert.equal(formatHashrate(0), '0 H/s');
  assert.equal(formatHashrate(950), '950 H/s');
  assert.equal(formatHashrate(1.234e12), '1.23 TH/s');
  assert.equal(formatHashrate(45.6e9), '45.6 GH/s');
  assert.equal(formatHashrate(Number.NaN), '0 H/s');
  assert.equal(formatDifficulty(0.5), '0.5');
  assert.equal(formatDifficulty(4096), '4.10k');
  assert.equal(formatDifficulty(1_234_567), '1.23M');
  assert.equal(formatDuration(59), '0m 59s');
  assert.equal(formatDuration(3723), '1h 02m 03s');
  assert.equal(formatDuration(90061), '1d 01h 01m');
  const s = sampleSnapshot();
  s.pools = [];
  s.chains = [];
  s.alarms = [];
  const t = statusTable(statusView(s));
  assert.match(t, /\npool {6}none configured\n/);
  assert.match(t, /\nchains {4}none\n/);
  assert.match(t, /\nalarms {4}none$/);
});
