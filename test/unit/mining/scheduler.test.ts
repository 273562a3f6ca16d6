// The scheduler with chains that really hash (in-process, on the engine's scan): work reaches every
// chain, nonces are verified, shares are submitted once, hardware errors are counted, and a new prev
// hash makes the old job's shares stale.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../src/clock.js';
import { logger } from '../../../src/log.js';
import type { Job, Share, ShareOutcome } from '../../../src/upstream/job.js';
import { TypedEmitter } from '../../../src/typed-emitter.js';
import { fromHex } from '../../../src/work/bytes.js';
import { MiningHasher } from '../../../src/work/sha256-engine.js';
import { difficultyToTarget, targetTopWord } from '../../../src/work/target.js';
import { BIP320_MASK, depositBits } from '../../../src/work/version-rolling.js';
import type { MiningChain, MiningChainEvents } from '../../../src/mining/mining-chain.js';
import { MiningStats } from '../../../src/mining/mining-stats.js';
import { Scheduler } from '../../../src/mining/scheduler.js';
import { SharePath } from '../../../src/mining/share-path.js';
import { writeUnitHeader, type NonceReport, type WorkUnit } from '../../../src/mining/work-unit.js';
import { testIssuer } from '../../helpers/job-issuer.js';

// 2^-24: one nonce in 256 meets the ticket; the pool difficulty 2^-20 takes one in 4096.
const TICKET = 2 ** -24;
const POOL = 2 ** -20;

/** A chain that searches a slice of each unit with SHA-256 and reports every nonce meeting its ticket. */
class HashingChain extends TypedEmitter<MiningChainEvents> implements MiningChain {
  readonly chipCount = 2;
  readonly nonceDifficulty = TICKET;
  readonly workIntervalMs = 500;
  readonly nominalHashrate = 1e6;
  units: WorkUnit[] = [];
  badNonces = 0;
  private readonly hasher = new MiningHasher();
  constructor(
    readonly index: number,
    private readonly clock: ManualClock,
  ) {
    super();
  }
  rollMaskFor(jobMask: number): number {
    return depositBits(3, jobMask);
  }
  sendWork(unit: WorkUnit): void {
    this.units.push(unit);
  }
  /** Hashes `count` nonces of the latest unit at version base + `roll`. */
  mine(count: number, roll = 0, corrupt = false): void {
    const unit = this.units[this.units.length - 1];
    if (!unit) return;
    const version = (unit.version | depositBits(roll, unit.rollMask)) >>> 0;
    this.hasher.setHeader(writeUnitHeader(unit, version, 0));
    const top = targetTopWord(difficultyToTarget(TICKET));
    this.hasher.scan(0, count, top, (nonce) => {
      const n: NonceReport = { unit, version, nonce: corrupt ? nonce ^ 0x100 : nonce, chip: nonce & 1, at: this.clock.now() };
      if (corrupt) this.badNonces++;
      this.emit('nonce', n);
    });
  }
}

function job(id: string, clean: boolean, prev: number, difficulty: number): Job {
  return {
    id,
    source: { poolId: 'lab', protocol: 'sv2', channelId: 1 },
    upstream: testIssuer('lab'),
    prevHash: new Uint8Array(32).fill(prev),
    version: 0x20000000,
    versionMask: BIP320_MASK,
    nbits: 0x1d00ffff,
    ntime: 1_700_000_000,
    ntimeRolling: true,
    target: difficultyToTarget(difficulty),
    clean,
    receivedAt: 0,
    work: {
      kind: 'coinbase',
      coinbasePrefix: fromHex('01000000' + '01' + '00'.repeat(32) + 'ffffffff' + '0c' + '03a08601'),
      coinbaseSuffix: fromHex('ffffffff' + '01' + '0000000000000000' + '0151' + '00000000'),
      extranonceSize: 8,
      merkleBranch: [],
    },
  };
}

test('pipeline: work to every chain, verified nonces, shares submitted once, stale after a new prev hash', async () => {
  const clock = new ManualClock();
  const stats = new MiningStats(clock);
  const submitted: Share[] = [];
  const shares: SharePath = new SharePath({
    stats,
    log: logger('test'),
    submit: async (s): Promise<ShareOutcome> => {
      submitted.push(s);
      return { status: 'accepted' };
    },
  });
  const chains = [new HashingChain(0, clock), new HashingChain(1, clock)];
  const sched: Scheduler = new Scheduler({ chains, clock, log: logger('test'), stats, shares });
  const j1 = job('1', true, 1, POOL);
  sched.setJob(j1);
  assert.equal(chains[0]!.units.length, 1);
  assert.equal(chains[1]!.units.length, 1);
  assert.notDeepEqual(chains[0]!.units[0]!.extranonce, chains[1]!.units[0]!.extranonce);
  // Fresh work on the chain's interval.
  clock.advance(500);
  assert.equal(chains[0]!.units.length, 2);
  for (const c of chains) c.mine(40_000, 1);
  await new Promise((r) => setImmediate(r));
  assert.ok(stats.validNonces > 10, `valid nonces ${stats.validNonces}`);
  assert.equal(stats.hwErrors, 0);
  assert.ok(submitted.length > 0, 'some nonces meet the pool target');
  const expectedShares = submitted.length;
  assert.equal(stats.pool('lab').accepted, expectedShares);
  // The same nonces again (a chip repeating its replies) are dropped: no new valid nonce, no new share.
  const valid = stats.validNonces;
  chains[0]!.mine(40_000, 1);
  await new Promise((r) => setImmediate(r));
  assert.ok(stats.repeatedNonces > 0);
  assert.equal(stats.validNonces, valid);
  assert.equal(submitted.length, expectedShares);
  // Corrupted nonces are hardware errors for their chips.
  chains[1]!.mine(20_000, 2, true);
  assert.equal(stats.hwErrors, chains[1]!.badNonces);
  assert.ok(stats.chipList().some((c) => c.hwErrors > 0));
  // A new prev hash: every chain gets work at once; nonces of the old unit are stale, not submitted.
  const before = submitted.length;
  const oldUnit = chains[0]!.units[chains[0]!.units.length - 1]!;
  sched.setJob(job('2', true, 2, POOL));
  assert.equal(chains[0]!.units[chains[0]!.units.length - 1]!.job.id, '2');
  assert.equal(chains[1]!.units[chains[1]!.units.length - 1]!.job.id, '2');
  chains[0]!.units.push(oldUnit);
  chains[0]!.mine(40_000, 3);
  await new Promise((r) => setImmediate(r));
  assert.equal(submitted.length, before);
  assert.ok((stats.pool('lab').reasons['prev-hash-changed'] ?? 0) > 0);
  assert.ok(stats.board.average() > 0);
  sched.stop();
  assert.equal(clock.pending(), 0);
});

test('a job with fewer version bits to roll gets units faster; a job the chains cannot split stops the work and is reported', () => {
  const clock = new ManualClock();
  const stats = new MiningStats(clock);
  const shares = new SharePath({ stats, log: logger('test'), submit: async () => ({ status: 'accepted' }) });
  /** A chain whose units last 1 ms with no version to roll, 500 ms otherwise. */
  class FastChain extends HashingChain {
    workIntervalFor(rollMask: number): number {
      return rollMask === 0 ? 1 : this.workIntervalMs;
    }
  }
  const chains = [new FastChain(0, clock), new FastChain(1, clock)];
  const unusable: string[] = [];
  const sched = new Scheduler({ chains, clock, log: logger('test'), stats, shares, onUnusableJob: (_j, why) => unusable.push(why) });
  // A fixed version (mask 0) with coinbase work: a new extranonce every millisecond.
  sched.setJob({ ...job('1', true, 1, POOL), versionMask: 0 });
  clock.advance(100);
  assert.ok(chains[0]!.units.length >= 100, `units in 100 ms: ${chains[0]!.units.length}`);
  const ens = new Set(chains[0]!.units.map((u) => Buffer.from(u.extranonce ?? []).toString('hex')));
  assert.equal(ens.size, chains[0]!.units.length, 'every unit is new search space');
  assert.ok(chains[0]!.units.every((u) => u.rollMask === 0));
  assert.equal(stats.workSent, chains[0]!.units.length + chains[1]!.units.length);
  // With version rolling: the usual interval.
  sched.setJob(job('2', true, 2, POOL));
  const n = chains[0]!.units.length;
  clock.advance(499);
  assert.equal(chains[0]!.units.length, n);
  clock.advance(1);
  assert.equal(chains[0]!.units.length, n + 1);
  // Header-only work with a fixed version: two chains cannot be told apart. The work stops (the chips
  // are not left on job 2 as if it were current) and the job is reported.
  sched.setJob({ ...job('3', true, 3, POOL), versionMask: 0, work: { kind: 'header', merkleRoot: new Uint8Array(32) } });
  assert.equal(unusable.length, 1);
  assert.match(unusable[0] as string, /free version bits/);
  assert.equal(sched.job, undefined);
  const m = chains[0]!.units.length;
  clock.advance(5000);
  assert.equal(chains[0]!.units.length, m, 'no more units');
  sched.stop();
});
