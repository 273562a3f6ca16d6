/**
 * The autotuner on a simulated board, in this process, on a ManualClock: the real Board (thermal policy,
 * fan loop, TPS546 over simulated PMBus) on a SimBoard whose chips are silicon-lottery chips, the chain
 * as counts (workshop/sim/lottery/lottery-chain.ts), and the real Tuner with the same board port the agent
 * gives it. Simulated hours run in seconds. Used by the autotune benchmark and the tuner's tests.
 */
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../src/clock.js';
import { loadRunConfig, type RunConfig } from '../../src/config/run-config.js';
import { createBoardRuntime, type BoardRuntime } from '../../src/board/runtime.js';
import type { SimBoard } from '../../workshop/sim/sim-board.js';
import { simulatedBoard } from '../../workshop/sim/simulated-parts.js';
import { familyByName, type FamilyName } from '../../drivers/asic/bm13xx/family.js';
import { drawChips, type LotteryChip } from '../../workshop/sim/lottery/silicon-lottery.js';
import { LotteryChain } from '../../workshop/sim/lottery/lottery-chain.js';
import { evaluateSetting, type OracleBoard } from '../../workshop/sim/lottery/lottery-oracle.js';
import { boardPort, type BoardPort } from '../../src/tuning/board-port.js';
import { Tuner } from '../../src/tuning/tuner.js';
import type { TunerSettings } from '../../src/tuning/tuner-settings.js';
import { tunerSettingsOf } from '../../src/tuning/tuner-config.js';
import type { TunedChain, TunerTarget } from '../../src/tuning/tuner-ports.js';
import type { ProfileStore } from '../../src/tuning/profile-store.js';
import type { BoardIdentity } from '../../src/tuning/profile.js';
import { logger } from '../../src/log.js';
import { flush } from './sim-board.js';

export const BOARD_126 = fileURLToPath(new URL('../../board-configs/sim-bm1366-126.toml', import.meta.url));

export interface TuningHarnessOptions {
  seed: number;
  target: TunerTarget;
  boardFile?: string;
  /** Chips on the chain (default: the board-config's). */
  chips?: number;
  store?: ProfileStore;
  settings?: Partial<TunerSettings>;
  patch?: (c: RunConfig) => RunConfig;
  /** An existing clock (a restart on the same timeline). */
  clock?: ManualClock;
}

export interface TuningHarness {
  clock: ManualClock;
  cfg: RunConfig;
  rt: BoardRuntime<SimBoard>;
  chain: LotteryChain;
  lottery: LotteryChip[];
  tuner: Tuner;
  port: BoardPort;
  identity: BoardIdentity;
  /** Powers the board up (the tuner starts with it). */
  start(): Promise<void>;
  /** Runs `ms` of simulated time in `stepMs` steps; `each` after every step. */
  run(ms: number, each?: () => boolean | void, stepMs?: number): Promise<void>;
  /** The board as the oracle sees it, at the present temperature. */
  oracleBoard(): OracleBoard;
  /** The truth about the clocks now: valid-nonce hashrate and chip power. */
  truth(): { hashrate: number; chipW: number; volts: number };
  close(): Promise<void>;
}

/** The settings the agent would give the tuner on this board for this target (src/tuning/tuner-config.ts). */
export function tunerSettingsFor(cfg: RunConfig, target: TunerTarget, over: Partial<TunerSettings> = {}): TunerSettings {
  return { ...tunerSettingsOf(cfg, { voltageControl: true, target }), ...over };
}

export async function tuningHarness(o: TuningHarnessOptions): Promise<TuningHarness> {
  const clock = o.clock ?? new ManualClock();
  let cfg = loadRunConfig(o.boardFile ?? BOARD_126);
  if (o.chips !== undefined) {
    const chips = o.chips;
    cfg = { ...cfg, board: { ...cfg.board, asic: { ...cfg.board.asic, chips } } };
  }
  if (o.patch) cfg = o.patch(cfg);
  const rt = await createBoardRuntime(cfg, { clock, simulated: simulatedBoard });
  const sim = rt.sim;
  if (!sim) throw new Error('the tuning harness needs a simulated board');
  const a = cfg.board.asic;
  const family = familyByName(a.family).name as FamilyName;
  const lottery = drawChips({ family, chips: a.chips, seed: o.seed });
  const domains = a.voltage_domains;
  const chain = new LotteryChain({
    family,
    chips: lottery,
    clock,
    seed: o.seed,
    ticketDifficulty: a.ticket_difficulty ?? 256,
    volts: () => sim.outputVolts() / domains,
    boardTempC: () => sim.thermal.temperatureC,
    limits: { minMhz: a.min_frequency_mhz, maxMhz: a.max_frequency_mhz },
  });
  sim.chipPowerSource = (v, t) => chain.powerW(v, t);
  await sim.wireChainReset(0, (held) => chain.setReset(held));
  const port = boardPort(rt.board, clock);
  const tunedChain: TunedChain = {
    index: 0,
    chipCount: () => lottery.length,
    missing: () => new Set<number>(),
    hashesPerMhz: () => familyByName(family).smallCores * 1e6,
    ticketDifficulty: () => a.ticket_difficulty ?? 256,
    counts: () => lottery.map((_, i) => ({ valid: chain.valid[i] as number, hw: chain.hw[i] as number })),
    clocks: () => chain.mhz.slice(),
    running: () => chain.running,
    working: () => chain.running,
    epoch: () => chain.epoch,
    reachable: (m) => chain.reach(m),
    setChipMhz: async (i, m) => chain.setChipMhz(i, m),
  };
  const identity: BoardIdentity = { board: cfg.board.name, family: a.family, chains: [{ chips: lottery.length, missing: [] }] };
  const tuner = new Tuner({
    clock,
    chains: [tunedChain],
    board: port,
    settings: tunerSettingsFor(cfg, o.target, o.settings),
    log: logger('tuning'),
    ...(o.store ? { store: o.store } : {}),
    identity: () => identity,
    boardName: cfg.board.name,
  });
  rt.board.attachMining({
    start: async () => chain.bringUp(tuner.bringUpMhz(0)),
    stopHashing: () => chain.stop(),
    reduceFrequency: () => tuner.onHot(),
  });
  const run = async (ms: number, each?: () => boolean | void, stepMs = 100): Promise<void> => {
    const end = clock.now() + ms;
    while (clock.now() < end) {
      clock.advance(Math.min(stepMs, end - clock.now()));
      await flush();
      await flush();
      if (each?.() === true) return;
    }
  };
  return {
    clock,
    cfg,
    rt,
    chain,
    lottery,
    tuner,
    port,
    identity,
    async start() {
      await rt.board.setCoreVoltage(tuner.initialVolts());
      tuner.start();
      let done = false;
      let failure: unknown;
      rt.board.start().then(
        () => (done = true),
        (err: unknown) => {
          failure = err;
          done = true;
        },
      );
      await run(20_000, () => done, 50);
      if (failure) throw failure;
    },
    run,
    oracleBoard: () => ({
      chips: lottery,
      boardTempC: sim.thermal.temperatureC,
      minMhz: a.min_frequency_mhz,
      maxMhz: a.max_frequency_mhz,
      minVolts: a.min_voltage,
      maxVolts: a.max_voltage,
      pll: familyByName(family).pll,
    }),
    truth: () => {
      const v = sim.outputVolts() / domains;
      const s = evaluateSetting(
        { chips: lottery, boardTempC: sim.thermal.temperatureC, minMhz: 0, maxMhz: 1e9, minVolts: 0, maxVolts: 10, pll: familyByName(family).pll },
        v,
        chain.mhz,
      );
      return { hashrate: chain.goodHashrate(), chipW: chain.powerW(v, sim.thermal.temperatureC), volts: s.volts };
    },
    async close() {
      tuner.stop();
      port.close();
      chain.close();
      // The manual clock holds no real timer: nothing is left running once the tuner and chain stop.
      rt.close();
    },
  };
}
