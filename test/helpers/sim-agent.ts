/**
 * A simulated running agent for API tests that need live, changing figures (the Prometheus scrape, the
 * status command): the real MiningStats fed with verified-nonce and share events as chains would feed
 * it, the real PoolManager over in-test upstreams, fixed board readings, and an AgentSnapshot built
 * with src/api/snapshot-sources.ts the way the agent's adapter does.
 */
import type { Clock, TimerHandle } from '../../src/clock.js';
import { MiningStats } from '../../src/mining/mining-stats.js';
import { PoolManager } from '../../src/upstream/pools.js';
import type { AgentSnapshot } from '../../src/api/snapshot.js';
import { chainSnapshot, miningTotals, poolSnapshots, shareTotals, switchRecords, wallTime, type ChainInfo } from '../../src/api/snapshot-sources.js';
import { fakeFactory } from './fake-upstream.js';

export const SIM_TICKET = 256;
export const SIM_CHIP_NOMINAL = 2 ** 32 * SIM_TICKET * 50; // 50 nonces/s per chip at ticket 256

export class SimAgent {
  readonly stats: MiningStats;
  readonly pools: PoolManager;
  readonly chains: ChainInfo[] = [
    {
      id: 0,
      family: 'BM1366',
      state: 'running',
      chipsExpected: 4,
      crcErrors: 0,
      frequencyMhz: 485,
      nominal: 4 * SIM_CHIP_NOMINAL,
      temperature: 58,
      devicePath: '/dev/ttyS1',
    },
    {
      id: 1,
      family: 'BM1366',
      state: 'running',
      chipsExpected: 4,
      silentChips: [2],
      crcErrors: 2,
      frequencyMhz: 485,
      nominal: 4 * SIM_CHIP_NOMINAL,
      temperature: 60,
      devicePath: '/dev/ttyS2',
    },
  ];
  private readonly fakes;
  private timer?: TimerHandle;
  private ticks = 0;
  /** What was recorded, to compare with what the API shows. */
  readonly recorded = { nonces: 0, hwErrors: 0, accepted: 0, rejected: 0 };

  constructor(private readonly clock: Clock) {
    this.stats = new MiningStats(clock);
    this.fakes = fakeFactory(clock);
    this.pools = new PoolManager({
      groups: [
        {
          name: 'primary',
          pools: [
            {
              name: 'main',
              url: 'stratum2+tcp://127.0.0.1:3336/9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXh',
              user: 'bc1qsim.rig',
              password: 'sim-secret',
            },
            { name: 'backup', url: 'stratum+tcp://127.0.0.1:3333', user: 'sim.rig' },
          ],
        },
      ],
      factory: this.fakes.factory,
      clock,
    });
  }

  /** Starts the pools and the nonce/share stream (every `everyMs`). */
  start(everyMs = 20): void {
    this.pools.start();
    this.fakes.latest('main').ready();
    this.fakes.latest('backup').ready();
    this.timer = this.clock.setInterval(() => this.tick(), everyMs);
  }

  private tick(): void {
    this.ticks++;
    for (const c of this.chains) {
      for (let chip = 0; chip < c.chipsExpected; chip++) {
        if (c.silentChips?.includes(chip)) continue;
        this.stats.recordValidNonce(c.id, chip, SIM_TICKET);
        this.recorded.nonces++;
      }
    }
    if (this.ticks % 7 === 0) {
      this.stats.recordHwError(0, 0);
      this.recorded.hwErrors++;
    }
    if (this.ticks % 5 === 0) {
      const diff = 1024 * (1 + (this.ticks % 3));
      this.stats.recordShareFound(diff);
      const pool = this.pools.currentPool() ?? 'main';
      if (this.ticks % 45 === 0) {
        this.stats.recordShareOutcome(pool, 'rejected', diff, 'low difficulty');
        this.recorded.rejected++;
      } else {
        this.stats.recordShareOutcome(pool, 'accepted', diff);
        this.recorded.accepted++;
      }
    }
  }

  /** Stops the streams (the figures stay as they are). */
  pause(): void {
    this.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  async stop(): Promise<void> {
    this.pause();
    await this.pools.stop();
  }

  snapshot = (): AgentSnapshot => {
    const toWall = wallTime(this.clock);
    const totals = miningTotals(
      this.stats,
      this.chains.reduce((a, c) => a + (c.nominal ?? 0), 0),
    );
    const users = new Map([
      ['main', 'bc1qsim.rig'],
      ['backup', 'sim.rig'],
    ]);
    return {
      firmware: { name: 'asic-agent', version: '0.1.0' },
      now: this.clock.wallSeconds(),
      uptimeSeconds: (this.clock.now() - this.stats.startedAt) / 1000,
      board: { model: 'sim-bm1366-2x4', state: 'running' },
      ...totals,
      chains: this.chains.map((c) => chainSnapshot(this.stats, c, toWall)),
      shares: shareTotals(this.stats, toWall),
      pools: poolSnapshots(this.pools.stats(), this.stats, (id) => ({ user: users.get(id) ?? '' }), toWall),
      switches: switchRecords(this.pools.switchLog(), toWall),
      temperatures: [
        { name: 'chain0', celsius: 58, kind: 'chip', chain: 0 },
        { name: 'chain1', celsius: 60, kind: 'chip', chain: 1 },
        { name: 'board', celsius: 41.5, kind: 'board' },
      ],
      fans: [{ name: 'fan0', dutyPercent: 40, rpm: 2900 }],
      power: [{ name: 'vdd', volts: 12.1, amps: 8.4, watts: 101.6, state: 'on', faults: [] }],
      alarms: [],
      config: { pool: { user: 'bc1qsim.rig', password: 'sim-secret' } },
    };
  };
}
