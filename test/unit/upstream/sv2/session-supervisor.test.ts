// The one SV2 session supervisor, through each of its three owners (the mining client, the Template
// Provider link, the JDS link): the same typed failure for the same fault, the same backoff on the
// injected clock, and a Reconnect that falls back to the configured endpoint when it leads nowhere.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createServer, type Server, type Socket } from 'node:net';
import { schnorr } from '@noble/curves/secp256k1.js';
import { ManualClock } from '../../../../src/clock.js';
import type { UpstreamState } from '../../../../src/upstream/upstream.js';
import type { SessionFailure } from '../../../../src/upstream/session-failure.js';
import type { TypedEmitter } from '../../../../src/typed-emitter.js';
import { Sv2MiningClient } from '../../../../src/upstream/sv2/mining-client.js';
import { TemplateDistributionClient } from '../../../../src/upstream/sv2/template-client.js';
import { JobDeclaratorClient } from '../../../../src/upstream/sv2/jds-client.js';
import { phaseCategory, Sv2SessionSupervisor } from '../../../../src/upstream/sv2/session-supervisor.js';
import { encodeAuthorityKey } from '../../../../src/upstream/sv2/authority-key.js';
import { formatSv2Url } from '../../../../src/upstream/sv2/url.js';
import { Sv2SubProtocol } from '../../../../src/upstream/sv2/messages/common.js';

const key = encodeAuthorityKey(schnorr.getPublicKey(schnorr.utils.randomSecretKey()));

type StateEmitter = TypedEmitter<{ state: [state: UpstreamState, failure?: SessionFailure] }> & { start(): void; stop(reason?: string): unknown };

interface Owner {
  name: string;
  make(url: string, clock: ManualClock): StateEmitter;
}

const backoff = { initialMs: 1000, maxMs: 4000, factor: 2 };

const OWNERS: Owner[] = [
  {
    name: 'mining client',
    make: (url, clock) => new Sv2MiningClient({ url, user: 'u', channel: 'standard', nominalHashrate: 1, clock, backoff, random: () => 0 }),
  },
  {
    name: 'template provider link',
    make: (url, clock) =>
      new TemplateDistributionClient({ url, clock, backoff, random: () => 0, constraints: { maxAdditionalSize: 100, maxAdditionalSigops: 4 } }),
  },
  { name: 'JDS link', make: (url, clock) => new JobDeclaratorClient({ url, user: 'u', mode: 'coinbase-only', clock, backoff, random: () => 0 }) },
];

/** A port on which nothing listens. */
async function refusedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A server that accepts and hangs up at once: the handshake can never finish. */
async function hangUpServer(): Promise<{ port: number; server: Server; accepted: () => number }> {
  let n = 0;
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    n++;
    sockets.push(s);
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server, accepted: () => n };
}

/** Resolves with the failures of the first `n` failed attempts. */
function failures(up: StateEmitter, n: number): { all: SessionFailure[]; done: Promise<void> } {
  const all: SessionFailure[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  up.on('state', (_s, f) => {
    if (f && f.category !== 'stopped') {
      all.push(f);
      if (all.length === n) resolve();
    }
  });
  return { all, done };
}

test('a session that ended in a phase fails as that phase (and `open` before the owner established it is refused setup)', () => {
  assert.equal(phaseCategory('connect', false), 'connect-failed');
  assert.equal(phaseCategory('handshake', false), 'handshake-failed');
  assert.equal(phaseCategory('setup', false), 'authorize-failed');
  assert.equal(phaseCategory('open', false), 'authorize-failed');
  assert.equal(phaseCategory('open', true), 'disconnected');
});

for (const owner of OWNERS) {
  test(`${owner.name}: a refused connection is connect-failed, and reconnects follow one backoff (1 s, 2 s, 4 s, 4 s)`, async () => {
    const port = await refusedPort();
    const clock = new ManualClock();
    const up = owner.make(formatSv2Url('127.0.0.1', port, key), clock);
    const f = failures(up, 5);
    let seen = 0;
    up.on('state', (_s, x) => x && x.category !== 'stopped' && seen++);
    const waitFor = async (n: number): Promise<void> => {
      while (seen < n) await new Promise((r) => setTimeout(r, 2));
    };
    up.start();
    try {
      await waitFor(1);
      for (const [i, delay] of [1000, 2000, 4000, 4000].entries()) {
        clock.advance(delay - 1);
        // Give a (wrong) early attempt real time to connect and fail.
        await new Promise((r) => setTimeout(r, 30));
        assert.equal(seen, i + 1, `no reconnect before ${delay} ms`);
        clock.advance(1);
        await waitFor(i + 2);
      }
      await f.done;
      assert.deepEqual(
        f.all.map((x) => x.category),
        ['connect-failed', 'connect-failed', 'connect-failed', 'connect-failed', 'connect-failed'],
      );
      assert.match(f.all[0]?.detail ?? '', /ECONNREFUSED/);
    } finally {
      await up.stop();
    }
  });

  test(`${owner.name}: a peer that hangs up before the handshake is handshake-failed`, async () => {
    const srv = await hangUpServer();
    const up = owner.make(formatSv2Url('127.0.0.1', srv.port, key), new ManualClock());
    const f = failures(up, 1);
    up.start();
    try {
      await f.done;
      assert.equal(f.all[0]?.category, 'handshake-failed');
      assert.equal(srv.accepted(), 1);
    } finally {
      await up.stop();
      await new Promise<void>((r) => srv.server.close(() => r()));
    }
  });
}

test('a Reconnect is followed at once and is not a failure; when its endpoint fails, the configured one is used again', async () => {
  // A peer that accepts and says nothing: the session waits in the handshake.
  const held: Socket[] = [];
  const srv = createServer((sock) => held.push(sock));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const dead = await refusedPort();
  const clock = new ManualClock();
  const sup = new Sv2SessionSupervisor({
    url: formatSv2Url('127.0.0.1', port, key),
    role: 'pool',
    protocol: Sv2SubProtocol.Mining,
    setupFlags: () => 0,
    clock,
    backoff,
    random: () => 0,
  });
  const attempts: number[] = [];
  const ends: string[] = [];
  sup.on('attempt', (e) => attempts.push(e.port));
  sup.on('close', (f) => ends.push(f.category));
  const until = async (cond: () => boolean): Promise<void> => {
    while (!cond()) await new Promise((r) => setTimeout(r, 2));
  };
  sup.start();
  try {
    await until(() => held.length === 1 && sup.phase === 'handshake');
    sup.redirect('127.0.0.1', dead, 'pool asked to reconnect');
    clock.advance(0);
    await until(() => ends.length === 2);
    assert.deepEqual(attempts, [port, dead], 'the redirect is followed at once');
    assert.deepEqual(ends, ['reconnect-requested', 'connect-failed']);
    clock.advance(999);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(attempts.length, 2, 'a failed redirect waits for its backoff');
    clock.advance(1);
    await until(() => attempts.length === 3);
    assert.equal(attempts[2], port, 'a redirect that never connected falls back to the configured endpoint');
  } finally {
    sup.stop();
    for (const h of held) h.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});
