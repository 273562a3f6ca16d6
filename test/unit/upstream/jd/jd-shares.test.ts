// Shares of the JD upstream go back to the job record that issued their job (src/upstream/jd/jd-shares.ts):
// solo jobs only count them, pending jobs hold them (up to maxHeldShares), accepted custom jobs send
// them to the pair that declared them on the pool's job id and target, refused or abandoned jobs lose
// them; a rejection about the job (not the one share) is reported as a refusal of our work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemClock } from '../../../../src/clock.js';
import { logger } from '../../../../src/log.js';
import type { Job, Share, ShareOutcome } from '../../../../src/upstream/job.js';
import { type ActiveTemplate, TemplateDistributionClient } from '../../../../src/upstream/sv2/template-client.js';
import { buildCoinbaseParts } from '../../../../src/upstream/jd/jd-coinbase.js';
import { type JdContext, newJdCounters } from '../../../../src/upstream/jd/jd-context.js';
import type { JobRecord } from '../../../../src/upstream/jd/jd-declarations.js';
import type { JdPair } from '../../../../src/upstream/jd/jd-pair.js';
import { JdShares } from '../../../../src/upstream/jd/jd-shares.js';
import type { JdUpstreamOptions } from '../../../../src/upstream/jd/jd-upstream.js';
import { difficultyToTarget } from '../../../../src/work/target.js';
import { coinbaseJob } from '../../../helpers/coinbase-job.js';

function setup(maxHeldShares?: number): { shares: JdShares; ctx: JdContext; rejected: { error: string; code: string }[] } {
  const o: JdUpstreamOptions = {
    templateProvider: { url: 'stratum2+tcp://127.0.0.1:1', plain: true, allowUnauthenticated: true },
    pairs: [],
    mode: 'coinbase-only',
    onCensorship: 'retry',
    soloPayoutScript: Uint8Array.of(0x51),
    nominalHashrate: 1e12,
    ...(maxHeldShares !== undefined ? { maxHeldShares } : {}),
  };
  // Never started: these shares are no blocks, nothing goes to the own node.
  const tdp = new TemplateDistributionClient({
    url: o.templateProvider.url,
    plain: true,
    allowUnauthenticated: true,
    constraints: { maxAdditionalSize: 256, maxAdditionalSigops: 4 },
  });
  const ctx: JdContext = {
    o,
    clock: systemClock,
    log: logger('jd-shares-test'),
    tdp,
    jd: newJdCounters(),
    emit: () => true,
    pair: null,
    pairIndex: -1,
    solo: false,
    template: undefined,
    forceClean: false,
    stopped: false,
  };
  const rejected: { error: string; code: string }[] = [];
  return { shares: new JdShares(ctx, (_rec, error, code) => rejected.push({ error, code })), ctx, rejected };
}

const active: ActiveTemplate = {
  template: {
    templateId: 7n,
    future: false,
    version: 0x20000000,
    coinbaseTxVersion: 2,
    coinbasePrefix: Uint8Array.of(3, 1, 2, 3),
    coinbaseTxInputSequence: 0xffffffff,
    valueRemaining: 312_500_000n,
    outputs: [],
    locktime: 0,
    merklePath: [],
  },
  prevHash: new Uint8Array(32).fill(1),
  nbits: 0x1d00ffff,
  headerTimestamp: 1_700_000_000,
  networkTarget: 0n,
  newPrevHash: true,
  receivedAt: 0,
};

function record(job: Job, state: JobRecord['state'], pair: JdPair | null = null): JobRecord {
  const parts = buildCoinbaseParts(
    {
      version: 2,
      scriptSigPrefix: active.template.coinbasePrefix,
      sequence: 0xffffffff,
      outputs: [{ value: 312_500_000n, scriptPubKey: Uint8Array.of(0x51) }],
      locktime: 0,
      witnessReservedValue: null,
    },
    8,
  );
  return {
    job,
    template: active,
    parts,
    extranoncePrefix: new Uint8Array(0),
    pair,
    state,
    payout: new Uint8Array(0),
    attempts: 0,
    tipWaits: 0,
    held: [],
    alarmed: false,
  };
}

/** A share far above the network target: never a block. */
function share(job: Job): Share {
  return {
    job,
    extranonce: new Uint8Array(8),
    ntime: job.ntime,
    nonce: 1,
    version: job.version,
    hash: new Uint8Array(32).fill(0xff),
    difficulty: 1,
    isBlock: false,
    foundAt: 0,
  };
}

/** A pair whose pool answers every share with `answer`, recording what it was sent. */
function pairAnswering(answer: ShareOutcome): { pair: JdPair; sent: { jobId: number; target: bigint }[] } {
  const sent: { jobId: number; target: bigint }[] = [];
  const mining = {
    submitCustom: (_s: Share, jobId: number, target: bigint): Promise<ShareOutcome> => {
      sent.push({ jobId, target });
      return Promise.resolve(answer);
    },
  };
  return { pair: { name: 'pool-a', mining } as unknown as JdPair, sent };
}

test('a share whose job has no record (switched away, or not this upstream’s) is lost-to-switch', async () => {
  const { shares } = setup();
  const job = coinbaseJob({ id: '7.1', prevHashFill: 1, difficulty: 1 });
  assert.deepEqual(await shares.submit(share(job), undefined), { status: 'lost', reason: 'lost-to-switch' });
  assert.equal(shares.counters.lost, 1);
  assert.equal(shares.counters.rejectReasons['lost-to-switch'], 1);
});

test('solo: the share is only counted, accepted', async () => {
  const { shares, ctx } = setup();
  const job = coinbaseJob({ id: '7.1', prevHashFill: 1, difficulty: 4 });
  assert.deepEqual(await shares.submit(share(job), record(job, 'solo')), { status: 'accepted' });
  assert.equal(ctx.jd.soloShares, 1);
  assert.equal(shares.counters.accepted, 1);
  assert.equal(shares.counters.acceptedDifficulty, 4);
});

test('pending: shares are held until the pool answers, at most maxHeldShares, then lost-to-timeout', async () => {
  const { shares, ctx } = setup(2);
  const job = coinbaseJob({ id: '7.1', prevHashFill: 1, difficulty: 1 });
  const rec = record(job, 'pending');
  const first = shares.submit(share(job), rec);
  void shares.submit(share(job), rec);
  assert.equal(rec.held.length, 2);
  assert.equal(ctx.jd.sharesHeldTotal, 2);
  assert.deepEqual(await shares.submit(share(job), rec), { status: 'lost', reason: 'lost-to-timeout' });
  // Held shares are counted when they resolve, not before.
  assert.equal(shares.counters.accepted + shares.counters.lost, 1);
  rec.held[0]?.resolve({ status: 'accepted' });
  assert.deepEqual(await first, { status: 'accepted' });
});

test('refused and abandoned jobs lose their shares with the record’s reason', async () => {
  const { shares, ctx } = setup();
  const job = coinbaseJob({ id: '7.1', prevHashFill: 1, difficulty: 1 });
  const refused = record(job, 'refused');
  refused.lostReason = 'lost-refused-job';
  assert.deepEqual(await shares.submit(share(job), refused), { status: 'lost', reason: 'lost-refused-job' });
  const abandoned = record(job, 'abandoned');
  abandoned.lostReason = 'lost-to-switch';
  assert.deepEqual(await shares.submit(share(job), abandoned), { status: 'lost', reason: 'lost-to-switch' });
  assert.equal(ctx.jd.lostRefused, 1);
  assert.equal(shares.counters.lost, 2);
});

test('accepted: the share goes to the declaring pair on the pool’s job id, judged by the pool’s target', async () => {
  const { shares } = setup();
  const job = coinbaseJob({ id: '7.1', prevHashFill: 1, difficulty: 1 });
  const { pair, sent } = pairAnswering({ status: 'accepted' });
  const rec = record(job, 'accepted', pair);
  rec.customJobId = 42;
  rec.poolTarget = difficultyToTarget(8);
  assert.deepEqual(await shares.submit(share(job), rec), { status: 'accepted' });
  assert.deepEqual(sent, [{ jobId: 42, target: difficultyToTarget(8) }]);
  assert.equal(shares.counters.accepted, 1);
});

test('a rejection about the job is a refusal of our work; one about the share is not', async () => {
  const job = coinbaseJob({ id: '7.1', prevHashFill: 1, difficulty: 1 });
  for (const [reason, refusal] of [
    ['invalid-job-id', true],
    ['duplicate-share', false],
    ['difficulty-too-low', false],
  ] as const) {
    const { shares, rejected } = setup();
    const rec = record(job, 'accepted', pairAnswering({ status: 'rejected', reason }).pair);
    rec.customJobId = 1;
    assert.deepEqual(await shares.submit(share(job), rec), { status: 'rejected', reason });
    assert.equal(rejected.length, refusal ? 1 : 0, reason);
    // Once the job is alarmed (or no longer accepted), later rejections raise nothing more.
    rec.alarmed = true;
    await shares.submit(share(job), rec);
    assert.equal(rejected.length, refusal ? 1 : 0, reason);
  }
});
