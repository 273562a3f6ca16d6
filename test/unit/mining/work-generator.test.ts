import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../src/clock.js';
import type { Job } from '../../../src/upstream/job.js';
import { fromHex, parseU32Hex, toHex } from '../../../src/work/bytes.js';
import { prevHashFromStratumV1 } from '../../../src/work/byte-order.js';
import { difficultyToTarget } from '../../../src/work/target.js';
import { BIP320_MASK, versionWithinMask } from '../../../src/work/version-rolling.js';
import { JobWorkGenerator, WorkSpaceError } from '../../../src/mining/work-generator.js';
import { DuplicateFilter } from '../../../src/mining/duplicate-filter.js';
import { JobBook } from '../../../src/mining/job-book.js';
import { NonceCheck } from '../../../src/mining/nonce-check.js';
import { readVectorJson, vectorTest } from '../../helpers/vectors.js';
import { concatBytes } from '../../../src/work/bytes.js';
import { testIssuer } from '../../helpers/job-issuer.js';

function coinbaseJob(clock: ManualClock, over: Partial<Job> = {}, enSize = 8): Job {
  // A small valid coinbase: version 1, one input whose scriptSig holds the extranonce, one output.
  const prefix = fromHex('01000000' + '01' + '00'.repeat(32) + 'ffffffff' + (4 + enSize).toString(16).padStart(2, '0') + '03a08601');
  const suffix = fromHex('00ffffffff' + '01' + '0000000000000000' + '0151' + '00000000');
  return {
    id: '1',
    source: { poolId: 'p', protocol: 'sv1' },
    upstream: testIssuer('p'),
    prevHash: new Uint8Array(32).fill(7),
    version: 0x20000000,
    versionMask: BIP320_MASK,
    nbits: 0x1d00ffff,
    ntime: 1_700_000_000,
    ntimeRolling: true,
    target: difficultyToTarget(1),
    clean: true,
    receivedAt: clock.now(),
    work: { kind: 'coinbase', coinbasePrefix: prefix, coinbaseSuffix: suffix.slice(1), extranonceSize: enSize, merkleBranch: [new Uint8Array(32).fill(1)] },
    ...over,
  };
}

test('coinbase work: no two chains or units share (extranonce, version, ntime)', () => {
  const clock = new ManualClock();
  const gen = new JobWorkGenerator(coinbaseJob(clock), 4, clock, BIP320_MASK);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    for (let c = 0; c < 4; c++) {
      const u = gen.next(c);
      assert.ok(u);
      assert.equal(u.extranonce?.[0], c, 'first extranonce byte names the chain');
      const key = `${toHex(u.extranonce as Uint8Array)}:${u.version}:${u.ntime}`;
      assert.ok(!seen.has(key), key);
      seen.add(key);
      // The header's merkle root differs with the extranonce.
      assert.equal(u.merkleRoot.length, 32);
      assert.ok(versionWithinMask(0x20000000, u.version, BIP320_MASK));
    }
  }
});

test('header-only work: chains are separated by version bits outside the roll mask', () => {
  const clock = new ManualClock();
  const job = coinbaseJob(clock, { work: { kind: 'header', merkleRoot: new Uint8Array(32).fill(9) } });
  // Chips roll the low 12 bits of the BIP320 field; 4 bits remain for chains and units.
  const roll = 0x01ffe000;
  const gen = new JobWorkGenerator(job, 4, clock, roll);
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    for (let c = 0; c < 4; c++) {
      const u = gen.next(c);
      assert.ok(u);
      assert.equal(u.version & roll, 0);
      const key = `${u.version}:${u.ntime}`;
      assert.ok(!seen.has(key), key);
      seen.add(key);
    }
  }
  // 16 free values / 4 chains = 4 units per chain per ntime: the 5th needs ntime+1, which needs 1 s.
  assert.equal(gen.next(0), undefined);
  clock.advance(1000);
  const u = gen.next(0);
  assert.ok(u);
  assert.equal(u.ntime, job.ntime + 1);
  // No ntime rolling allowed: exhausted for good.
  const fixed = new JobWorkGenerator({ ...job, ntimeRolling: false }, 4, clock, roll);
  for (let i = 0; i < 4; i++) assert.ok(fixed.next(1));
  assert.equal(fixed.next(1), undefined);
  assert.throws(() => new JobWorkGenerator(job, 4, clock, BIP320_MASK), WorkSpaceError);
  assert.throws(() => new JobWorkGenerator(job, 2, clock, 0x3fffffff), WorkSpaceError);
});

vectorTest('the real BM1370 share through the work generator and nonce check: difficulty 29588.01', () => {
  const s = readVectorJson<{
    shares: {
      mining_notify_params: [string, string, string, string, string[], string, string, string, boolean];
      extranonce1: string;
      submit: { extranonce2: string; nonce: string; version_bits: string };
    }[];
  }>('real/stratum-v1-shares.json').shares[0]!;
  const [, prevhash, coinb1, coinb2, branch, version, nbits, ntime] = s.mining_notify_params;
  const clock = new ManualClock();
  const job: Job = {
    id: 'x',
    source: { poolId: 'public-pool', protocol: 'sv1' },
    upstream: testIssuer('public-pool'),
    prevHash: prevHashFromStratumV1(fromHex(prevhash)),
    version: parseU32Hex(version),
    versionMask: BIP320_MASK,
    nbits: parseU32Hex(nbits),
    ntime: parseU32Hex(ntime),
    ntimeRolling: true,
    target: difficultyToTarget(8192),
    clean: false,
    receivedAt: 0,
    work: {
      kind: 'coinbase',
      coinbasePrefix: concatBytes(fromHex(coinb1), fromHex(s.extranonce1)),
      coinbaseSuffix: fromHex(coinb2),
      extranonceSize: 4,
      merkleBranch: branch.map(fromHex),
    },
  };
  // extranonce2 17000000 = chain 0x17 with counter 0: the first unit for chain 23 of 24.
  const gen = new JobWorkGenerator(job, 24, clock, BIP320_MASK);
  const unit = gen.next(0x17);
  assert.ok(unit);
  assert.equal(toHex(unit.extranonce as Uint8Array), s.submit.extranonce2);
  const jobs = new JobBook();
  jobs.add(job);
  const check = new NonceCheck(new DuplicateFilter(), jobs);
  check.setTicketDifficulty(256);
  const rolled = (job.version | parseU32Hex(s.submit.version_bits)) >>> 0;
  const nonce = parseU32Hex(s.submit.nonce);
  const v = check.check({ unit, version: rolled, nonce, chip: 0, at: 0 }, 23);
  assert.equal(v.kind, 'share');
  if (v.kind !== 'share') return;
  assert.ok(Math.abs(v.share.difficulty - 29588.01) < 0.01);
  assert.equal(v.share.isBlock, false);
  assert.equal(toHex(v.share.extranonce as Uint8Array), '17000000');
  assert.deepEqual(v.share.origin, { chain: 23, chip: 0 });
  assert.equal(v.stale, undefined);
  // The same reply again is a repeated nonce.
  assert.equal(check.check({ unit, version: rolled, nonce, chip: 0, at: 0 }, 23).kind, 'duplicate');
  // A wrong nonce is a hardware error; a version outside the roll mask too.
  assert.equal(check.check({ unit, version: rolled, nonce: nonce ^ 1, chip: 0, at: 0 }, 23).kind, 'hw-error');
  assert.deepEqual(check.check({ unit, version: rolled | 1, nonce, chip: 0, at: 0 }, 23), { kind: 'hw-error', reason: 'version-outside-mask', difficulty: 0 });
  // Against a pool target above the share difficulty it is only a ticket nonce.
  const hardJob = { ...job, target: difficultyToTarget(65536) };
  jobs.add(hardJob);
  const hard = new JobWorkGenerator(hardJob, 24, clock, BIP320_MASK).next(0x17)!;
  assert.equal(check.check({ unit: hard, version: rolled, nonce, chip: 0, at: 0 }, 23).kind, 'ticket');
  // A share of a job its pool replaced with a new prev hash is built, and marked stale.
  jobs.add({ ...job, id: 'y', clean: true, prevHash: new Uint8Array(32).fill(5) });
  const again = new JobWorkGenerator(job, 24, clock, BIP320_MASK).next(0x17)!;
  assert.equal(check.check({ unit: again, version: rolled, nonce, chip: 0, at: 0 }, 23).kind, 'duplicate', 'the same share of the same job');
  const fresh = new NonceCheck(new DuplicateFilter(), jobs);
  fresh.setTicketDifficulty(256);
  const stale = fresh.check({ unit: again, version: rolled, nonce, chip: 0, at: 0 }, 23);
  assert.equal(stale.kind, 'share');
  if (stale.kind === 'share') assert.equal(stale.stale, 'prev-hash-changed');
});
