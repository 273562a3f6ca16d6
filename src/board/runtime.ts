/**
 * Builds a running board from a RunConfig: simulated peripherals when the board-config has a [sim]
 * section, the real i2c-bus and sysfs GPIO backends otherwise. The agent composes this: it attaches its
 * chains through `board.attachMining()` and adds its own services around the same Board.
 */
import { systemClock, type Clock } from '../clock.js';
import { SimBoard, type SimBoardSpec } from '../../drivers/sim/sim-board.js';
import { parseSimFault, type SimFault } from '../../drivers/sim/sim-faults.js';
import { LinuxI2cBus } from '../../drivers/transport/linux-i2c-bus.js';
import { openSysfsGpio } from '../../drivers/transport/sysfs-gpio.js';
import type { BoardConfig } from '../config/board-config.js';
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
  return {
    devices: Object.entries(board.i2c.devices).map(([name, d]) => ({ name, ic: d.ic, address: d.address })),
    resetLines: board.chain.flatMap((c) => (c.reset ? [{ chip: c.reset.chip, line: c.reset.line, activeLow: c.reset.active_low }] : [])),
    ...(board.gpio.power_enable
      ? { powerEnable: { chip: board.gpio.power_enable.chip, line: board.gpio.power_enable.line, activeLow: board.gpio.power_enable.active_low } }
      : {}),
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
  let parts: BoardParts;
  if (b.sim) {
    sim = new SimBoard(simSpecFor(b, opts.simRecordPath), clock);
    sim.schedule([...b.sim.faults.map(parseSimFault), ...(opts.simFaults ?? [])]);
    parts = await openBoardParts(b, sim.bus, sim.gpioOpener);
  } else {
    if (opts.simFaults && opts.simFaults.length > 0) throw new SimOnlyError(`--sim-fault needs a simulated board; ${b.name} has no [sim] section`);
    if (opts.simRecordPath) throw new SimOnlyError(`--sim-record needs a simulated board; ${b.name} has no [sim] section`);
    const bus = await LinuxI2cBus.open(b.i2c.bus, { clock, timeoutMs: Math.min(500, b.control.step_timeout_ms) });
    parts = await openBoardParts(b, bus, openSysfsGpio);
  }
  const board = new Board(parts, boardOptions(config, clock));
  return {
    config,
    board,
    sim,
    close() {
      sim?.close();
    },
  };
}
