// Stratum V1 client against the lab V1 pool over real TCP (and TLS): handshake order, CPU-mined shares
// the pool verifies by SHA-256d, version masks (granted, before the subscribe reply, changed mid-job),
// difficulty changes, extranonce changes, reconnects, rejects in every error shape, timeouts.
import { failureText } from '../../src/upstream/session-failure.js';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { rmSync } from 'node:fs';
import { Sv1LabPool, type Sv1ErrorStyle, type Sv1LabPoolOptions } from '../../workshop/lab/sv1-pool.js';
import { Sv1Client, type Sv1ClientOptions } from '../../src/upstream/sv1/client.js';
import { CpuMiner, scanStep } from '../../workshop/cpu-miner/cpu-miner.js';
import { MiningHasher } from '../../src/work/sha256-engine.js';
import type { Job, Share, ShareOutcome } from '../../src/upstream/job.js';
import { USER_AGENT } from '../../src/version.js';
import { toHex } from '../../src/work/bytes.js';
import { difficultyToTarget } from '../../src/work/target.js';
import { waitFor } from '../helpers/wait.js';
import { selfSignedCert } from '../helpers/tls-cert.js';
import { TOOLS, toolTest } from '../helpers/system-tool.js';

/** Tiny difficulty: a share every ~40 000 hashes, a few per CPU-second. */
const TINY = 0.00002;

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function labPool(o: Sv1LabPoolOptions = {}): Promise<Sv1LabPool> {
  const p = new Sv1LabPool({ difficulty: TINY, notifyIntervalMs: 0, cleanIntervalMs: 0, ...o });
  await p.start();
  cleanups.push(() => p.stop());
  return p;
}

interface Rig {
  client: Sv1Client;
  jobs: Job[];
  outcomes: ShareOutcome[];
  shares: Share[];
  miner: CpuMiner;
  states: [string, string | undefined][];
}

function rig(url: string, o: Partial<Sv1ClientOptions> = {}, mine = true): Rig {
  const client = new Sv1Client({ id: 'lab', url, user: 'tester.rig1', password: 'x', reconnectMinMs: 20, reconnectMaxMs: 200, ...o });
  const r: Rig = { client, jobs: [], outcomes: [], shares: [], states: [], miner: undefined as unknown as CpuMiner };
  r.miner = new CpuMiner(
    (s) => {
      r.shares.push(s);
      void client.submit(s).then((out) => r.outcomes.push(out));
    },
    { batch: 8192 },
  );
  client.on('job', (j) => {
    r.jobs.push(j);
    if (mine) r.miner.setJob(j);
  });
  client.on('state', (s, why) => r.states.push([s, failureText(why)]));
  client.start();
  if (mine) r.miner.start();
  cleanups.push(async () => {
    r.miner.stop();
    await client.stop();
  });
  return r;
}

const accepted = (r: Rig): number => r.outcomes.filter((o) => o.status === 'accepted').length;

test('handshake order: configure, subscribe (user agent), authorize, then suggest_difficulty and extranonce.subscribe', async () => {
  const pool = await labPool();
  const r = rig(pool.url, { suggestDifficulty: TINY, extranonceSubscribe: true }, false);
  const requests: [string, unknown[]][] = [];
  pool.on('request', (_c, m, p) => requests.push([m, p]));
  await waitFor(() => requests.length >= 5, 'five handshake requests');
  assert.deepEqual(
    requests.map(([m]) => m),
    ['mining.configure', 'mining.subscribe', 'mining.authorize', 'mining.suggest_difficulty', 'mining.extranonce.subscribe'],
  );
  assert.deepEqual(requests[0]?.[1], [['version-rolling'], { 'version-rolling.mask': '1fffe000', 'version-rolling.min-bit-count': 2 }]);
  assert.deepEqual(requests[1]?.[1], [USER_AGENT]);
  assert.match(USER_AGENT, /^asic-agent\/\d+\.\d+\.\d+/);
  assert.deepEqual(requests[2]?.[1], ['tester.rig1', 'x']);
  await waitFor(() => r.jobs.length > 0, 'first job');
  assert.equal(r.client.state, 'ready');
  const job = r.jobs[0] as Job;
  assert.equal(job.clean, true);
  assert.equal(job.versionMask, 0x1fffe000);
  assert.equal(job.target, difficultyToTarget(TINY));
  assert.equal(job.source.protocol, 'sv1');
  // Without the options, only the three handshake requests go out.
  const pool2 = await labPool();
  const r2 = rig(pool2.url, {}, false);
  await waitFor(() => r2.jobs.length > 0, 'first job (pool 2)');
  assert.deepEqual(pool2.methodLog.get(1), ['mining.configure', 'mining.subscribe', 'mining.authorize']);
});

test('CPU-mined shares with rolled version bits are accepted by the lab pool, counted on both sides', async () => {
  const pool = await labPool();
  const r = rig(pool.url);
  await waitFor(() => accepted(r) >= 12, '12 accepted shares');
  r.miner.stop();
  await waitFor(() => r.outcomes.length === r.shares.length, 'every submit answered');
  assert.equal(r.outcomes.filter((o) => o.status !== 'accepted').length, 0, JSON.stringify(r.outcomes.filter((o) => o.status !== 'accepted')));
  const s = r.client.stats();
  assert.equal(s.accepted, r.shares.length);
  assert.equal(pool.stats().accepted, r.shares.length);
  assert.equal(pool.stats().rejected, 0);
  assert.ok(s.acceptedDifficulty > 0);
  // The miner walks the version field first: shares carry rolled bits, and the pool rebuilt them.
  assert.ok(
    r.shares.some((x) => (x.version & 0x1fffe000) !== ((r.jobs[0] as Job).version & 0x1fffe000)),
    'some share has rolled version bits',
  );
});

test('set_version_mask before the subscribe reply narrows the mask; shares under it are accepted', async () => {
  const pool = await labPool({ versionMaskBeforeSubscribe: 0x00ffe000 });
  const lines: string[] = [];
  pool.on('request', (_c, m) => lines.push(m));
  const r = rig(pool.url);
  await waitFor(() => accepted(r) >= 4, '4 accepted shares');
  assert.equal((r.jobs[0] as Job).versionMask, 0x00ffe000);
  assert.equal(r.client.stats().versionMask, 0x00ffe000);
  r.miner.stop();
  await waitFor(() => r.outcomes.length === r.shares.length, 'every submit answered');
  assert.ok(
    r.shares.every((s) => (s.version & ~0x00ffe000 & 0x1fffe000) === 0),
    'no bit outside the narrowed mask',
  );
  assert.equal(pool.stats().rejected, 0);
});

test('a mask change mid-job re-issues the job; a narrowed mask makes it clean', async () => {
  const pool = await labPool();
  const r = rig(pool.url, {}, false);
  await waitFor(() => r.jobs.length === 1, 'first job');
  pool.setVersionMask(0x0000e000);
  await waitFor(() => r.jobs.length === 2, 're-issued job');
  const j = r.jobs[1] as Job;
  assert.equal(j.id, (r.jobs[0] as Job).id);
  assert.equal(j.versionMask, 0x0000e000);
  assert.equal(j.clean, true);
  // A share rolled on a bit the pool took away cannot be sent: stale, never on the wire.
  const out = await r.client.submit({
    job: r.jobs[0] as Job,
    extranonce: new Uint8Array(4),
    ntime: j.ntime,
    nonce: 1,
    version: (j.version | 0x10000000) >>> 0,
    hash: new Uint8Array(32),
    difficulty: 1,
    isBlock: false,
    foundAt: 0,
  });
  assert.deepEqual(out, { status: 'stale', reason: 'version-mask-changed' });
  assert.deepEqual(
    pool.methodLog.get(1)?.filter((m) => m === 'mining.submit'),
    [],
  );
});

test('an old pool that ignores mining.configure: no mask, submits without version_bits, accepted', async () => {
  const pool = await labPool({ ignoreMethods: ['mining.configure'] });
  const r = rig(pool.url, { handshakeTimeoutMs: 3000 });
  await waitFor(() => accepted(r) >= 3, '3 accepted shares');
  assert.equal((r.jobs[0] as Job).versionMask, 0);
  r.miner.stop();
  await waitFor(() => r.outcomes.length === r.shares.length, 'every submit answered');
  // The lab pool rejects a 6th parameter when rolling was not negotiated, so none was sent.
  assert.equal(pool.stats().rejected, 0);
});

test('difficulty: fractional set_difficulty applies to the next job; mid-job the client only gets stricter, the Job keeps its target', async () => {
  const pool = await labPool({ difficulty: 5e-6 });
  const r = rig(pool.url, {}, false);
  const targets: bigint[] = [];
  r.client.on('target', (t) => targets.push(t));
  await waitFor(() => r.jobs.length === 1, 'first job');
  targets.length = 0;
  const first = r.jobs[0] as Job;
  assert.equal(first.target, difficultyToTarget(5e-6));
  pool.setDifficulty(2.75e-5);
  await waitFor(() => targets.length === 1, 'target event');
  assert.equal(targets[0], difficultyToTarget(2.75e-5));
  assert.equal(r.client.currentJob(), first, 'no job is rewritten');
  assert.equal(first.target, difficultyToTarget(5e-6));
  // A share of the running job that meets the old difficulty but not the new one is held back (stale), one meeting both is sent.
  const h = new MiningHasher();
  let weak: Share | undefined;
  let strong: Share | undefined;
  for (let step = 1; !(weak && strong) && step < 400; step++) {
    for (const s of scanStep(first, step, 1 << 16, h, 0).shares) {
      if (s.difficulty < 2.75e-5) weak ??= s;
      else strong ??= s;
    }
  }
  assert.ok(weak && strong, 'found shares on both sides of the new difficulty');
  assert.deepEqual(await r.client.submit(weak), { status: 'stale', reason: 'below-new-difficulty' });
  assert.equal((await r.client.submit(strong)).status, 'accepted');
  pool.setDifficulty(1.25e-6, { thenNotify: true });
  await waitFor(() => r.jobs.length === 2, 'next job');
  assert.equal(targets.length, 2, 'every set_difficulty is reported');
  assert.equal((r.jobs[1] as Job).target, difficultyToTarget(1.25e-6));
  assert.equal(r.client.stats().difficulty, 1.25e-6);
});

test('set_extranonce (extranonce.subscribe) applies to the next job; shares after it are accepted', async () => {
  const pool = await labPool();
  const r = rig(pool.url, { extranonceSubscribe: true });
  await waitFor(() => accepted(r) >= 2, 'accepted before');
  const before = r.client.stats().extranonce1;
  pool.rotateExtranonce();
  await waitFor(() => r.client.stats().extranonce1 !== before, 'new extranonce1');
  const prefix = (r.jobs[r.jobs.length - 1] as Job).work;
  assert.equal(prefix.kind, 'coinbase');
  if (prefix.kind === 'coinbase') assert.ok(toHex(prefix.coinbasePrefix).endsWith(r.client.stats().extranonce1 as string));
  const n = accepted(r);
  await waitFor(() => accepted(r) >= n + 3, 'accepted after');
  r.miner.stop();
  await waitFor(() => r.outcomes.length === r.shares.length, 'every submit answered');
  assert.equal(pool.stats().rejected, r.outcomes.filter((o) => o.status !== 'accepted').length);
  for (const o of r.outcomes) if (o.status !== 'accepted') assert.equal(o.status, 'stale', 'only shares of the replaced job may fail');
});

test('client.reconnect: a new session, old-job shares lost-to-disconnect, mining resumes', async () => {
  const pool = await labPool();
  const r = rig(pool.url);
  await waitFor(() => accepted(r) >= 2, 'accepted before');
  const oldJob = r.jobs[r.jobs.length - 1] as Job;
  pool.broadcast('client.reconnect', []);
  await waitFor(() => r.client.stats().connects === 2 && r.client.state === 'ready', 'reconnected');
  assert.ok(r.states.some(([s, why]) => s === 'connecting' && why?.startsWith('reconnect-requested')));
  assert.equal(r.client.stats().reconnectRequests, 1);
  const out = await r.client.submit({
    job: oldJob,
    extranonce: new Uint8Array(4),
    ntime: oldJob.ntime,
    nonce: 0,
    version: oldJob.version,
    hash: new Uint8Array(32),
    difficulty: 0,
    isBlock: false,
    foundAt: 0,
  });
  assert.deepEqual(out, { status: 'lost', reason: 'lost-to-disconnect' });
  const n = accepted(r);
  await waitFor(() => accepted(r) >= n + 2, 'accepted after the reconnect');
  // A redirect to another port is not followed by default.
  pool.broadcast('client.reconnect', ['127.0.0.1', 1, 0]);
  await waitFor(() => r.client.stats().connects === 3 && r.client.state === 'ready', 'reconnected to the configured pool');
});

test('pool killed and restarted on the same port: the client reconnects with backoff and mines again', async () => {
  const pool = await labPool();
  const port = pool.port;
  const r = rig(pool.url);
  await waitFor(() => accepted(r) >= 1, 'accepted before');
  await pool.stop();
  await waitFor(() => r.states.some(([s, why]) => s === 'connecting' && why?.startsWith('disconnected')), 'disconnect seen');
  await waitFor(() => r.states.some(([s, why]) => s === 'connecting' && why?.startsWith('connect-failed')), 'a failed reconnect');
  const again = await labPool({ port });
  await waitFor(() => r.client.state === 'ready' && again.stats().connections >= 1, 'reconnected to the restarted pool');
  await waitFor(() => again.stats().accepted >= 2, 'accepted by the restarted pool');
});

for (const style of ['array', 'string', 'reject-reason', 'jsonrpc2'] as Sv1ErrorStyle[]) {
  test(`rejects in the '${style}' error shape: low difficulty, duplicate and stale, with the pool's reason`, async () => {
    const pool = await labPool({ difficulty: 1e6, errorStyle: style });
    const r = rig(pool.url, {}, false);
    await waitFor(() => r.jobs.length === 1, 'first job');
    const job = r.jobs[0] as Job;
    const share: Share = {
      job,
      extranonce: Uint8Array.of(0, 0, 0, 9),
      ntime: job.ntime,
      nonce: 12345,
      version: job.version,
      hash: new Uint8Array(32),
      difficulty: 0,
      isBlock: false,
      foundAt: 0,
    };
    const low = await r.client.submit(share);
    assert.equal(low.status, 'rejected');
    if (low.status === 'rejected') {
      assert.equal(low.reason, 'difficulty-too-low');
      assert.match(low.detail ?? '', /low difficulty share/);
    }
    // Make the pool accept a share at the easiest difficulty, then submit it twice.
    pool.setDifficulty(TINY, { thenNotify: true });
    await waitFor(() => r.jobs.length === 2, 'job at tiny difficulty');
    const easy = r.jobs[1] as Job;
    r.miner.setJob(easy);
    r.miner.start();
    await waitFor(() => r.shares.length >= 1, 'a share found');
    r.miner.stop();
    await waitFor(() => r.outcomes.length === r.shares.length, 'answered');
    const found = r.shares[0] as Share;
    assert.equal((r.outcomes[0] as ShareOutcome).status, 'accepted');
    const dup = await r.client.submit(found);
    assert.equal(dup.status, 'rejected');
    if (dup.status === 'rejected') {
      assert.equal(dup.reason, 'duplicate-share');
      assert.match(dup.detail ?? '', /duplicate share/);
    }
    pool.newJob(true);
    await waitFor(() => r.jobs.length === 3, 'clean job');
    const stale = await r.client.submit({ ...found, nonce: (found.nonce + 1) >>> 0 });
    assert.equal(stale.status, 'stale');
    if (stale.status === 'stale') assert.equal(stale.reason, 'stale-share');
    const s = r.client.stats();
    assert.equal(s.rejected, 2);
    assert.equal(s.stale, 1);
    assert.deepEqual(s.rejectReasons, { 'difficulty-too-low': 1, 'duplicate-share': 1, 'stale-share': 1 });
  });
}

test('a submit the pool never answers resolves lost-to-timeout', async () => {
  const pool = await labPool({ ignoreMethods: ['mining.submit'] });
  const r = rig(pool.url, { submitTimeoutMs: 150 }, false);
  await waitFor(() => r.jobs.length === 1, 'first job');
  const job = r.jobs[0] as Job;
  const out = await r.client.submit({
    job,
    extranonce: new Uint8Array(4),
    ntime: job.ntime,
    nonce: 7,
    version: job.version,
    hash: new Uint8Array(32),
    difficulty: 0,
    isBlock: false,
    foundAt: 0,
  });
  assert.deepEqual(out, { status: 'lost', reason: 'lost-to-timeout' });
  assert.equal(r.client.stats().submitTimeouts, 1);
  assert.equal(r.client.state, 'ready', 'the connection stays up');
});

test('authorize refused: the state reason says authorize-failed and the client keeps retrying', async () => {
  const pool = await labPool({ authorize: (user) => user === 'good' });
  const r = rig(pool.url, { user: 'bad' }, false);
  await waitFor(() => r.states.filter(([, why]) => why?.startsWith('authorize-failed')).length >= 2, 'two authorize failures');
  assert.match(r.states.find(([, why]) => why?.startsWith('authorize-failed'))?.[1] ?? '', /unauthorized worker/);
  assert.equal(r.jobs.length, 0);
});

toolTest('TLS: verified against the self-signed certificate as CA, or allowed as self-signed; refused otherwise', [TOOLS.openssl], {}, async () => {
  const cert = selfSignedCert();
  cleanups.push(() => rmSync(cert.dir, { recursive: true, force: true }));
  const pool = await labPool({ tls: { certFile: cert.certFile, keyFile: cert.keyFile } });
  assert.match(pool.url, /^stratum\+ssl:\/\/127\.0\.0\.1:\d+$/);
  const withCa = rig(pool.url, { tls: { caFile: cert.certFile } });
  await waitFor(() => accepted(withCa) >= 2, 'accepted over TLS (CA file)');
  const insecure = rig(pool.url, { tls: { allowSelfSigned: true } }, false);
  await waitFor(() => insecure.jobs.length >= 1, 'job over TLS (self-signed allowed)');
  const strict = rig(pool.url, {}, false);
  await waitFor(() => strict.states.some(([, why]) => why?.startsWith('connect-failed')), 'verification failure');
  assert.match(strict.states.find(([, why]) => why?.startsWith('connect-failed'))?.[1] ?? '', /self.signed|certificate/i);
  assert.equal(strict.jobs.length, 0);
});
