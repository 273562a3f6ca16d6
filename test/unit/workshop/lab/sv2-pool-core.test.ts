// The lab pool core without sockets: channel opening, jobs per round, share validation with every
// SubmitShares.Error code, batched acknowledgements, and block detection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../../src/clock.js';
import { loadLabBlocks } from '../../../../workshop/lab/block-data.js';
import { Sv2PoolCore, type PoolCoreOptions, type PoolChannel } from '../../../../workshop/lab/sv2-pool-core.js';
import type { Sv2Message, Sv2MessageOf } from '../../../../src/upstream/sv2/messages/registry.js';
import { ClientChannel } from '../../../../src/upstream/sv2/client-channel.js';
import { JobSearch } from '../../../../workshop/cpu-miner/job-search.js';
import type { Job, Share } from '../../../../src/upstream/job.js';
import { bigIntToU256Le, difficultyToTarget, MAX_TARGET, u256LeToBigInt } from '../../../../src/work/target.js';
import { BIP320_MASK } from '../../../../src/work/version-rolling.js';
import { testIssuer } from '../../../helpers/job-issuer.js';

const blocks = loadLabBlocks();

interface Harness {
  core: Sv2PoolCore;
  clock: ManualClock;
  ch: PoolChannel;
  sent: Sv2Message[];
  client: ClientChannel;
  job: () => Job;
  mine: (n: number, from?: number) => Share[];
  submit: (s: Share, over?: Partial<Sv2MessageOf<'SubmitSharesExtended'>>) => Sv2Message[];
}

let seq = 0;

/** A core with one channel, wired to a client-side channel that turns its messages into Jobs. */
function harness(kind: 'standard' | 'extended', opts: Partial<PoolCoreOptions> = {}): Harness {
  const clock = new ManualClock(0, 1_750_000_000);
  const core = new Sv2PoolCore({ blocks, clock, difficulty: 1e-6, shareBatchSize: 1, ...opts });
  const sent: Sv2Message[] = [];
  let client: ClientChannel | null = null;
  let current: Job | undefined;
  const send = (m: Sv2Message): void => {
    sent.push(m);
    if (!client) return;
    if (m.type === 'NewMiningJob') current = client.onNewMiningJob(m, clock.now()) ?? current;
    if (m.type === 'NewExtendedMiningJob') current = client.onNewExtendedMiningJob(m, clock.now()) ?? current;
    if (m.type === 'SetNewPrevHash') current = client.onSetNewPrevHash(m, clock.now()) ?? current;
    if (m.type === 'SetTarget') client.setTarget(u256LeToBigInt(m.maximumTarget));
  };
  const base = { requestId: 1, userIdentity: 'lab.w', nominalHashRate: 1e6, maxTarget: bigIntToU256Le(MAX_TARGET) };
  const r =
    kind === 'standard'
      ? core.openStandard(1, { type: 'OpenStandardMiningChannel', ...base }, send)
      : core.openExtended(1, { type: 'OpenExtendedMiningChannel', ...base, minExtranonceSize: 4 }, send);
  assert.ok(r.ok);
  const ok = core.openSuccess(r.channel, 1);
  const target = u256LeToBigInt(
    ok.type === 'OpenStandardMiningChannelSuccess' || ok.type === 'OpenExtendedMiningChannelSuccess' ? ok.target : new Uint8Array(32),
  );
  client = new ClientChannel(
    { kind, channelId: r.channel.id, groupChannelId: 0, target, extranoncePrefix: r.channel.extranoncePrefix, extranonceSize: r.channel.extranonceSize },
    { poolId: 'lab', upstream: testIssuer('lab'), versionMask: BIP320_MASK },
  );
  core.startChannel(r.channel);
  const h: Harness = {
    core,
    clock,
    ch: r.channel,
    sent,
    client,
    job: () => current ?? assert.fail('no job'),
    mine: (n, from = 0) => {
      const job = h.job();
      const en = job.work.kind === 'coinbase' ? new Uint8Array(job.work.extranonceSize).fill(seq++ & 0xff) : undefined;
      const out: Share[] = [];
      for (let start = from; out.length < n; start += 50_000)
        out.push(...new JobSearch(job, { ...(en ? { extranonce: en } : {}), ntime: job.ntime, versionBits: 0 }).scan(start, 50_000, 0));
      return out.slice(0, n);
    },
    submit: (s, over = {}) => {
      const before = sent.length;
      const common = { channelId: r.channel.id, sequenceNumber: seq++, jobId: Number(s.job.id), nonce: s.nonce, ntime: s.ntime, version: s.version };
      const m: Sv2MessageOf<'SubmitSharesStandard'> | Sv2MessageOf<'SubmitSharesExtended'> =
        kind === 'extended'
          ? { ...common, extranonce: s.extranonce ?? new Uint8Array(0), ...over, type: 'SubmitSharesExtended' }
          : {
              ...common,
              jobId: over.jobId ?? common.jobId,
              ntime: over.ntime ?? common.ntime,
              version: over.version ?? common.version,
              type: 'SubmitSharesStandard',
            };
      core.submit(m, 1);
      return sent.slice(before);
    },
  };
  return h;
}

const codeOf = (msgs: Sv2Message[]): string => {
  const m = msgs[0];
  if (!m) return 'no answer';
  return m.type === 'SubmitSharesError' ? m.errorCode : m.type === 'SubmitSharesSuccess' ? 'accepted' : m.type;
};

test('a new channel gets a future job then the SetNewPrevHash naming it', () => {
  for (const kind of ['standard', 'extended'] as const) {
    const h = harness(kind);
    assert.deepEqual(
      h.sent.map((m) => m.type),
      [kind === 'standard' ? 'NewMiningJob' : 'NewExtendedMiningJob', 'SetNewPrevHash'],
    );
    const first = h.sent[0] as Sv2MessageOf<'NewMiningJob'>;
    assert.equal(first.minNtime, null);
    assert.equal((h.sent[1] as Sv2MessageOf<'SetNewPrevHash'>).jobId, first.jobId);
    assert.equal(h.job().clean, true);
  }
});

test('valid shares are accepted on both channel types and every job has its own merkle root', () => {
  for (const kind of ['standard', 'extended'] as const) {
    const h = harness(kind);
    for (const s of h.mine(3)) assert.equal(codeOf(h.submit(s)), 'accepted', kind);
    h.core.newJobs();
    const j2 = h.job();
    assert.equal(j2.clean, false);
    assert.equal(codeOf(h.submit(h.mine(1)[0] as Share)), 'accepted');
    assert.equal(h.core.counters.accepted, 4);
  }
  const h = harness('standard');
  const roots = new Set<string>();
  for (let i = 0; i < 5; i++) {
    h.core.newJobs();
    const w = h.job().work;
    if (w.kind === 'header') roots.add(Buffer.from(w.merkleRoot).toString('hex'));
  }
  assert.equal(roots.size, 5);
});

test('every SubmitShares.Error code the lab pool sends', () => {
  const h = harness('extended');
  const [a, b] = h.mine(2);
  assert.ok(a && b);
  assert.equal(codeOf(h.submit(a)), 'accepted');
  assert.equal(codeOf(h.submit(a)), 'duplicate-share');
  assert.equal(codeOf(h.submit(b, { extranonce: new Uint8Array(3) })), 'bad-extranonce-size');
  assert.equal(codeOf(h.submit(b, { jobId: 999_999 })), 'invalid-job-id');
  assert.equal(codeOf(h.submit(b, { ntime: b.ntime - 1 })), 'invalid-share');
  assert.equal(codeOf(h.submit(b, { ntime: b.ntime + 3 * 3600 + 1e6 })), 'invalid-share');
  assert.equal(codeOf(h.submit(b, { version: b.version ^ 0x2 })), 'invalid-non-rollable-version-bit');
  // A nonce whose hash misses the target: take one the search skipped.
  const all = new Set(h.mine(50).map((s) => s.nonce));
  let miss = 0;
  while (all.has(miss)) miss++;
  assert.equal(codeOf(h.submit({ ...b, nonce: miss })), 'difficulty-too-low');
  h.core.submit({ type: 'SubmitSharesStandard', channelId: 4242, sequenceNumber: 1, jobId: 1, nonce: 0, ntime: 0, version: 0 }, 1);
  // After a new prev hash the old job is stale (not unknown).
  h.core.newRound();
  assert.equal(codeOf(h.submit(b)), 'stale-share');
  assert.deepEqual(h.core.counters.rejected, {
    'duplicate-share': 1,
    'bad-extranonce-size': 1,
    'invalid-job-id': 1,
    'invalid-share': 2,
    'invalid-non-rollable-version-bit': 1,
    'difficulty-too-low': 1,
    'invalid-channel-id': 1,
    'stale-share': 1,
  });
  // Version rolling not allowed: fixed-version pools and jobs without version_rolling_allowed.
  const f = harness('extended', { fixedVersion: true });
  const s = f.mine(1)[0] as Share;
  assert.equal(codeOf(f.submit({ ...s }, { version: s.version | 0x2000 })), 'version-rolling-not-allowed');
  const g = harness('extended', { versionRollingAllowed: false });
  assert.equal(g.job().versionMask, 0);
  const t = g.mine(1)[0] as Share;
  assert.equal(codeOf(g.submit(t, { version: t.version | 0x4000 })), 'version-rolling-not-allowed');
});

test('rolled versions within the mask are accepted', () => {
  const h = harness('standard');
  const job = h.job();
  const shares = new JobSearch(job, { ntime: job.ntime + 1, versionBits: 0x1234 << 13 }).scan(0, 400_000, 0);
  assert.ok(shares.length > 0);
  const s = shares[0] as Share;
  assert.notEqual(s.version, job.version);
  assert.equal(codeOf(h.submit(s)), 'accepted');
});

test('acknowledgements are batched: one Success per N accepted shares, errors at once', () => {
  const h = harness('standard', { shareBatchSize: 3 });
  const shares = h.mine(7);
  const answers = shares.map((s) => h.submit(s));
  assert.deepEqual(
    answers.map((a) => a.length),
    [0, 0, 1, 0, 0, 1, 0],
  );
  const ack = answers[2]?.[0] as Sv2MessageOf<'SubmitSharesSuccess'>;
  assert.equal(ack.newSubmitsAcceptedCount, 3);
  assert.equal(codeOf(h.submit(shares[0] as Share)), 'duplicate-share');
  // ackFlushMs acknowledges a partial batch after a delay.
  const f = harness('standard', { shareBatchSize: 10, ackFlushMs: 500 });
  const [x, y] = f.mine(2);
  assert.deepEqual(f.submit(x as Share), []);
  assert.deepEqual(f.submit(y as Share), []);
  const n = f.sent.length;
  f.clock.advance(499);
  assert.equal(f.sent.length, n);
  f.clock.advance(1);
  const m = f.sent[n] as Sv2MessageOf<'SubmitSharesSuccess'>;
  assert.equal(m.type, 'SubmitSharesSuccess');
  assert.equal(m.newSubmitsAcceptedCount, 2);
});

test('a share meeting the lab network target is a block, acknowledged at once', () => {
  const h = harness('extended', { networkDifficulty: 2e-6, difficulty: 1e-7, shareBatchSize: 100 });
  const blocksSeen: string[] = [];
  h.core.on('block', (b) => blocksSeen.push(b.hash));
  const target = difficultyToTarget(2e-6);
  let found = false;
  for (let from = 0; !found && from < 20_000_000; from += 200_000) {
    for (const s of h.mine(5, from)) {
      const ans = h.submit(s);
      if (u256LeToBigInt(s.hash) <= target) {
        assert.equal(codeOf(ans), 'accepted');
        found = true;
        break;
      }
      assert.deepEqual(ans, [], 'plain shares wait for the batch');
    }
  }
  assert.ok(found);
  assert.equal(h.core.counters.blocksFound, 1);
  assert.equal(blocksSeen.length, 1);
});

test('channel parameters: extranonce limits, max target, hashrate updates, SetTarget', () => {
  const clock = new ManualClock();
  const core = new Sv2PoolCore({ blocks, clock, difficulty: 1 });
  const base = { type: 'OpenExtendedMiningChannel' as const, requestId: 1, userIdentity: 'u', nominalHashRate: 1, maxTarget: bigIntToU256Le(MAX_TARGET) };
  const sink: Sv2Message[] = [];
  const send = (m: Sv2Message): void => void sink.push(m);
  assert.deepEqual(core.openExtended(1, { ...base, minExtranonceSize: 25 }, send), { ok: false, code: 'min-extranonce-size-too-large' });
  assert.deepEqual(core.openExtended(1, { ...base, userIdentity: '', minExtranonceSize: 4 }, send), { ok: false, code: 'invalid-user-identity' });
  assert.deepEqual(core.openExtended(1, { ...base, nominalHashRate: -1, minExtranonceSize: 4 }, send), { ok: false, code: 'invalid-nominal-hashrate' });
  const big = core.openExtended(1, { ...base, minExtranonceSize: 24 }, send);
  assert.ok(big.ok && big.channel.extranonceSize === 24 && big.channel.extranoncePrefix.length === 8);
  const capped = core.openExtended(1, { ...base, maxTarget: bigIntToU256Le(1000n), minExtranonceSize: 0 }, send);
  assert.ok(capped.ok && capped.channel.target === 1000n);
  core.updateChannel({ type: 'UpdateChannel', channelId: capped.channel.id, nominalHashRate: 5e12, maximumTarget: bigIntToU256Le(10n) }, 1);
  assert.equal(capped.channel.nominalHashrate, 5e12);
  assert.equal(capped.channel.target, 10n);
  assert.equal(sink.at(-1)?.type, 'SetTarget');
  core.setDifficulty(4);
  assert.equal(big.channel.target, difficultyToTarget(4));
  assert.equal(capped.channel.target, 10n, 'never above the client maximum');
  core.closeChannel(big.channel.id, 'lab-test');
  assert.deepEqual(sink.at(-1), { type: 'CloseChannel', channelId: big.channel.id, reasonCode: 'lab-test' });
  assert.equal(core.channelCount(), 1);
  core.removeConnection(1);
  assert.equal(core.channelCount(), 0);
});

test('SetTarget: every share is judged by the target of its own job (spec 5.3.21), in both directions', () => {
  const hard = 1e-5;
  const easy = 1e-7;
  const h = harness('extended', { difficulty: hard, shareBatchSize: 1 });
  const before = h.job();
  assert.equal(before.target, difficultyToTarget(hard));
  // Shares of `job` searched at `difficulty`, whose own difficulty is below `below`.
  let en = 0;
  const search = (job: Job, difficulty: number, below: number, n: number): Share[] => {
    const out: Share[] = [];
    const wide = { ...job, target: difficultyToTarget(difficulty) };
    for (let round = 0; out.length < n && round < 400; round++) {
      const extranonce = new Uint8Array(job.work.kind === 'coinbase' ? job.work.extranonceSize : 0).fill(0);
      extranonce[0] = 0xe0;
      extranonce[1] = en++ & 0xff;
      for (const s of new JobSearch(wide, { extranonce, ntime: job.ntime, versionBits: 0 }).scan(0, 100_000, 0))
        if (s.difficulty < below) out.push({ ...s, job });
    }
    assert.ok(out.length >= n, `found ${out.length} shares`);
    return out.slice(0, n);
  };

  // Easier: the job active when SetTarget arrived keeps its harder target.
  h.core.setDifficulty(easy);
  assert.equal(h.sent.at(-1)?.type, 'SetTarget');
  for (const s of search(before, easy, hard, 2))
    assert.equal(codeOf(h.submit(s)), 'difficulty-too-low', 'an active job keeps its target after an easier SetTarget');
  for (const s of h.mine(2)) assert.equal(codeOf(h.submit(s)), 'accepted');
  // A job received after it carries the easier target.
  h.core.newJobs();
  const after = h.job();
  assert.notEqual(after, before);
  assert.equal(after.target, difficultyToTarget(easy));
  const easyShares = search(after, easy, hard, 3);
  for (const s of easyShares.slice(0, 2)) assert.equal(codeOf(h.submit(s)), 'accepted', 'the new job takes the new target');

  // Harder: a share meeting only the easier target of its (still active) job is still accepted.
  h.core.setDifficulty(hard);
  assert.equal(codeOf(h.submit(easyShares[2] as Share)), 'accepted', 'an active job keeps its easier target after a harder SetTarget');
  // A future job activated after the SetTarget (a new prev hash) takes the target in force then.
  h.core.setDifficulty(easy);
  h.core.newRound();
  const next = h.job();
  assert.equal(next.clean, true);
  assert.equal(next.target, difficultyToTarget(easy));
  assert.equal(codeOf(h.submit(search(next, easy, hard, 1)[0] as Share)), 'accepted');
});
