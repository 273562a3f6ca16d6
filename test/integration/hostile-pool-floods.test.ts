/**
 * Issue 21 D9 and D10: pools that send nonsense, over real TCP. A flood of malformed or senseless
 * messages (SV1 bad lines, SV2 SetNewPrevHash for jobs that never existed) ends the session after a
 * bounded number of strikes, with a clear reason, and costs only a few log records; an SV2
 * SetExtranoncePrefix that makes the full extranonce longer than 32 bytes is refused; an SV1
 * mining.set_difficulty of 1e300 (no share could ever be found) is not taken silently.
 */
import { failureText } from '../../src/upstream/session-failure.js';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { configureLogging } from '../../src/log.js';
import { Sv1Client } from '../../src/upstream/sv1/client.js';
import { ScriptedPool, standardHandshake, type ScriptedConn } from '../helpers/scripted-pool.js';
import { client, once, startPool } from '../helpers/sv2-lab.js';
import { waitFor } from '../helpers/wait.js';
import { ownSeedLines } from '../helpers/sv1-fuzz.js';

/** Every warning and error of this process, as parsed records. */
const records: Record<string, unknown>[] = [];
before(() => {
  configureLogging({
    level: 'warn',
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const line of chunk.toString().split('\n')) if (line) records.push(JSON.parse(line) as Record<string, unknown>);
        cb();
      },
    }),
  });
});
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const FLOOD = 2000;
const logged = (module: string, from: number): number => records.slice(from).filter((r) => r.module === module).length;

test('SV2: a flood of SetNewPrevHash for unknown jobs ends the session after its strikes, in a few log records', async () => {
  const pool = await startPool();
  cleanups.push(() => pool.stop());
  const c = client(pool.url, { channel: 'extended', backoff: { initialMs: 60_000, maxMs: 60_000 } });
  cleanups.push(() => c.stop());
  const from = records.length;
  c.start();
  await once(c, 'job');
  const ended = once(c, 'disconnected', () => true, 20_000);
  pool.sendRaw((channelId) => ({ type: 'SetNewPrevHash', channelId, jobId: 0xdead, prevHash: new Uint8Array(32), minNtime: 0, nbits: 0x1d00ffff }));
  for (let i = 1; i < FLOOD; i++)
    pool.sendRaw((channelId) => ({ type: 'SetNewPrevHash', channelId, jobId: 0xdead0000 + i, prevHash: new Uint8Array(32), minNtime: 0, nbits: 0x1d00ffff }));
  const [reason, , failure] = await ended;
  assert.equal(failure.category, 'protocol-error');
  assert.match(reason, /^20 bad messages within 60 s \(last: SetNewPrevHash names unknown job/);
  const n = logged('sv2.client', from);
  assert.ok(n <= 6, `${n} log records for ${FLOOD} bad messages`);
});

test('SV2: SetExtranoncePrefix making prefix + extranonce longer than 32 bytes is refused (the spec size rule)', async () => {
  const pool = await startPool();
  cleanups.push(() => pool.stop());
  const c = client(pool.url, { channel: 'extended', backoff: { initialMs: 60_000, maxMs: 60_000 } });
  cleanups.push(() => c.stop());
  c.start();
  await once(c, 'job');
  const ended = once(c, 'disconnected', () => true, 10_000);
  // The lab's extended channels roll 8 bytes behind their prefix: 25 + 8 > 32.
  pool.sendRaw((channelId) => ({ type: 'SetExtranoncePrefix', channelId, extranoncePrefix: new Uint8Array(25).fill(7) }));
  const [reason] = await ended;
  assert.match(reason, /SetExtranoncePrefix of 25 bytes with an extranonce of \d+ is over 32 bytes/);
});

async function scriptedV1(): Promise<{ s: ScriptedPool; conn: () => ScriptedConn | undefined }> {
  const s = new ScriptedPool();
  await s.start();
  cleanups.push(() => s.stop());
  let conn: ScriptedConn | undefined;
  s.onRequest = (cn, r) => {
    conn = cn;
    standardHandshake(cn, r, { mask: '1fffe000' });
    if (r.method === 'mining.authorize') s.send(cn, ownSeedLines()[0] as string);
  };
  return { s, conn: () => conn };
}

function v1(url: string): { c: Sv1Client; reasons: string[] } {
  const c = new Sv1Client({ id: 'hostile-v1', url, user: 'u', password: 'p', reconnectMinMs: 60_000, reconnectMaxMs: 60_000 });
  const reasons: string[] = [];
  c.on('state', (_s, why) => why && reasons.push(failureText(why) ?? ''));
  c.start();
  cleanups.push(() => c.stop());
  return { c, reasons };
}

test('SV1: a flood of bad lines ends the connection after its strikes, in a few log records', async () => {
  const { s, conn } = await scriptedV1();
  const from = records.length;
  const { c, reasons } = v1(s.url());
  await waitFor(() => c.state === 'ready' && conn() !== undefined, 'ready');
  const cn = conn() as ScriptedConn;
  for (let i = 0; i < FLOOD; i++) s.send(cn, `{"id":null,"method":"mining.notify","params":["job${i}"]}`);
  await waitFor(() => reasons.some((r) => r.startsWith('protocol-error')), 'the connection dropped for protocol errors');
  assert.match(reasons.find((r) => r.startsWith('protocol-error')) ?? '', /^protocol-error: 20 bad messages within 60 s/);
  const n = logged('sv1.client', from);
  assert.ok(n <= 6, `${n} log records for ${FLOOD} bad lines`);
});

test('SV1: mining.set_difficulty 1e300 is refused with a warning and the pool is left (failover), not mined for nothing', async () => {
  const { s, conn } = await scriptedV1();
  const from = records.length;
  const { c, reasons } = v1(s.url());
  await waitFor(() => c.state === 'ready' && conn() !== undefined, 'ready');
  s.send(conn() as ScriptedConn, '{"id":null,"method":"mining.set_difficulty","params":[1e300]}');
  await waitFor(() => reasons.some((r) => r.startsWith('protocol-error')), 'the connection dropped');
  assert.match(reasons.find((r) => r.startsWith('protocol-error')) ?? '', /mining\.set_difficulty 1e\+300 is above 1000000000000000/);
  assert.ok(records.slice(from).some((r) => r.msg === 'absurd mining.set_difficulty: leaving the pool'));
});
