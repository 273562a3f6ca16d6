// The mining pipeline on simulated chains in process: BM13xx simulator -> memory UART -> the real
// driver (the scheduler's MiningChain) -> scheduler -> nonce check -> share path. Every family; no hardware errors;
// shares meet the target; the BM1397 midstate path and the in-chip rolling path both verify.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FamilyName } from '../../drivers/asic/bm13xx/family.js';
import { systemClock } from '../../src/clock.js';
import { logger } from '../../src/log.js';
import type { MiningChain } from '../../src/mining/mining-chain.js';
import { inProcessChain } from '../helpers/in-process-chain.js';
import { MiningStats } from '../../src/mining/mining-stats.js';
import { Scheduler } from '../../src/mining/scheduler.js';
import { SharePath } from '../../src/mining/share-path.js';
import type { Job, Share, ShareOutcome } from '../../src/upstream/job.js';
import { coinbaseJob } from '../helpers/coinbase-job.js';
import { waitFor } from '../helpers/wait.js';

const job = (): Job => coinbaseJob({ id: '7', prevHashFill: 3, difficulty: 2 ** -22 });

async function mine(family: FamilyName, chainsN: number, chips: number): Promise<void> {
  const stats = new MiningStats(systemClock);
  const submitted: Share[] = [];
  const cleanup: (() => Promise<void>)[] = [];
  const chains: MiningChain[] = [];
  for (let i = 0; i < chainsN; i++) {
    const c = await inProcessChain({ index: i, family, chips, sim: { hashrate: 60_000 }, simTicketDifficulty: 2 ** -26 });
    chains.push(c.driver);
    cleanup.push(c.close);
  }
  const shares: SharePath = new SharePath({
    stats,
    log: logger('test'),
    submit: async (s): Promise<ShareOutcome> => {
      submitted.push(s);
      return { status: 'accepted' };
    },
  });
  const sched: Scheduler = new Scheduler({ chains, clock: systemClock, log: logger('test'), stats, shares });
  sched.setJob(job());
  try {
    await waitFor(() => submitted.length >= 3 && stats.validNonces >= 20, `${family}: 3 shares and 20 valid nonces`);
  } finally {
    sched.stop();
    for (const c of cleanup) await c();
  }
  assert.equal(stats.hwErrors, 0, `${family}: hardware errors`);
  assert.ok(stats.validNonces >= 20, `${family}: ${stats.validNonces} valid nonces`);
  assert.ok(submitted.length >= 3, `${family}: ${submitted.length} shares`);
  for (const s of submitted) {
    assert.ok(s.difficulty >= 2 ** -22, 'share meets the pool target');
    assert.equal(s.extranonce?.length, 8);
  }
  // Every chain contributed.
  for (let i = 0; i < chainsN; i++)
    assert.ok(
      stats.chipList().some((c) => c.chain === i && c.nonces > 0),
      `${family}: chain ${i} produced nonces`,
    );
}

for (const family of ['BM1370', 'BM1397', 'BM1366'] as FamilyName[]) {
  test(`pipeline on ${family} simulated chains: verified nonces and shares, no hardware errors`, () => mine(family, 2, 4));
}
