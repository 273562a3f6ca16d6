// Mining client behaviour that needs no pool: refusal rules, and reconnect backoff driven by a
// ManualClock (delays double from the initial value up to the cap; nothing reconnects early).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createServer } from 'node:net';
import { schnorr } from '@noble/curves/secp256k1.js';
import { ManualClock } from '../../../../src/clock.js';
import { Sv2MiningClient } from '../../../../src/upstream/sv2/mining-client.js';
import { encodeAuthorityKey } from '../../../../src/upstream/sv2/authority-key.js';
import { formatSv2Url, PoolUrlError } from '../../../../src/upstream/sv2/url.js';
import type { Share } from '../../../../src/upstream/job.js';

const key = encodeAuthorityKey(schnorr.getPublicKey(schnorr.utils.randomSecretKey()));

test('refusals: no key, public unauthenticated, plain with a key', () => {
  const base = { user: 'u', channel: 'standard' as const, nominalHashrate: 1 };
  assert.throws(() => new Sv2MiningClient({ ...base, url: 'stratum2+tcp://10.0.0.1:1' }), PoolUrlError);
  assert.throws(() => new Sv2MiningClient({ ...base, url: 'stratum2+tcp://1.1.1.1:1', allowUnauthenticated: true }), PoolUrlError);
  assert.throws(() => new Sv2MiningClient({ ...base, url: `stratum2+tcp://10.0.0.1:1/${key}`, plain: true, allowUnauthenticated: true }), PoolUrlError);
  assert.throws(() => new Sv2MiningClient({ ...base, url: `stratum2+tcp://10.0.0.1:1/${key}`, nominalHashrate: Number.NaN }), RangeError);
});

test('a share submitted with no session is lost, and counted', async () => {
  const c = new Sv2MiningClient({ url: `stratum2+tcp://127.0.0.1:1/${key}`, user: 'u', channel: 'standard', nominalHashrate: 1 });
  assert.deepEqual(await c.submit({} as Share), { status: 'lost', reason: 'lost-to-disconnect' });
  assert.equal(c.stats().lost, 1);
});

test('reconnect backoff doubles up to its cap, on the injected clock', async () => {
  // A port that refuses connections: listen, note the port, close.
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const clock = new ManualClock();
  const c = new Sv2MiningClient({
    url: formatSv2Url('127.0.0.1', port, key),
    user: 'u',
    channel: 'standard',
    nominalHashrate: 1,
    clock,
    backoff: { initialMs: 1000, maxMs: 4000, factor: 2 },
    random: () => 0,
  });
  let failures = 0;
  c.on('disconnected', () => failures++);
  const failure = (n: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const give = Date.now() + 10_000; // a hang guard, not a timing assertion
      const check = (): void => (failures >= n ? resolve() : Date.now() > give ? reject(new Error(`attempt ${n} never failed`)) : void setTimeout(check, 2));
      check();
    });
  c.start();
  try {
    await failure(1);
    for (const [i, delay] of [1000, 2000, 4000, 4000].entries()) {
      clock.advance(delay - 1);
      // Give a (wrong) early attempt real time to connect and fail.
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(failures, i + 1, `no reconnect before ${delay} ms`);
      clock.advance(1);
      await failure(i + 2);
    }
    assert.equal(c.stats().connects, 0);
  } finally {
    await c.stop();
  }
  assert.equal(c.state, 'closed');
});

test('the idle timeout counts from the last message the pool sent, not from the connection', async () => {
  const { startPool, client, once, jobOf, mineShares } = await import('../../../helpers/sv2-lab.js');
  const pool = await startPool();
  // Wall time as it is now: the pool's certificate is checked against the clock.
  const clock = new ManualClock(0, Math.floor(Date.now() / 1000));
  const c = client(pool.url, { clock, reconnect: false, timeouts: { idleMs: 1000 } });
  try {
    const ready = once(c, 'state', (s) => s === 'ready');
    c.start();
    await ready;
    const job = await jobOf(c);
    clock.advance(700);
    // A share's acknowledgement is a message from the pool, at clock time 700.
    const [share] = mineShares(job, 1);
    assert.equal((await c.submit(share as Share)).status, 'accepted');
    let dropped: string | undefined;
    c.on('disconnected', (reason) => (dropped = reason));
    clock.advance(999); // 1 699 since the connection, 999 since the last message
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(dropped, undefined, 'still connected 999 ms after the last message');
    assert.equal(c.state, 'ready');
    clock.advance(1);
    await new Promise((r) => setTimeout(r, 50));
    assert.match(dropped ?? '', /nothing received from the pool for 1 s/);
  } finally {
    await c.stop();
    await pool.stop();
  }
});
