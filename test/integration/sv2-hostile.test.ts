// The client against pools that must be refused or dropped, over real TCP: a wrong authority key, an
// expired certificate, tampered ciphertext (through a proxy that flips one bit), and pools that send
// garbage before or after the handshake. Each ends with the right reason and no crash; the client keeps
// reconnecting (or stops, in single-attempt mode), and a good pool afterwards still works.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { schnorr } from '@noble/curves/secp256k1.js';
import { client, jobOf, mineShares, once, startPool } from '../helpers/sv2-lab.js';
import { encodeAuthorityKey } from '../../src/upstream/sv2/authority-key.js';
import { formatSv2Url } from '../../src/upstream/sv2/url.js';
import { Sv2Connection } from '../../src/upstream/sv2/transport.js';
import { generateEllSwiftKeypair, xOnlyOf } from '../../src/upstream/sv2/noise/ellswift-ecdh.js';
import { signCertificate } from '../../src/upstream/sv2/noise/signature-message.js';
import { encodeFrameHeader } from '../../src/upstream/sv2/framing.js';
import { NoiseResponder } from '../../src/upstream/sv2/noise/responder.js';
import type { CipherState } from '../../src/upstream/sv2/noise/cipher-state.js';
import { systemClock } from '../../src/clock.js';
import { waitFor } from '../helpers/wait.js';

async function listen(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { server, port: typeof a === 'object' && a ? a.port : 0 };
}

const close = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));

test('a pool whose certificate is not signed by the URL key is refused', async () => {
  const pool = await startPool();
  const wrongKey = encodeAuthorityKey(schnorr.getPublicKey(schnorr.utils.randomSecretKey()));
  const c = client(formatSv2Url('127.0.0.1', pool.port, wrongKey), { reconnect: false });
  try {
    const d = once(c, 'disconnected');
    c.start();
    const [reason, phase] = await d;
    assert.equal(phase, 'handshake');
    assert.match(reason, /^certificate-bad-signature/);
    assert.equal(c.state, 'closed');
    assert.equal(pool.stats().channels, 0);
  } finally {
    await c.stop();
    await pool.stop();
  }
});

test('an expired certificate is refused; reconnect attempts continue with backoff and never crash', async () => {
  const now = systemClock.wallSeconds();
  const pool = await startPool({ certificateWindow: { validFrom: now - 7200, notValidAfter: now - 3600 } });
  const c = client(pool.url);
  const reasons: string[] = [];
  c.on('disconnected', (r) => reasons.push(r));
  try {
    c.start();
    await once(c, 'disconnected', () => reasons.length >= 3);
    assert.ok(
      reasons.every((r) => r.startsWith('certificate-expired')),
      reasons.join(' | '),
    );
    assert.equal(c.state, 'connecting');
    assert.equal(c.stats().connects, 0);
  } finally {
    await c.stop();
    await pool.stop();
  }
});

/** A TCP proxy that can flip one bit in the next pool -> client chunk. */
async function tamperingProxy(target: number): Promise<{ server: Server; port: number; tamperNext: () => void; connections: () => number }> {
  let armed = false;
  let n = 0;
  const sockets: Socket[] = [];
  const p = await listen((down) => {
    n++;
    const up = connect(target, '127.0.0.1');
    sockets.push(down, up);
    down.on('data', (d) => up.write(d));
    up.on('data', (d: Buffer) => {
      if (armed) {
        armed = false;
        const copy = Buffer.from(d);
        copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x01;
        down.write(copy);
      } else down.write(d);
    });
    const end = (): void => {
      down.destroy();
      up.destroy();
    };
    down.on('close', end);
    up.on('close', end);
    down.on('error', end);
    up.on('error', end);
  });
  p.server.on('close', () => sockets.forEach((s) => s.destroy()));
  return { ...p, tamperNext: () => (armed = true), connections: () => n };
}

test('tampered ciphertext drops the connection ("decrypt failed"); unacknowledged shares are lost; mining resumes', async () => {
  const pool = await startPool({ shareBatchSize: 50 });
  const proxy = await tamperingProxy(pool.port);
  const c = client(formatSv2Url('127.0.0.1', proxy.port, pool.authorityKey), { channel: 'extended' });
  try {
    c.start();
    const job = await jobOf(c);
    const pending = c.submit(mineShares(job, 1)[0]!);
    await waitFor(() => pool.stats().accepted >= 1, 'the pool has the share');
    const d = once(c, 'disconnected');
    const back = once(c, 'session');
    proxy.tamperNext();
    pool.core.newJobs();
    const [reason, phase] = await d;
    assert.equal(phase, 'mining');
    assert.match(reason, /decrypt failed/);
    assert.deepEqual(await pending, { status: 'lost', reason: 'lost-to-disconnect' });
    await back;
    assert.equal(proxy.connections(), 2);
    const j2 = await jobOf(c);
    // Mining resumes on the new session: the pool accepts (and, batching, does not yet acknowledge) a share.
    void c.submit(mineShares(j2, 1)[0]!);
    await waitFor(() => pool.stats().accepted >= 2, 'the pool has the second share');
    assert.equal(pool.stats().accepted, 2);
  } finally {
    await c.stop();
    await pool.stop();
    proxy.server.close();
  }
});

test('a "pool" that answers the handshake with garbage is dropped with the reason', async () => {
  const g = await listen((s) => {
    s.on('error', () => undefined);
    s.once('data', () => s.write(randomBytes(400)));
  });
  const key = encodeAuthorityKey(schnorr.getPublicKey(schnorr.utils.randomSecretKey()));
  const c = client(formatSv2Url('127.0.0.1', g.port, key), { reconnect: false });
  try {
    const d = once(c, 'disconnected');
    c.start();
    const [reason, phase] = await d;
    assert.equal(phase, 'handshake');
    assert.match(reason, /decrypt failed/);
  } finally {
    await c.stop();
    await close(g.server);
  }
  // Too short and then closed: no crash either.
  const h = await listen((s) => {
    s.on('error', () => undefined);
    s.once('data', () => s.end(randomBytes(100)));
  });
  const c2 = client(formatSv2Url('127.0.0.1', h.port, key), { reconnect: false });
  try {
    const d = once(c2, 'disconnected');
    c2.start();
    assert.match((await d)[0], /closed during handshake/);
  } finally {
    await c2.stop();
    await close(h.server);
  }
});

/** A pool with a valid Noise responder and certificate that then misbehaves with `attack`. */
async function roguePool(attack: (conn: Sv2Connection) => void): Promise<{ server: Server; url: string }> {
  const secret = schnorr.utils.randomSecretKey();
  const staticKey = generateEllSwiftKeypair();
  const now = systemClock.wallSeconds();
  const certificate = signCertificate(secret, xOnlyOf(staticKey.secret), now - 10, now + 600);
  const p = await listen((s) => {
    const conn = new Sv2Connection(s, { security: { mode: 'noise-responder', staticKey, certificate } });
    conn.on('frame', () => attack(conn));
    conn.start();
  });
  return { server: p.server, url: formatSv2Url('127.0.0.1', p.port, encodeAuthorityKey(schnorr.getPublicKey(secret))) };
}

const malformed: [string, (conn: Sv2Connection) => void, RegExp][] = [
  [
    'a truncated SetupConnection.Success',
    (conn) => conn.sendFrame({ extensionType: 0, channelMsg: false, msgType: 0x01, payload: Uint8Array.of(2) }),
    /malformed message: .*truncated|malformed message/,
  ],
  [
    'a SetupConnection.Success with trailing bytes',
    (conn) => conn.sendFrame({ extensionType: 0, channelMsg: false, msgType: 0x01, payload: Uint8Array.of(2, 0, 0, 0, 0, 0, 9) }),
    /malformed message: .*trailing/,
  ],
  ['random bytes after the handshake', (conn) => conn.socket.write(randomBytes(64)), /decrypt failed/],
];

for (const [what, attack, expected] of malformed) {
  test(`a pool that sends ${what} is dropped, and the client reconnects`, async () => {
    const rogue = await roguePool(attack);
    const c = client(rogue.url);
    const reasons: string[] = [];
    c.on('disconnected', (r) => reasons.push(r));
    try {
      c.start();
      await once(c, 'disconnected', () => reasons.length >= 2);
      assert.match(reasons[0] as string, expected);
      assert.ok(c.stats().protocolErrors >= 2, 'counted once per dropped session');
      assert.notEqual(c.state, 'closed');
    } finally {
      await c.stop();
      await close(rogue.server);
    }
  });
}

/** A pool speaking raw Noise (no Sv2Connection), so that it can encrypt a lying frame header. */
async function rawNoisePool(after: (s: Socket, send: CipherState) => void): Promise<{ server: Server; url: string }> {
  const secret = schnorr.utils.randomSecretKey();
  const staticKey = generateEllSwiftKeypair();
  const now = systemClock.wallSeconds();
  const certificate = signCertificate(secret, xOnlyOf(staticKey.secret), now - 10, now + 600);
  const p = await listen((s) => {
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let done = false;
    s.on('data', (d: Buffer) => {
      if (done) return;
      buf = Buffer.concat([buf, d]);
      if (buf.length < 64) return;
      done = true;
      const r = new NoiseResponder({ staticKey, certificate }).respond(new Uint8Array(buf.subarray(0, 64)));
      s.write(r.act2);
      after(s, r.keys.send);
    });
  });
  return { server: p.server, url: formatSv2Url('127.0.0.1', p.port, encodeAuthorityKey(schnorr.getPublicKey(secret))) };
}

test('an encrypted frame header announcing 16 MiB is refused at the header', async () => {
  const rogue = await rawNoisePool((s, send) => s.write(send.encryptWithAd(new Uint8Array(0), encodeFrameHeader(0, false, 0x71, 0xffffff))));
  const c = client(rogue.url, { reconnect: false });
  try {
    const d = once(c, 'disconnected');
    c.start();
    assert.match((await d)[0], /frame-too-large/);
  } finally {
    await c.stop();
    await close(rogue.server);
  }
});

test('a pool that goes silent mid-frame is dropped by the idle timeout', async () => {
  const rogue = await rawNoisePool((s, send) => s.write(send.encryptWithAd(new Uint8Array(0), encodeFrameHeader(0, false, 0x01, 6)).subarray(0, 10)));
  const c = client(rogue.url, { reconnect: false, timeouts: { setupMs: 60_000, idleMs: 300 } });
  try {
    const d = once(c, 'disconnected');
    c.start();
    const [reason, phase] = await d;
    assert.equal(phase, 'setup');
    assert.match(reason, /nothing received from the pool/);
  } finally {
    await c.stop();
    await close(rogue.server);
  }
});

test('an oversized (but well-encrypted) frame is refused before it is buffered', async () => {
  const rogue = await roguePool((conn) => conn.sendFrame({ extensionType: 0, channelMsg: false, msgType: 0x71, payload: new Uint8Array(70_000) }));
  const c = client(rogue.url, { reconnect: false, maxInboundPayload: 65_536 });
  try {
    const d = once(c, 'disconnected');
    c.start();
    assert.match((await d)[0], /frame-too-large/);
  } finally {
    await c.stop();
    await close(rogue.server);
  }
});

test('the lab pool survives garbage from a client and keeps serving others', async () => {
  const pool = await startPool();
  const s = connect(pool.port, '127.0.0.1');
  s.on('error', () => undefined);
  s.resume(); // read (and drop) act 2, so that the pool's close is seen
  await new Promise((r) => s.once('connect', r));
  s.write(randomBytes(64)); // a fake act 1 (any 64 bytes decode) ...
  s.write(randomBytes(300)); // ... then undecryptable frames
  await new Promise((r) => s.once('close', r));
  const c = client(pool.url);
  try {
    c.start();
    const job = await jobOf(c);
    assert.deepEqual(await c.submit(mineShares(job, 1)[0]!), { status: 'accepted' });
    assert.ok(pool.stats().protocolErrors >= 1);
  } finally {
    await c.stop();
    await pool.stop();
  }
});
