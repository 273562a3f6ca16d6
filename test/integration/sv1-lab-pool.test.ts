// The lab V1 pool as a server, spoken to line by line over a raw socket: session rules (subscribe
// before authorize and submit), BIP310 grants, distinct extranonce1 per connection, job timers (driven
// by a ManualClock), stale and unknown jobs, bad input.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as net from 'node:net';
import { ManualClock } from '../../src/clock.js';
import { Sv1LabPool } from '../../workshop/lab/sv1-pool.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Line {
  id?: unknown;
  method?: string;
  params?: unknown[];
  result?: unknown;
  error?: unknown;
}

async function connect(port: number): Promise<{ send: (o: unknown) => void; raw: (s: string) => void; lines: Line[]; reply: (id: number) => Promise<Line> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  cleanups.push(() => void socket.destroy());
  const lines: Line[] = [];
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)) as Line);
      buf = buf.slice(i + 1);
    }
  });
  return {
    lines,
    send: (o) => socket.write(`${JSON.stringify(o)}\n`),
    raw: (s) => socket.write(s),
    reply: async (id) => {
      await waitFor(() => lines.some((l) => l.id === id && l.method === undefined), `reply ${id}`);
      return lines.find((l) => l.id === id && l.method === undefined) as Line;
    },
  };
}

test('session rules, grants and errors', async () => {
  const clock = new ManualClock(0, 1_750_000_000);
  const pool = new Sv1LabPool({ clock, difficulty: 2, notifyIntervalMs: 30_000, cleanIntervalMs: 120_000, versionMask: 0x1fffe000 });
  await pool.start();
  cleanups.push(() => pool.stop());
  const c = await connect(pool.port);

  c.send({ id: 1, method: 'mining.submit', params: ['w', '1', '00000000', '00000000', '00000000'] });
  assert.deepEqual((await c.reply(1)).error, [25, 'not subscribed', null]);
  c.send({ id: 2, method: 'mining.authorize', params: ['w', 'x'] });
  assert.deepEqual((await c.reply(2)).error, [25, 'not subscribed', null]);

  c.send({
    id: 3,
    method: 'mining.configure',
    params: [['version-rolling', 'minimum-difficulty'], { 'version-rolling.mask': 'ffffffff', 'version-rolling.min-bit-count': 16 }],
  });
  assert.deepEqual((await c.reply(3)).result, { 'version-rolling': true, 'version-rolling.mask': '1fffe000', 'minimum-difficulty': false });

  c.send({ id: 4, method: 'mining.subscribe', params: ['test/1'] });
  const sub = (await c.reply(4)).result as [unknown, string, number];
  assert.equal(sub[1].length, 8);
  assert.equal(sub[2], 4);
  c.send({ id: 5, method: 'mining.authorize', params: ['w', 'x'] });
  assert.equal((await c.reply(5)).result, true);
  await waitFor(() => c.lines.some((l) => l.method === 'mining.notify'), 'first notify');
  const diff = c.lines.find((l) => l.method === 'mining.set_difficulty');
  assert.deepEqual(diff?.params, [2]);
  const notify = c.lines.find((l) => l.method === 'mining.notify') as Line;
  const p = notify.params as unknown[];
  assert.equal(p.length, 9);
  assert.equal(p[8], true);
  assert.equal(p[7], (1_750_000_000).toString(16).padStart(8, '0'), 'ntime from the injected clock');

  c.send({ id: 6, method: 'mining.submit', params: ['other', p[0], '00000000', p[7], '00000000'] });
  assert.deepEqual((await c.reply(6)).error, [24, 'unauthorized worker', null]);
  c.send({ id: 7, method: 'mining.submit', params: ['w', 'nope', '00000000', p[7], '00000000'] });
  assert.deepEqual((await c.reply(7)).error, [21, 'job not found', null]);
  c.send({ id: 8, method: 'mining.submit', params: ['w', p[0], 'zz', p[7], '00000000'] });
  assert.equal(((await c.reply(8)).error as unknown[])[0], 20);
  c.send({ id: 9, method: 'mining.fly', params: [] });
  assert.deepEqual((await c.reply(9)).error, [20, 'unknown method mining.fly', null]);
  c.raw('this is not json\n');
  c.send({ id: 10, method: 'mining.submit', params: ['w', p[0], '00000000', p[7], '00000000', '00002000'] });
  assert.match(((await c.reply(10)).error as unknown[])[1] as string, /low difficulty share/);
  assert.equal(pool.stats().badLines, 1);

  // Timers: a new job after the notify interval (not clean), a new block after the clean interval.
  const notifies = (): Line[] => c.lines.filter((l) => l.method === 'mining.notify');
  clock.advance(30_000);
  await waitFor(() => notifies().length === 2, 'second notify');
  const second = notifies()[1]?.params as unknown[];
  assert.equal(second[8], false);
  assert.equal(second[1], p[1], 'same prev hash');
  clock.advance(90_000);
  await waitFor(() => notifies().some((l) => (l.params as unknown[])[8] === true && (l.params as unknown[])[1] !== p[1]), 'clean job with a new prev hash');
  c.send({ id: 11, method: 'mining.submit', params: ['w', p[0], '00000000', p[7], '00000000'] });
  assert.deepEqual((await c.reply(11)).error, [21, 'stale job', null]);

  // A second connection gets its own extranonce1.
  const c2 = await connect(pool.port);
  c2.send({ id: 1, method: 'mining.subscribe', params: [] });
  assert.notEqual(((await c2.reply(1)).result as unknown[])[1], sub[1]);
  assert.equal(pool.stats().accepted, 0);
  assert.equal(pool.stats().rejected, 6);
  assert.equal(pool.stats().rejectReasons['malformed submit'], 1);
});
