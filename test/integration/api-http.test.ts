// The HTTP API over real HTTP on 127.0.0.1: each endpoint's JSON, /metrics, errors (404, 405, 403, 500),
// redaction of the config, strict JSON; and startLocalApi: both servers, the "api listening" record,
// the warning for write access on a non-loopback address.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { resolveApiOptions } from '../../src/api/api-options.js';
import { HttpApiServer } from '../../src/api/http-server.js';
import { startLocalApi, type LocalApi } from '../../src/api/local-api.js';
import { PROMETHEUS_CONTENT_TYPE } from '../../src/api/prometheus.js';
import type { AgentSnapshot } from '../../src/api/snapshot.js';
import { API_TOKEN, POOL_PASSWORD, RecordingControl, sampleSnapshot } from '../helpers/api-snapshot.js';
import { cgminerQuery } from '../helpers/cgminer-client.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers) await c();
});

async function startHttp(snapshot: () => AgentSnapshot = sampleSnapshot, allow: string[] = []): Promise<string> {
  const o = resolveApiOptions({ http: { port: 0, allow }, cgminer: { enabled: false } });
  const s = new HttpApiServer(o.http, { snapshot });
  closers.push(() => s.close());
  const { port } = await s.listen();
  return `http://127.0.0.1:${port}`;
}

test('GET /api/status: the compact status view', async () => {
  const base = await startHttp();
  const res = await fetch(`${base}/api/status`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const v = (await res.json()) as Record<string, unknown> & {
    pool: { id: string };
    chains: { chipsAlive: number }[];
    alarms: unknown[];
    shares: Record<string, unknown>;
  };
  assert.deepEqual(v.firmware, { name: 'asic-agent', version: '0.1.0' });
  assert.equal(v.pool.id, 'main');
  assert.deepEqual(
    v.chains.map((c) => c.chipsAlive),
    [4, 3],
  );
  assert.equal(v.alarms.length, 1, 'only active alarms');
  assert.equal(v.shares.accepted, 120);
  assert.equal('reasons' in v.shares, false);
});

test('GET /api/chains, /api/pools, /api/board: the detail views', async () => {
  const base = await startHttp();
  const chains = (await (await fetch(`${base}/api/chains`)).json()) as { chains: { chips: { silent: boolean }[] }[] };
  assert.equal(chains.chains[1]?.chips[2]?.silent, true);
  assert.equal(chains.chains[0]?.chips.length, 4);
  const pools = (await (await fetch(`${base}/api/pools/`)).json()) as { current: string; pools: { shares: { reasons: unknown[] } }[]; switches: unknown[] };
  assert.equal(pools.current, 'main');
  assert.equal(pools.pools[0]?.shares.reasons.length, 3);
  assert.equal(pools.switches.length, 3);
  const board = (await (await fetch(`${base}/api/board?x=1`)).json()) as {
    board: { state: string };
    fans: unknown[];
    power: unknown[];
    temperatures: unknown[];
    alarms: unknown[];
  };
  assert.equal(board.board.state, 'running');
  assert.equal(board.fans.length, 2);
  assert.equal(board.temperatures.length, 3);
  assert.equal(board.alarms.length, 2);
});

test('GET /api/config: secrets redacted wherever they sit', async () => {
  const base = await startHttp();
  const text = await (await fetch(`${base}/api/config`)).text();
  assert.ok(!text.includes(POOL_PASSWORD));
  assert.ok(!text.includes(API_TOKEN));
  assert.ok(!text.includes('inline-secret'));
  assert.ok(!text.includes('jd-secret-key'));
  const v = JSON.parse(text) as { group: { pool: { url: string; password: string; user: string }[] }[] };
  assert.deepEqual(v.group[0]?.pool[0], { url: 'stratum+tcp://rig1:[redacted]@backup.example:3333', user: 'rig1', password: '[redacted]' });
});

test('GET /metrics: Prometheus text with the right content type', async () => {
  const base = await startHttp();
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), PROMETHEUS_CONTENT_TYPE);
  const text = await res.text();
  assert.ok(text.includes('asic_agent_hashrate_hashes_per_second{scope="board",window="1m"} 3500000000000\n'));
  assert.ok(text.includes('asic_agent_api_http_requests_total 1\n'));
});

test('errors: 404 unknown path, 405 other methods, 403 outside allow, 500 when the snapshot fails', async () => {
  const base = await startHttp();
  const nf = await fetch(`${base}/nope`);
  assert.equal(nf.status, 404);
  assert.ok(((await nf.json()) as { endpoints: string[] }).endpoints.includes('/metrics'));
  const post = await fetch(`${base}/api/status`, { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  const head = await fetch(`${base}/api/status`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  const index = (await (await fetch(`${base}/`)).json()) as { name: string };
  assert.equal(index.name, 'asic-agent');

  const denied = await startHttp(sampleSnapshot, ['10.0.0.0/8']);
  assert.equal((await fetch(`${denied}/api/status`)).status, 403);

  const broken = await startHttp(() => {
    throw new Error('not ready');
  });
  assert.equal((await fetch(`${broken}/api/status`)).status, 500);
  assert.equal((await fetch(`${broken}/metrics`)).status, 500);
});

test('strict JSON even when a snapshot holds a non-finite number', async () => {
  const base = await startHttp(() => {
    const s = sampleSnapshot();
    s.hashrate.rate5s = Number.NaN;
    s.temperatures[0]!.celsius = Number.POSITIVE_INFINITY;
    return s;
  });
  const text = await (await fetch(`${base}/api/status`)).text();
  const v = JSON.parse(text) as { hashrate: { rate5s: unknown }; temperatures: { celsius: unknown }[] };
  assert.equal(v.hashrate.rate5s, null);
  assert.equal(v.temperatures[0]?.celsius, null);
});

function captureLog(): { log: pino.Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) records.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'info' }, sink), records };
}

test('startLocalApi: both servers, one "api listening" record with cgminer and http as host:port', async () => {
  const { log, records } = captureLog();
  const o = resolveApiOptions({ cgminer: { port: 0 }, http: { port: 0 } });
  const api: LocalApi = await startLocalApi(o, { snapshot: sampleSnapshot, control: new RecordingControl(), log });
  closers.push(() => api.close());
  const listening = records.filter((r) => r.msg === 'api listening');
  assert.equal(listening.length, 1);
  const rec = listening[0] as { cgminer: string; http: string };
  assert.match(rec.cgminer, /^127\.0\.0\.1:\d+$/);
  assert.match(rec.http, /^127\.0\.0\.1:\d+$/);
  assert.equal(rec.cgminer, api.addresses.cgminer);
  assert.equal(records.filter((r) => (r.level as number) >= 40).length, 0, 'no warning on loopback');
  const port = Number(rec.cgminer.split(':')[1]);
  assert.match((await cgminerQuery(port, '{"command":"summary"}')).bytes.toString(), /"Code":11/);
  const metrics = await (await fetch(`http://${rec.http}/metrics`)).text();
  assert.ok(metrics.includes('asic_agent_api_cgminer_requests_total 1\n'), 'cgminer counters reach /metrics');
});

test('startLocalApi: a non-loopback bind warns while write access is on, and only informs when read-only', async () => {
  const w = captureLog();
  const rw = resolveApiOptions({
    cgminer: { host: '0.0.0.0', port: 0, write: { enabled: true, allow: ['127.0.0.1'], token: API_TOKEN } },
    http: { enabled: false },
  });
  const api1 = await startLocalApi(rw, { snapshot: sampleSnapshot, control: new RecordingControl(), log: w.log });
  await api1.close();
  assert.equal(w.records.filter((r) => r.level === 40 && String(r.msg).includes('non-loopback')).length, 1);
  assert.equal((w.records.find((r) => r.msg === 'api listening') as { http: unknown }).http, null);

  const r = captureLog();
  const ro = resolveApiOptions({ cgminer: { host: '0.0.0.0', port: 0 }, http: { enabled: false } });
  const api2 = await startLocalApi(ro, { snapshot: sampleSnapshot, control: new RecordingControl(), log: r.log });
  await api2.close();
  assert.equal(r.records.filter((x) => (x.level as number) >= 40).length, 0);
  assert.equal(r.records.filter((x) => x.level === 30 && String(x.msg).includes('read-only')).length, 1);
});
