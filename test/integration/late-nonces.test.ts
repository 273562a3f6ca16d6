/**
 * Issue 21 D5: fast job replacement must not turn late nonces into hardware errors. The chip job id is
 * small (16 ids on BM1370) and reused; a nonce that comes back after its job id was given to a newer unit
 * belongs to the older unit. Simulated BM1370 chains in process whose replies leave late (delay=40, or
 * 150 ms: longer than the 64 ms the 16 ids last at 250 units/s), on a ManualClock, the real driver, scheduler and verifier;
 * the simulated chips make no errors, so every hardware error counted here is a misattributed nonce.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { logger } from '../../src/log.js';
import type { MiningChain } from '../../src/mining/mining-chain.js';
import { MiningStats } from '../../src/mining/mining-stats.js';
import { Scheduler } from '../../src/mining/scheduler.js';
import { SharePath } from '../../src/mining/share-path.js';
import type { Job, ShareOutcome } from '../../src/upstream/job.js';
import { fromHex } from '../../src/work/bytes.js';
import { difficultyToTarget } from '../../src/work/target.js';
import { BIP320_MASK } from '../../src/work/version-rolling.js';
import { inProcessChain } from '../helpers/in-process-chain.js';
import { testIssuer } from '../helpers/job-issuer.js';

let seq = 0;
const issuer = testIssuer('lab');
function job(clean: boolean, prev: number, now: number): Job {
  seq++;
  return {
    id: String(seq),
    source: { poolId: 'lab', protocol: 'sv2', channelId: 1 },
    upstream: issuer,
    prevHash: new Uint8Array(32).fill(prev),
    version: 0x20000000,
    versionMask: BIP320_MASK,
    nbits: 0x1d00ffff,
    ntime: 1_700_000_000,
    ntimeRolling: true,
    target: difficultyToTarget(2 ** -22),
    clean,
    receivedAt: now,
    work: {
      kind: 'coinbase',
      coinbasePrefix: fromHex('01000000' + '01' + '00'.repeat(32) + 'ffffffff' + '0c' + '03a08601'),
      coinbaseSuffix: fromHex('ffffffff' + '01' + '0000000000000000' + '0151' + '00000000'),
      extranonceSize: 8,
      // A different merkle branch per job: each job is different work.
      merkleBranch: [new Uint8Array(32).fill(seq & 0xff)],
    },
  };
}

/**
 * Jobs at `perSecond` for `seconds` of simulated time (a ManualClock drives the simulators, the driver
 * and the scheduler; the UART pair still delivers on the event loop, flushed at every millisecond step),
 * so that the rate and the replies' lateness are exactly what the test says, however loaded the machine.
 */
async function storm(clean: boolean, perSecond: number, seconds: number, replyDelayMs: number): Promise<{ stats: MiningStats; sched: Scheduler }> {
  const clock = new ManualClock();
  const stats = new MiningStats(clock);
  const chains: MiningChain[] = [];
  const cleanup: (() => Promise<void>)[] = [];
  for (let i = 0; i < 2; i++) {
    const c = await inProcessChain({
      index: i,
      family: 'BM1370',
      chips: 4,
      sim: { hashrate: 200_000, faults: { replyDelayMs } },
      simTicketDifficulty: 2 ** -24,
      clock,
    });
    chains.push(c.driver);
    cleanup.push(c.close);
  }
  const shares: SharePath = new SharePath({ stats, log: logger('test'), submit: async (): Promise<ShareOutcome> => ({ status: 'accepted' }) });
  const sched: Scheduler = new Scheduler({ chains, clock, log: logger('test'), stats, shares });
  let prev = 1;
  sched.setJob(job(true, prev, clock.now()));
  const every = 1000 / perSecond;
  const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
  try {
    let next = every;
    for (let t = 0; t < seconds * 1000 + replyDelayMs + 50; t++) {
      clock.advance(1);
      await flush();
      await flush();
      if (t >= next && t < seconds * 1000) {
        next += every;
        sched.setJob(job(clean, clean ? ++prev : prev, clock.now()));
      }
    }
  } finally {
    sched.stop();
    for (const c of cleanup) await c();
  }
  return { stats, sched };
}

test('1 000 non-clean jobs/s: no hardware errors from reused chip job ids, and the chips keep hashing', async () => {
  const { stats } = await storm(false, 1000, 3, 40);
  assert.ok(stats.validNonces > 100, `${stats.validNonces} valid nonces, ${stats.hwErrors} hw errors, ${stats.workSent} units sent`);
  // Before the fix: hardly a valid nonce (every unit abandoned within a millisecond) and hardware errors.
  assert.equal(stats.hwErrors, 0, `${stats.hwErrors} hardware errors for ${stats.validNonces} valid nonces (${stats.workSent} units sent)`);
});

test('250 clean jobs/s (every unit sent at once): late nonces are matched to their older unit and counted late, not as hardware errors', async () => {
  const { stats } = await storm(true, 250, 3, 150);
  assert.ok(stats.validNonces > 100, `${stats.validNonces} valid nonces, ${stats.hwErrors} hw errors, ${stats.workSent} units sent`);
  const what = `${stats.hwErrors} hardware errors, ${stats.lateNonces} late nonces, ${stats.lateUnmatched} too late to match, ${stats.validNonces} valid`;
  assert.ok(stats.lateNonces > 0, `some nonces came back after their job id was reused: ${what}`);
  // Before the fix every late nonce was a hardware error (more of them than valid nonces).
  assert.equal(stats.hwErrors, 0, what);
});
