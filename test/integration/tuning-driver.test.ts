// The tuner through the real chain driver: a BM1366 chain simulator with silicon-lottery chips on an
// in-memory UART, the real driver (the scheduler's MiningChain), the scheduler verifying every nonce with
// SHA-256 (wrong nonces become the chip's hardware errors in the stats sink), and the agent's own
// chain port (src/agent/tuning.ts). A weakened chip is found from its real nonces and slowed alone by
// addressed PLL writes: only its PLL register changes in the simulator.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { familyByName } from '../../drivers/asic/bm13xx/family.js';
import { solvePll } from '../../drivers/asic/bm13xx/pll.js';
import { drawChips } from '../../workshop/sim/lottery/silicon-lottery.js';
import { LotteryPerformance } from '../../workshop/sim/lottery/lottery-performance.js';
import { chainPort } from '../../src/agent/tuning.js';
import type { ChainRuntime } from '../../src/agent/chain-set.js';
import { systemClock } from '../../src/clock.js';
import { logger } from '../../src/log.js';
import { MiningStats } from '../../src/mining/mining-stats.js';
import { Scheduler } from '../../src/mining/scheduler.js';
import { SharePath } from '../../src/mining/share-path.js';
import { ProfileStore } from '../../src/tuning/profile-store.js';
import { Tuner } from '../../src/tuning/tuner.js';
import { TUNER_DEFAULTS } from '../../src/tuning/tuner-settings.js';
import type { TunedBoard } from '../../src/tuning/tuner-ports.js';
import type { Job } from '../../src/upstream/job.js';
import { inProcessChain } from '../helpers/in-process-chain.js';
import { coinbaseJob } from '../helpers/coinbase-job.js';
import { waitFor } from '../helpers/wait.js';

const CHIPS = 8;
const HASHRATE = 120_000;
/** About 40 valid nonces per chip and second. */
const TICKET = HASHRATE / CHIPS / (2 ** 32 * 40);

const job = (): Job => coinbaseJob({ id: '9', prevHashFill: 7, difficulty: 2 ** -10 });

test('a weakened chip is found from its verified nonces and slowed alone by an addressed PLL write', { timeout: 120_000 }, async () => {
  const family = familyByName('BM1366');
  const lottery = drawChips({ family: 'BM1366', chips: CHIPS, seed: 21 });
  // The board holds the rail at 1.20 V and the chips at 60 °C; the chain's hashrate applies at 485 MHz.
  const perf = new LotteryPerformance(lottery, 485, 1.2, 60);
  const c = await inProcessChain({ index: 0, family: 'BM1366', chips: CHIPS, sim: { hashrate: HASHRATE, performance: perf }, simTicketDifficulty: TICKET });
  const dir = mkdtempSync(join(tmpdir(), 'tuning-driver-'));
  const stats = new MiningStats(systemClock);
  const shares = new SharePath({ stats, log: logger('test'), submit: async () => ({ status: 'accepted' }) });
  const sched = new Scheduler({ chains: [c.driver], clock: systemClock, log: logger('test'), stats, shares });
  let tuner: Tuner | undefined;
  try {
    const rt: ChainRuntime = {
      spec: {
        index: 0,
        uart: 'sim:test',
        family: 'BM1366',
        chips: CHIPS,
        baud: 115200,
        frequencyMhz: 485,
        minFrequencyMhz: 200,
        frequencyStepMhz: 25,
        ticketDifficulty: 256,
        simulated: true,
      },
      // The chain's simulated device as the workshop gives it: the simulator's hashrate and ticket difficulty.
      device: {
        path: 'sim:test',
        ticketDifficulty: TICKET,
        hashrate: HASHRATE,
        exited: false,
        setReset: async () => undefined,
        hashesDone: () => 0,
        stop: async () => undefined,
      },
      family,
      state: 'running',
      driver: c.driver,
      up: c.up,
      upAt: 0,
      seenWork: 0,
      seenNonce: [],
      reinits: 0,
      bringUpFailures: 0,
      hadWork: false,
    };
    const port = chainPort(
      rt,
      stats,
      485,
      () => 1,
      () => true,
    );
    // Each chip 4 % inside its edge: sound, as a profile saved on an earlier run would have them.
    const clocks = lottery.map((chip) => solvePll(chip.edgeMhz(1.2, chip.tempC(60)) * 0.96, family.pll).frequencyMhz);
    const identity = { board: 'test-board', family: 'bm1366', chains: [{ chips: CHIPS, missing: [] as number[] }] };
    const store = new ProfileStore(dir);
    assert.equal(store.save({ identity, mode: 'efficiency', volts: 1.2, mhz: [clocks], watts: 60, hashrateHs: HASHRATE, tempC: 60, savedAt: 1 }), undefined);
    const board: TunedBoard = {
      volts: () => 1.2,
      setVolts: async () => undefined,
      power: () => ({ watts: perf.powerW(c.driver.chipFrequencies(), false), at: systemClock.now() }),
      tempC: () => 60,
      hot: () => false,
      running: () => true,
    };
    tuner = new Tuner({
      clock: systemClock,
      chains: [port],
      board,
      settings: {
        ...TUNER_DEFAULTS,
        target: { mode: 'efficiency' },
        limits: { minMhz: 200, maxMhz: 575, minVolts: 1.2, maxVolts: 1.2, defaultMhz: 485, defaultVolts: 1.2 },
        powerStepW: 0,
        minPowerW: 0,
        coolStepS: 60,
      },
      log: logger('tuning'),
      store,
      identity: () => identity,
    });
    sched.setJob(job());
    tuner.start();
    const t = tuner;
    const regs = (): number[] => c.sim.chips.map((x) => x.frequencyMhz());
    // The writes reach the simulated chips through the UART: every PLL register ends at its profile clock.
    await waitFor(() => t.status().state === 'tuned' && regs().every((f, i) => f === clocks[i]), "every chip's PLL register at its profile clock", 30_000);
    assert.deepEqual(c.driver.chipFrequencies(), clocks);
    // Chip 5 weakens: its edge drops 10 % below its clock. Its wrong nonces fail SHA-256 in the scheduler.
    const k = 5;
    (lottery[k]?.p as { edgeMhz: number }).edgeMhz *= 0.9;
    await waitFor(() => (regs()[k] ?? Infinity) < (clocks[k] ?? 0), 'the weakened chip slowed', 60_000);
    assert.ok(stats.chip(0, k).hwErrors > 0, 'its hardware errors were counted in the stats sink');
    const now = regs();
    assert.deepEqual(
      now.filter((_, i) => i !== k),
      clocks.filter((_, i) => i !== k),
      'no other chip was touched',
    );
    assert.ok((now[k] ?? Infinity) < (clocks[k] ?? 0));
  } finally {
    tuner?.stop();
    sched.stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
