/**
 * Builds a running board from a RunConfig. Each part has the backend its board-config names: `[i2c] bus =
 * "sim"` and lines on the "sim-gpio" controller are simulated (a SimBoard from the [sim] section), a bus
 * number and any other label are the real i2c-bus and sysfs GPIO. The agent composes this: it attaches
 * its chains through `board.attachMining()` and adds its own services around the same Board.
 */
import { systemClock, type Clock } from '../clock.js';
import { SimBoard, type SimBoardSpec } from '../../workshop/sim/sim-board.js';
import { parseSimFault, type SimFault } from '../../workshop/sim/sim-faults.js';
import { LinuxI2cBus } from '../../drivers/transport/linux-i2c-bus.js';
import { openSysfsGpio } from '../../drivers/transport/sysfs-gpio.js';
import { SIM_GPIO_CHIP, SIM_I2C_BUS, type BoardConfig } from '../config/board-config.js';
import type { GpioOpener } from '../../drivers/transport/gpio-line.js';
import type { RunConfig } from '../config/run-config.js';
import { Board, type BoardOptions } from './board.js';
import { openBoardParts, type BoardParts } from './board-parts.js';

export interface RuntimeOptions {
  clock?: Clock;
  /** Faults to inject (simulated boards only), in addition to the board-config's [sim] faults. */
  simFaults?: SimFault[];
  /** Append the simulated hardware state to this file on every change. */
  simRecordPath?: string;
}

export interface BoardRuntime {
  config: RunConfig;
  board: Board;
  /** The drivers and lines the board runs (the chains take their reset lines from here). */
  parts: BoardParts;
  /** The simulated hardware, when the board is simulated. */
  sim: SimBoard | undefined;
  close(): void;
}

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
    resetLines: board.chain.flatMap((c, chain) => (c.reset?.chip === SIM_GPIO_CHIP ? [{ chain, chip: c.reset.chip, line: c.reset.line, activeLow: c.reset.active_low }] : [])),
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

function simBoardOf(sim: SimBoard | undefined, b: BoardConfig): SimBoard {
  // The board-config check refuses simulated parts without [sim]; this is the same rule at run time.
  if (!sim) throw new SimOnlyError(`${b.name}: a simulated part (i2c bus "sim" or a "${SIM_GPIO_CHIP}" line) needs a [sim] section`);
  return sim;
}

/** The Board's settings from a RunConfig. */
export function boardOptions(config: RunConfig, clock: Clock): BoardOptions {
  const b = config.board;
  return {
    clock,
    limits: config.limits,
    fans: config.fans,
    power: config.power,
    coreVoltage: config.coreVoltage,
    voltageDomains: b.asic.voltage_domains,
    settleMs: b.power.settle_ms,
    resetHoldMs: b.power.reset_hold_ms,
    resetReleaseMs: b.power.reset_release_ms,
    pollMs: b.control.poll_ms,
    stepTimeoutMs: b.control.step_timeout_ms,
  };
}

export async function createBoardRuntime(config: RunConfig, opts: RuntimeOptions = {}): Promise<BoardRuntime> {
  const clock = opts.clock ?? systemClock;
  const b = config.board;
  let sim: SimBoard | undefined;
  if (b.sim) {
    sim = new SimBoard(simSpecFor(b, opts.simRecordPath), clock);
    sim.schedule([...b.sim.faults.map(parseSimFault), ...(opts.simFaults ?? [])]);
  } else {
    if (opts.simFaults && opts.simFaults.length > 0) throw new SimOnlyError(`--sim-fault needs a simulated board; ${b.name} has no [sim] section`);
    if (opts.simRecordPath) throw new SimOnlyError(`--sim-record needs a simulated board; ${b.name} has no [sim] section`);
  }
  const simBoard = sim;
  const bus = b.i2c.bus === SIM_I2C_BUS ? simBoardOf(simBoard, b).bus : await LinuxI2cBus.open(b.i2c.bus, { clock, timeoutMs: Math.min(500, b.control.step_timeout_ms) });
  const openGpio: GpioOpener = (role, spec, initial) => (spec.chip === SIM_GPIO_CHIP ? simBoardOf(simBoard, b).gpioOpener(role, spec, initial) : openSysfsGpio(role, spec, initial));
  const parts: BoardParts = await openBoardParts(b, bus, openGpio, clock);
  const board = new Board(parts, boardOptions(config, clock));
  return {
    config,
    board,
    parts,
    sim,
    close() {
      sim?.close();
    },
  };
}
