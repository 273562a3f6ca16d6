// The cgminer API over real TCP on 127.0.0.1: the wire format byte for byte (reply, one NUL, close),
// JSON and plain-text requests however they arrive, joined and unknown commands, write access, and the
// limits that keep slow, silent or greedy clients from stalling anyone else.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { resolveApiOptions, type ApiOptionsInput } from '../../src/api/api-options.js';
import { CgminerServer } from '../../src/api/cgminer-server.js';
import type { AgentSnapshot } from '../../src/api/snapshot.js';
import { SystemClock } from '../../src/clock.js';
import { FIRMWARE_NAME, FIRMWARE_VERSION } from '../../src/version.js';
import { API_TOKEN, RecordingControl, sampleSnapshot } from '../helpers/api-snapshot.js';
import { cgminerQuery, closed, openRaw } from '../helpers/cgminer-client.js';
import { waitFor } from '../helpers/wait.js';

/** Real timers, fixed "When" so replies can be compared byte for byte. */
class FixedWallClock extends SystemClock {
  override wallSeconds(): number {
    return 1_700_000_000;
  }
}

const servers: CgminerServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function start(
  input: ApiOptionsInput['cgminer'] = {},
  snapshot: () => AgentSnapshot = sampleSnapshot,
): Promise<{ server: CgminerServer; port: number; control: RecordingControl }> {
  const o = resolveApiOptions({ cgminer: { port: 0, ...input }, http: { enabled: false } });
  const control = new RecordingControl();
  const server = new CgminerServer(o.cgminer, { snapshot, control, clock: new FixedWallClock() });
  servers.push(server);
  const { port } = await server.listen();
  return { server, port, control };
}

const DESC = `${FIRMWARE_NAME} ${FIRMWARE_VERSION}`;
const VERSION_JSON =
  `{"STATUS":[{"STATUS":"S","When":1700000000,"Code":22,"Msg":"CGMiner versions","Description":"${DESC}"}],` +
  `"VERSION":[{"asic-agent":"0.1.0","API":"3.7","Firmware":"asic-agent","Model":"sim-bm1366-2x4","CGMiner":"asic-agent 0.1.0","CompileTime":"asic-agent 0.1.0","Type":"sim-bm1366-2x4"}],"id":1}`;
const VERSION_TEXT = `STATUS=S,When=1700000000,Code=22,Msg=CGMiner versions,Description=${DESC}|VERSION,asic-agent=0.1.0,API=3.7,Firmware=asic-agent,Model=sim-bm1366-2x4,CGMiner=asic-agent 0.1.0,CompileTime=asic-agent 0.1.0,Type=sim-bm1366-2x4|`;
const NUL = Buffer.from([0]);

test('JSON request: the reply is the JSON, one NUL byte, then the server closes', async () => {
  const { port } = await start();
  const r = await cgminerQuery(port, '{"command":"version"}');
  assert.deepEqual(r.bytes, Buffer.concat([Buffer.from(VERSION_JSON), NUL]));
  assert.equal(r.serverEnded, true);
});

test('plain-text request, with a newline, without one, and with a half-close: text reply + NUL + close', async () => {
  const { port } = await start({ settleMs: 50 });
  const want = Buffer.concat([Buffer.from(VERSION_TEXT), NUL]);
  assert.deepEqual((await cgminerQuery(port, 'version\n')).bytes, want);
  assert.deepEqual((await cgminerQuery(port, 'version')).bytes, want);
  assert.deepEqual((await cgminerQuery(port, 'version', { halfClose: true })).bytes, want);
  assert.deepEqual((await cgminerQuery(port, '{"command":"version"}', { halfClose: true })).bytes, Buffer.concat([Buffer.from(VERSION_JSON), NUL]));
});

test('a request that arrives a byte at a time is answered once, whole', async () => {
  const { port } = await start({ settleMs: 200 });
  const r = await cgminerQuery(port, '{"command":"version"}', { chunkSize: 1, gapMs: 2 });
  assert.deepEqual(r.bytes, Buffer.concat([Buffer.from(VERSION_JSON), NUL]));
  const t = await cgminerQuery(port, 'version\n', { chunkSize: 2, gapMs: 2 });
  assert.deepEqual(t.bytes, Buffer.concat([Buffer.from(VERSION_TEXT), NUL]));
});

test('joined commands over the wire: JSON keyed by command, text with CMD= sections', async () => {
  const { port } = await start();
  const r = await cgminerQuery(port, '{"command":"version+summary+pools"}');
  assert.equal(r.bytes.at(-1), 0);
  assert.equal(r.bytes.indexOf(0), r.bytes.length - 1, 'exactly one NUL, at the end');
  const v = JSON.parse(r.bytes.subarray(0, -1).toString()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(v), ['version', 'summary', 'pools', 'id']);
  assert.equal(JSON.stringify((v.version as unknown[])[0]), VERSION_JSON);
  const t = (await cgminerQuery(port, 'version+devs\n')).bytes.toString();
  assert.ok(t.startsWith(`CMD=version|${VERSION_TEXT}CMD=devs|STATUS=S,When=1700000000,Code=9,Msg=2 ASC(s),`), t);
  assert.ok(t.endsWith('|\u0000'));
});

test("unknown command and bad JSON: cgminer's error STATUS", async () => {
  const { port } = await start();
  assert.deepEqual(
    (await cgminerQuery(port, '{"command":"frobnicate"}')).bytes.toString(),
    '{"STATUS":[{"STATUS":"E","When":1700000000,"Code":14,"Msg":"Invalid command"}],"id":1}\u0000',
  );
  assert.deepEqual((await cgminerQuery(port, 'frobnicate\n')).bytes.toString(), 'STATUS=E,When=1700000000,Code=14,Msg=Invalid command|\u0000');
  assert.deepEqual(
    (await cgminerQuery(port, '{"command":', { halfClose: true })).bytes.toString(),
    `{"STATUS":[{"STATUS":"E","When":1700000000,"Code":23,"Msg":"Invalid JSON","Description":"${DESC}"}],"id":1}\u0000`,
  );
  assert.deepEqual(
    (await cgminerQuery(port, '{"parameter":"1"}')).bytes.toString(),
    `{"STATUS":[{"STATUS":"E","When":1700000000,"Code":24,"Msg":"Missing JSON 'command'","Description":"${DESC}"}],"id":1}\u0000`,
  );
});

test('write commands: refused by default, accepted with the configured token from an allowed address', async () => {
  const closedApi = await start();
  const denied = (await cgminerQuery(closedApi.port, `{"command":"switchpool","parameter":"1","token":"${API_TOKEN}"}`)).bytes.toString();
  assert.equal(
    denied,
    `{"STATUS":[{"STATUS":"E","When":1700000000,"Code":45,"Msg":"Access denied to 'switchpool' command","Description":"${DESC}"}],"id":1}\u0000`,
  );
  assert.equal(closedApi.control.calls.length, 0);

  const open = await start({ write: { enabled: true, allow: ['127.0.0.1/32'], token: API_TOKEN } });
  const ok = (await cgminerQuery(open.port, `{"command":"switchpool","parameter":"1","token":"${API_TOKEN}"}`)).bytes.toString();
  assert.equal(
    ok,
    `{"STATUS":[{"STATUS":"S","When":1700000000,"Code":27,"Msg":"Switching to pool 1:'stratum+tcp://backup.example:3333'","Description":"${DESC}"}],"id":1}\u0000`,
  );
  assert.match((await cgminerQuery(open.port, `switchpool|wrong-token-00000000,0\n`)).bytes.toString(), /Code=45/);
  assert.deepEqual(open.control.calls, [{ method: 'switchPool', arg: 'backup' }]);

  // The allow-list is checked against the peer address: loopback is not in this one.
  const other = await start({ write: { enabled: true, allow: ['10.0.0.0/8'], token: API_TOKEN } });
  assert.match((await cgminerQuery(other.port, `{"command":"restart","token":"${API_TOKEN}"}`)).bytes.toString(), /"Code":45/);
  assert.equal(other.control.calls.length, 0);
});

test('restart: the RESTART reply goes out and closes before the agent restarts', async () => {
  const { port, control } = await start({ write: { enabled: true, allow: ['127.0.0.1'], token: API_TOKEN } });
  const r = await cgminerQuery(port, `restart|${API_TOKEN}\n`);
  assert.equal(r.bytes.toString(), 'RESTART\u0000');
  await waitFor(() => control.calls.length === 1, 'restart called');
  assert.deepEqual(control.calls, [{ method: 'restart' }]);
});

test('many concurrent clients all get their own complete reply', async () => {
  const { port, server } = await start({ maxConnections: 300 });
  const cmds = ['summary', 'pools', 'devs', 'version', 'stats'];
  const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => cgminerQuery(port, JSON.stringify({ command: cmds[i % cmds.length] }))));
  replies.forEach((r, i) => {
    assert.equal(r.bytes.at(-1), 0);
    const v = JSON.parse(r.bytes.subarray(0, -1).toString()) as Record<string, unknown>;
    const section = { summary: 'SUMMARY', pools: 'POOLS', devs: 'DEVS', version: 'VERSION', stats: 'STATS' }[cmds[i % cmds.length] as string] as string;
    assert.ok(section in v, `reply ${i} has ${section}`);
  });
  assert.equal(server.counters().requests, 200);
});

test('silent and slow clients do not hold others up, and the silent ones are dropped', async () => {
  const { port, server } = await start({ idleTimeoutMs: 300, settleMs: 5000 });
  const silent = await Promise.all(Array.from({ length: 5 }, () => openRaw(port)));
  // One that dribbles a JSON request a byte every 100 ms.
  const slow = cgminerQuery(port, '{"command":"version"}', { chunkSize: 1, gapMs: 100 });
  for (let i = 0; i < 5; i++) {
    const r = await cgminerQuery(port, '{"command":"summary"}');
    assert.match(r.bytes.toString(), /"Code":11/);
  }
  await Promise.all(silent.map(closed));
  assert.ok(server.counters().timeouts >= 5);
  // The dribbler keeps its connection alive by sending, and still gets a whole reply.
  assert.deepEqual((await slow).bytes, Buffer.concat([Buffer.from(VERSION_JSON), NUL]));
});

test('a client that never reads its (large) reply is dropped at the connection timeout; others are served meanwhile', async () => {
  const big = (): AgentSnapshot => {
    const s = sampleSnapshot();
    const p = s.pools[0] as AgentSnapshot['pools'][number];
    s.pools = Array.from({ length: 4000 }, (_, i) => ({ ...p, id: `p${i}`, url: `stratum+tcp://pool${i}.example:3333` }));
    return s;
  };
  // Long enough that the other client is served within it even on a loaded machine (the big reply takes
  // a while to build); the test then waits for the drop, however long it takes.
  const { port, server } = await start({ connectionTimeoutMs: 5000 }, big);
  const lazy = await openRaw(port);
  // The server resets this connection when it drops it with the reply unread: that is the point.
  lazy.on('error', () => undefined);
  lazy.pause();
  lazy.write('{"command":"pools"}');
  const r = await cgminerQuery(port, '{"command":"version"}');
  assert.equal(r.bytes.at(-1), 0);
  // The server drops its end (the reply stays unread in the lazy client's buffers).
  await waitFor(() => server.counters().requests === 2 && server.counters().open === 0, 'the lazy connection dropped by the server');
  lazy.destroy();
});

test('connections over maxConnections are closed at once; capacity comes back', async () => {
  const { port, server } = await start({ maxConnections: 3, idleTimeoutMs: 60_000 });
  const held = await Promise.all([openRaw(port), openRaw(port), openRaw(port)]);
  await waitFor(() => server.counters().connections === 3, 'three connections accepted');
  const refused = await cgminerQuery(port, '{"command":"version"}').catch((err: Error) => ({ bytes: Buffer.alloc(0), serverEnded: false, err }));
  assert.equal(refused.bytes.length, 0, 'no reply over the limit');
  assert.equal(server.counters().overLimit, 1);
  for (const h of held) h.destroy();
  await waitFor(() => server.counters().open === 0, 'holders gone');
  assert.deepEqual((await cgminerQuery(port, '{"command":"version"}')).bytes, Buffer.concat([Buffer.from(VERSION_JSON), NUL]));
});

test('a request over maxRequestBytes gets an error reply and a close', async () => {
  const { port, server } = await start({ maxRequestBytes: 1024 });
  const r = await cgminerQuery(port, `{"command":"addpool","parameter":"${'x'.repeat(3000)}"}`);
  assert.equal(
    r.bytes.toString(),
    `{"STATUS":[{"STATUS":"E","When":1700000000,"Code":205,"Msg":"Request larger than 1024 bytes","Description":"${DESC}"}],"id":1}\u0000`,
  );
  assert.equal(server.counters().tooLarge, 1);
});

test('allow (read access) set: other clients are closed unanswered', async () => {
  const { port, server } = await start({ allow: ['10.0.0.0/8'] });
  const r = await cgminerQuery(port, '{"command":"version"}').catch(() => ({ bytes: Buffer.alloc(0), serverEnded: false }));
  assert.equal(r.bytes.length, 0);
  assert.equal(server.counters().notAllowed, 1);
  const { port: p2 } = await start({ allow: ['127.0.0.0/8', '::1'] });
  assert.deepEqual((await cgminerQuery(p2, '{"command":"version"}')).bytes, Buffer.concat([Buffer.from(VERSION_JSON), NUL]));
});
