/**
 * The simulators as the firmware's simulated parts (src/board/simulated-parts.ts): a SimBoard for the
 * board-config's simulated peripherals, and a chain simulator process behind a pseudo-terminal for each
 * `sim:` chain. The command line's composition root hands these to the agent (src/cli/workshop.ts).
 */
import { SIM_GPIO_CHIP, SIM_I2C_BUS, type BoardConfig } from '../../src/config/board-config.js';
import type { RunConfig } from '../../src/config/run-config.js';
import type { SimFault } from '../../src/config/sim-faults.js';
import type { Logger } from '../../src/log.js';
import type { ChainDevice, ChainDeviceFactory, SimulatedBoardFactory, SimulatedLink, SimulatedParts } from '../../src/board/simulated-parts.js';
import { autoSimTicketDifficulty } from './bm13xx/sim-ticket.js';
import { SimBoard, type SimBoardSpec } from './sim-board.js';
import { startSimChain, type SimChainProcess } from './sim-chain-process.js';
import { linkLottery } from './sim-lottery-link.js';
import { chipFaultsOf } from './sim-chip-faults.js';

export class SimOnlyError extends Error {
  override readonly name = 'SimOnlyError';
}

/** The SimBoard description of a board-config with a [sim] section. */
export function simSpecFor(board: BoardConfig, recordPath?: string): SimBoardSpec {
  const s = board.sim;
  if (!s) throw new SimOnlyError(`${board.name} has no [sim] section`);
  const pe = board.gpio.power_enable;
  return {
    devices: board.i2c.bus === SIM_I2C_BUS ? Object.entries(board.i2c.devices).map(([name, d]) => ({ name, ic: d.ic, address: d.address })) : [],
    resetLines: board.chain.flatMap((c, chain) =>
      c.reset?.chip === SIM_GPIO_CHIP ? [{ chain, chip: c.reset.chip, line: c.reset.line, activeLow: c.reset.active_low }] : [],
    ),
    ...(pe?.chip === SIM_GPIO_CHIP ? { powerEnable: { chip: pe.chip, line: pe.line, activeLow: pe.active_low } } : {}),
    thermal: {
      ambientC: s.ambient_c,
      heatCapacity: s.heat_capacity_j_per_c,
      passiveConductance: s.passive_w_per_c,
      fanConductance: s.fan_w_per_c,
    },
    chipPowerW: s.chip_power_w,
    idlePowerFraction: s.idle_power_fraction,
    nominalCoreVolts: board.asic.voltage,
    voltageDomains: board.asic.voltage_domains,
    vin: s.vin,
    regulatorEfficiency: s.regulator_efficiency,
    fanMaxRpm: s.fan_max_rpm,
    fanTauS: s.fan_tau_s,
    seed: s.seed,
    ...(recordPath ? { recordPath } : {}),
  };
}

/** The simulated peripherals of a board-config with [sim], with its faults scheduled. */
export const simulatedBoard: SimulatedBoardFactory<SimBoard> = (config, o) => {
  const sim = new SimBoard(simSpecFor(config.board, o.recordPath), o.clock);
  sim.schedule(o.faults);
  return sim;
};

/**
 * The simulator of chain `index` of the config's board (the [sim] section's settings): hashing at
 * `chain_hashrate_hs` with a sim-only ticket difficulty for a useful nonce rate, or replaying nonces at
 * `chain_replay_nonces_per_s` (every replayed nonce stands for one hash: sim ticket 2^-32).
 */
export const simulatedChain: ChainDeviceFactory = async (config: RunConfig, index: number, faults: readonly SimFault[], log: Logger): Promise<ChainDevice> => {
  const b = config.board;
  const s = b.sim;
  if (!s) throw new SimOnlyError(`${b.name}: chain ${index} is simulated and the board-config has no [sim] section`);
  const hashrate = s.chain_replay_nonces_per_s ?? s.chain_hashrate_hs;
  const chainFaults = [s.chain_faults, ...chipFaultsOf(b.chain.length, b.asic.chips, index, faults)].filter(Boolean).join(',');
  const p = await startSimChain(
    {
      family: b.asic.family,
      chips: b.asic.chips,
      hashrate,
      simTicketDifficulty: s.sim_ticket_difficulty ?? autoSimTicketDifficulty(hashrate, s.chain_nonces_per_s),
      seed: s.seed + index,
      ...(chainFaults ? { faults: chainFaults } : {}),
      ...(s.chain_replay_nonces_per_s !== undefined ? { replayNoncesPerSecond: s.chain_replay_nonces_per_s } : {}),
      // Lottery chips hash at their clocks: the configured hashrate is the chain's at the board's default clock.
      ...(s.lottery ? { lottery: { seed: s.lottery_seed ?? s.seed, chain: index, refMhz: b.asic.frequency_mhz } } : {}),
    },
    log,
  );
  const device: ChainDevice = {
    path: p.devicePath,
    ticketDifficulty: p.simTicketDifficulty,
    hashrate,
    get exited() {
      return p.exited;
    },
    setReset: (held) => p.setReset(held),
    hashesDone: () => p.hashesDone(),
    stop: () => p.stop(),
  };
  processes.set(device, p);
  return device;
};

/** The simulator process behind each device this module started (for the lottery link). */
const processes = new WeakMap<ChainDevice, SimChainProcess>();

/** The chain simulator process behind a device of simulatedChain, if it is one. */
export function simProcessOf(device: ChainDevice | undefined): SimChainProcess | undefined {
  return device ? processes.get(device) : undefined;
}

/** Silicon-lottery boards ([sim] lottery = true): the chain simulators and the simulated board coupled. */
export const simulatedLink: SimulatedLink = (o) => {
  if (!o.config.board.sim?.lottery) return () => undefined;
  if (!(o.board instanceof SimBoard)) throw new TypeError('the lottery link needs the simulated board of workshop/sim');
  return linkLottery({ sim: o.board, config: o.config, process: (index) => simProcessOf(o.device(index)), clock: o.clock });
};

export const simulatedParts: SimulatedParts = { board: simulatedBoard, chain: simulatedChain, link: simulatedLink };
