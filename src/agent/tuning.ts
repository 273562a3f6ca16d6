/**
 * The autotuner in the agent (docs/tuning.md): the Tuner (src/tuning) on the agent's chains and board.
 * Each chain is a TunedChain over its BM13xx driver (per-chip counts from the stats sink, where the
 * scheduler's nonce check records them; clocks by addressed PLL writes); the board is the Board's port (rail through Board.setCoreVoltage, power from the
 * power monitor or the regulator, hot from the thermal policy). Profiles go to `[tuning] profile_dir`.
 *
 * The agent routes three things here when tuning is on: the board's hot steps (performance scaling
 * instead of a chain-wide clock step), the voltage the board powers up at and the clock the chains come
 * up at (a saved profile's, or the search's start), and pause/resume (curtailment).
 */
import { solvePll } from '../../drivers/asic/bm13xx/pll.js';
import type { Board } from '../board/board.js';
import type { Clock } from '../clock.js';
import type { RunConfig } from '../config/run-config.js';
import type { Logger } from '../log.js';
import type { MiningStats } from '../mining/mining-stats.js';
import { boardPort, type BoardPort } from '../tuning/board-port.js';
import type { BoardIdentity } from '../tuning/profile.js';
import { defaultProfileDir, ProfileStore } from '../tuning/profile-store.js';
import { Tuner, type TunerStatus } from '../tuning/tuner.js';
import { tunerSettingsOf, tunerTargetOf } from '../tuning/tuner-config.js';
import type { TunedChain, TunerTarget } from '../tuning/tuner-ports.js';
import type { ChainRuntime, ChainSet } from './chain-set.js';

/** Hashes per second per MHz of one chip: the family's small cores on hardware, the simulator's share in simulation. */
function hashesPerMhz(c: ChainRuntime, refMhz: number): number {
  if (c.device) return c.device.hashrate / (Math.max(1, c.spec.chips) * refMhz);
  return c.family.smallCores * 1e6;
}

/**
 * A chain as the tuner sees it: per-chip valid nonces and hardware errors from the stats sink, clocks by
 * addressed PLL writes (exported for the driver-level tests).
 */
export function chainPort(c: ChainRuntime, stats: MiningStats, refMhz: number, epoch: () => number, working: () => boolean): TunedChain {
  const hpm = hashesPerMhz(c, refMhz);
  return {
    index: c.spec.index,
    chipCount: () => c.up?.chipCount ?? c.spec.chips,
    missing: () => new Set(c.up?.missing ?? []),
    hashesPerMhz: () => hpm,
    ticketDifficulty: () => c.driver.nonceDifficulty,
    counts: () =>
      Array.from({ length: c.driver.chipCount }, (_, chip) => {
        const x = stats.chip(c.spec.index, chip);
        return { valid: x.nonces, hw: x.hwErrors };
      }),
    clocks: () => c.driver.chipFrequencies(),
    running: () => c.state === 'running' && c.driver.state === 'running',
    working,
    epoch,
    reachable: (mhz) => solvePll(mhz, c.family.pll).frequencyMhz,
    setChipMhz: async (chip, mhz) => {
      const d = c.driver;
      const got = await d.setChipFrequency(chip, mhz);
      // What the chains should do now follows the clocks the tuner set.
      const missing = new Set(c.up?.missing ?? []);
      d.nominalHashrate = d.chipFrequencies().reduce((s, f, i) => s + (missing.has(i) ? 0 : f * hpm), 0);
      return got;
    },
  };
}

export interface AgentTuningOptions {
  config: RunConfig;
  chains: ChainSet;
  board: Board;
  clock: Clock;
  log: Logger;
  /** The chains have work (a job from a pool). */
  working: () => boolean;
}

export class AgentTuning {
  readonly tuner: Tuner;
  readonly store: ProfileStore;
  private readonly port: BoardPort;
  private readonly epochs: number[];
  private paused: boolean;

  constructor(private readonly o: AgentTuningOptions) {
    const cfg = o.config;
    this.epochs = o.chains.chains.map(() => 0);
    o.chains.on('up', (c) => {
      this.epochs[c.spec.index] = (this.epochs[c.spec.index] ?? 0) + 1;
    });
    this.port = boardPort(o.board, o.clock);
    this.store = new ProfileStore(cfg.agent.tuning.profile_dir ?? defaultProfileDir());
    const refMhz = cfg.board.asic.frequency_mhz;
    this.paused = cfg.agent.tuning.paused;
    this.tuner = new Tuner({
      clock: o.clock,
      chains: o.chains.chains.map((c) => chainPort(c, o.chains.stats, refMhz, () => this.epochs[c.spec.index] ?? 0, o.working)),
      board: this.port,
      settings: tunerSettingsOf(cfg, { voltageControl: o.board.hasVoltageControl() }),
      log: o.log,
      store: this.store,
      identity: () => this.identity(),
      boardName: cfg.board.name,
    });
    this.tuner.setPaused(this.paused);
  }

  /** The board as its chains reported it at their last bring-up (undefined until every chain came up). */
  identity(): BoardIdentity | undefined {
    const cs = this.o.chains.chains;
    if (cs.some((c) => !c.up)) return undefined;
    return {
      board: this.o.config.board.name,
      family: this.o.config.board.asic.family,
      chains: cs.map((c) => ({ chips: c.up?.chipCount ?? c.spec.chips, missing: [...(c.up?.missing ?? [])].sort((a, b) => a - b) })),
    };
  }

  /** Before the first power-up: the rail the board starts at. */
  async prepareBoard(): Promise<void> {
    await this.o.board.setCoreVoltage(this.tuner.initialVolts());
    this.tuner.start();
  }

  /** Before the chains come up (every power-up): the clock they come up at. */
  prepareChains(): void {
    for (const c of this.o.chains.chains) this.o.chains.setBringUpMhz(c.spec.index, this.tuner.bringUpMhz(c.spec.index));
  }

  get isPaused(): boolean {
    return this.paused;
  }

  setPaused(p: boolean): void {
    this.paused = p;
    this.tuner.setPaused(p);
  }

  onHot(): void {
    this.tuner.onHot();
  }

  setTarget(t: TunerTarget): void {
    this.tuner.setTarget(t);
  }

  /** A reloaded config: its target (the limits stay the running board's). */
  reload(cfg: RunConfig): void {
    this.tuner.setTarget(tunerTargetOf(cfg));
  }

  status(): TunerStatus {
    return this.tuner.status();
  }

  /** Where the board's power reading comes from. */
  powerSource(): string {
    return this.port.source();
  }

  stop(): void {
    this.tuner.stop();
    this.port.close();
  }
}
