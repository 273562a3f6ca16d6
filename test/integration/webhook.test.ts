// Alarms that push, to a real HTTP receiver on 127.0.0.1: a raise and a clear for an overheat injected
// into the simulated board (the board's own thermal policy stops it; the intake is cleared, it cools and
// restarts), the documented body, retries with backoff on 5xx and refused connections, no retry on 4xx,
// and a burst of 1,000 alarms while the receiver is down that keeps the queue (the memory) bounded.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { AlarmBook } from '../../src/agent/alarm-book.js';
import { alarmConditions } from '../../src/agent/alarm-conditions.js';
import type { Alarm } from '../../src/api/snapshot.js';
import { systemClock } from '../../src/clock.js';
import type { RunConfig } from '../../src/config/run-config.js';
import { WebhookSender, type WebhookBody, type WebhookOptions } from '../../src/notify/webhook.js';
import { advance, advanceUntil, startedSimBoard } from '../helpers/sim-board.js';

interface Received {
  body: WebhookBody;
  headers: IncomingMessage['headers'];
}

/** A webhook receiver: answers `status()` to each POST and records what it got. */
async function receiver(
  status: () => number = () => 200,
): Promise<{ url: string; got: Received[]; server: Server; next(n: number): Promise<void>; close(): Promise<void> }> {
  const got: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const code = status();
      if (code >= 200 && code < 300) got.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookBody, headers: req.headers });
      res.writeHead(code).end();
      for (const w of waiters.slice()) {
        if (got.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/s3cr3t-path`,
    got,
    server,
    next: (n) => (got.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const identity = () => ({ firmware: 'asic-agent', version: '0.1.0', model: 'sim-bm1370', node: 'rig-7' });

function options(url: string, o: Partial<WebhookOptions> = {}): WebhookOptions {
  return { url, minSeverity: 'warning', timeoutMs: 5000, attempts: 5, backoffMinMs: 10, backoffMaxMs: 50, queue: 100, ...o };
}

test('an injected overheat: the receiver gets the raise, then the clear once the board is cool and running again', { timeout: 120_000 }, async () => {
  const rx = await receiver();
  const patch = (c: RunConfig): RunConfig => ({ ...c, limits: { ...c.limits, restart: true, restartDelayS: 30 } });
  const h = await startedSimBoard(patch);
  const sender = new WebhookSender(options(rx.url, { token: 'receiver-token-123' }), { clock: systemClock, identity });
  const book = new AlarmBook();
  book.on('raise', (a) => sender.offer('raise', a));
  book.on('clear', (a) => sender.offer('clear', a));
  // What the agent's one-second alarm tick does (src/agent/snapshot.ts refreshAlarms), here on the board alone.
  const look = (): void => {
    const b = h.rt.board.status();
    const safe = h.rt.board.lastSafeState();
    const now = h.clock.wallSeconds();
    book.update(
      alarmConditions({
        now,
        board: { phase: b.phase, level: b.level, ...(safe ? { safe: { reason: safe.reason, detail: safe.detail, at: now } } : {}) },
        chains: [],
        pools: [],
        extra: [],
      }),
      now,
    );
  };
  try {
    await advance(h.clock, 60_000, 250, look);
    assert.equal(h.rt.board.getPhase(), 'running');
    h.rt.sim?.inject('overheat');
    const stopped = await advanceUntil(h.clock, () => (look(), h.rt.board.getPhase() === 'safe'), 10 * 60_000, 100);
    assert.ok(stopped !== undefined, 'the policy stopped the board');
    look();
    await sender.idle();
    const raises = rx.got.filter((r) => r.body.event === 'raise' && r.body.alarm.key === 'thermal:safe-state');
    assert.equal(raises.length, 1, JSON.stringify(rx.got.map((r) => r.body)));
    const raise = raises[0] as Received;
    assert.equal(raise.body.alarm.kind, 'thermal');
    assert.equal(raise.body.alarm.severity, 'critical');
    assert.match(raise.body.alarm.message, /^safe state: overheat/);
    assert.equal(raise.headers.authorization, 'Bearer receiver-token-123');
    assert.equal(raise.headers['content-type'], 'application/json');
    assert.match(String(raise.headers['user-agent']), /^asic-agent\//);

    // The operator clears the intake (as in test/unit/board/board-faults.test.ts); the board cools and restarts.
    Object.assign(h.rt.sim ?? {}, { airflowBlocked: false, extraHeatW: 0 });
    const restarted = await advanceUntil(h.clock, () => (look(), h.rt.board.getPhase() === 'running'), 30 * 60_000, 250);
    assert.ok(restarted !== undefined, 'restarted once cool');
    look();
    await sender.idle();
    const clear = rx.got.find((r) => r.body.event === 'clear' && r.body.alarm.key === 'thermal:safe-state');
    assert.ok(clear, JSON.stringify(rx.got.map((r) => r.body)));
    assert.equal(clear.body.alarm.at, raise.body.alarm.at, 'the clear names the same alarm');
    assert.ok((clear.body.alarm.clearedAt ?? 0) >= raise.body.alarm.at);
    assert.notEqual(clear.body.id, raise.body.id);
    // Raise before clear, each exactly once.
    const keyed = rx.got.filter((r) => r.body.alarm.key === 'thermal:safe-state').map((r) => r.body.event);
    assert.deepEqual(keyed, ['raise', 'clear']);
  } finally {
    sender.close();
    h.rt.close();
    await rx.close();
  }
});

test('the body is the documented one; 5xx is retried with the same id, 4xx is not retried', async () => {
  let answers = [503, 500, 200];
  const rx = await receiver(() => answers.shift() ?? 200);
  const sender = new WebhookSender(options(rx.url), { clock: systemClock, identity });
  const a: Alarm = { key: 'pool:main:down', kind: 'pool', severity: 'warning', message: 'pool main is down', at: 1_700_000_000, active: true, pool: 'main' };
  sender.offer('raise', a);
  await sender.idle();
  assert.equal(rx.got.length, 1);
  const b = rx.got[0]?.body as WebhookBody;
  assert.deepEqual(Object.keys(b).sort(), ['alarm', 'attempt', 'event', 'id', 'miner', 'sentAt', 'version']);
  assert.equal(b.version, 1);
  assert.equal(b.event, 'raise');
  assert.equal(b.attempt, 3, 'two 5xx answers, then delivered');
  assert.match(b.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(b.alarm, { key: 'pool:main:down', kind: 'pool', severity: 'warning', message: 'pool main is down', at: 1_700_000_000, pool: 'main' });
  assert.deepEqual(b.miner, identity());
  assert.equal(typeof b.sentAt, 'number');
  assert.deepEqual(sender.stats(), { queued: 0, delivered: 1, failed: 0, rejected: 0, dropped: 0, requests: 3 });

  answers = [400];
  sender.offer('clear', { ...a, active: false, clearedAt: 1_700_000_100 });
  await sender.idle();
  assert.equal(sender.stats().rejected, 1);
  assert.equal(sender.stats().requests, 4, 'a 4xx is not retried');
  // Filters: below min_severity or another kind, nothing is queued.
  const critical = new WebhookSender(options(rx.url, { minSeverity: 'critical', kinds: ['thermal'] }), { clock: systemClock, identity });
  critical.offer('raise', a);
  assert.equal(critical.stats().queued, 0);
  sender.close();
  critical.close();
  await rx.close();
});

test('a receiver that refuses connections: retried, then dropped after the last attempt and counted', async () => {
  const rx = await receiver();
  const url = rx.url;
  await rx.close();
  const sender = new WebhookSender(options(url, { attempts: 3 }), { clock: systemClock, identity });
  sender.offer('raise', { key: 'fan:safe-state', kind: 'fan', severity: 'critical', message: 'safe state: fan-stall', at: 1, active: true });
  await sender.idle();
  assert.deepEqual(sender.stats(), { queued: 0, delivered: 0, failed: 1, rejected: 0, dropped: 0, requests: 3 });
  sender.close();
});

test('1,000 alarms while the receiver is down: the queue stays bounded, the newest are delivered when it is back', { timeout: 60_000 }, async () => {
  let down = true;
  const rx = await receiver(() => (down ? 503 : 200));
  const sender = new WebhookSender(options(rx.url, { queue: 100, attempts: 1000, backoffMinMs: 10, backoffMaxMs: 20 }), { clock: systemClock, identity });
  const heapBefore = process.memoryUsage().heapUsed;
  let most = 0;
  for (let i = 0; i < 1000; i++) {
    sender.offer('raise', {
      key: `chain:${i}:dead`,
      kind: 'chain',
      severity: 'critical',
      message: `chain${i} is dead`,
      at: 1_700_000_000 + i,
      active: true,
      chain: i,
    });
    most = Math.max(most, sender.stats().queued);
  }
  assert.ok(most <= 100, `queue peaked at ${most}`);
  const st = sender.stats();
  assert.equal(st.queued, 100);
  assert.equal(st.dropped, 900);
  // Memory follows the queue: a thousand alarms hold no more than a hundred events (loose bound: 5 MB).
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 5 * 1024 * 1024);
  down = false;
  await rx.next(100);
  await sender.idle();
  const end = sender.stats();
  assert.equal(end.delivered, 100);
  assert.equal(end.delivered + end.dropped + end.failed + end.rejected, 1000);
  // The oldest were dropped (except the one in flight when the queue filled); order is kept.
  const chains = rx.got.map((r) => r.body.alarm.chain as number);
  assert.deepEqual(
    chains,
    [...chains].sort((x, y) => x - y),
  );
  assert.equal(chains.at(-1), 999);
  sender.close();
  await rx.close();
});
