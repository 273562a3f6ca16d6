/**
 * Issue 21 D3: the local APIs under floods, over real TCP. One client address holding hundreds of
 * connections (127.0.0.2, a slowloris) cannot take every slot: another client (127.0.0.1) is still
 * answered; refusals are counted and logged summarised, not one line each; an idle HTTP connection is
 * closed at its idle timeout, not at Node's 30 s check. Deadlines below only turn a hang into a failure.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { resolveApiOptions } from '../../src/api/api-options.js';
import { CgminerServer } from '../../src/api/cgminer-server.js';
import { HttpApiServer } from '../../src/api/http-server.js';
import { SystemClock } from '../../src/clock.js';
import { RecordingControl, sampleSnapshot } from '../helpers/api-snapshot.js';
import { cgminerQuery, closed } from '../helpers/cgminer-client.js';
import { waitFor } from '../helpers/wait.js';

const ATTACKER = '127.0.0.2';
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A pino logger whose records land in an array. */
function memoryLog(): { log: pino.Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) records.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream), records };
}

/** Opens `n` connections from `localAddress` and keeps those the server does not close at once. */
async function hold(port: number, n: number, localAddress: string): Promise<net.Socket[]> {
  const socks = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Socket>((resolve) => {
          const s = net.connect({ host: '127.0.0.1', port, localAddress });
          s.on('error', () => undefined);
          s.once('connect', () => resolve(s));
          s.once('close', () => resolve(s));
        }),
    ),
  );
  cleanups.push(() => socks.forEach((s) => s.destroy()));
  return socks;
}

test('cgminer API: 200 connections from one address hold at most its cap; another client is still answered; refusals are summarised', async () => {
  const { log, records } = memoryLog();
  const o = resolveApiOptions({ cgminer: { port: 0, idleTimeoutMs: 60_000, connectionTimeoutMs: 60_000 }, http: { enabled: false } });
  const server = new CgminerServer(o.cgminer, { snapshot: sampleSnapshot, control: new RecordingControl(), clock: new SystemClock(), log });
  cleanups.push(() => server.close());
  const { port } = await server.listen();
  const socks = await hold(port, 200, ATTACKER);
  await waitFor(() => socks.filter((s) => !s.destroyed && !s.closed).length <= o.cgminer.maxConnectionsPerAddress, 'excess connections closed by the server');
  const r = await cgminerQuery(port, '{"command":"version"}');
  assert.match(r.bytes.toString(), /"Code":22/, 'a client from another address is answered');
  const c = server.counters();
  assert.equal(c.overAddressLimit + c.overLimit, 200 - o.cgminer.maxConnectionsPerAddress);
  const refusals = records.filter((x) => typeof x.msg === 'string' && x.msg.includes('connection refused'));
  assert.ok(refusals.length <= 2, `${refusals.length} log records for ${200 - o.cgminer.maxConnectionsPerAddress} refusals`);
});

test('HTTP API: a slowloris address holds at most its cap, another client is answered, an idle connection goes at its idle timeout', async () => {
  const { log, records } = memoryLog();
  const o = resolveApiOptions({ cgminer: { enabled: false }, http: { port: 0, requestTimeoutMs: 60_000, idleTimeoutMs: 1000 } });
  const server = new HttpApiServer(o.http, { snapshot: sampleSnapshot, log });
  cleanups.push(() => server.close());
  const { port } = await server.listen();
  const socks = await hold(port, 100, ATTACKER);
  // A slowloris: each connection trickles an incomplete request head.
  for (const s of socks) if (!s.destroyed) s.write('GET /api/status HTTP/1.1\r\nHost: x\r\n');
  await waitFor(() => socks.filter((s) => !s.destroyed && !s.closed).length <= o.http.maxConnectionsPerAddress, 'excess connections closed by the server');
  const res = await fetch(`http://127.0.0.1:${port}/api/status`);
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  const refusals = records.filter((x) => typeof x.msg === 'string' && x.msg.includes('connection refused'));
  assert.ok(refusals.length <= 2, `${refusals.length} log records for ${server.refusals.overAddressLimit + server.refusals.overLimit} refusals`);
  // A connection that sends nothing is closed at the idle timeout (1 s here), not at Node's 30 s check.
  const idle = net.connect({ host: '127.0.0.1', port });
  idle.on('error', () => undefined);
  cleanups.push(() => void idle.destroy());
  const gone = closed(idle).then(() => true);
  const deadline = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000).unref());
  assert.equal(await Promise.race([gone, deadline]), true, 'the idle connection was closed well before 30 s');
});
