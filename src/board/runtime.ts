/**
 * Builds a running board from a RunConfig. Each part has the backend its board-config names: `[i2c] bus =
 * "sim"` and lines on the "sim-gpio" controller are simulated (the simulated board the workshop provides,
 * src/board/simulated-parts.ts), a bus number and any other label are the real i2c-bus and sysfs GPIO.
 * The agent composes this: it attaches its chains through `board.attachMining()` and adds its own
 * services around the same Board.
 */
import { systemClock, type Clock } from '../clock.js';
import { parseSimFault, type SimFault } from '../config/sim-faults.js';
import { LinuxI2cBus } from '../../drivers/transport/linux-i2c-bus.js';
import { openSysfsGpio } from '../../drivers/transport/sysfs-gpio.js';
import { SIM_GPIO_CHIP, SIM_I2C_BUS, type BoardConfig } from '../config/board-config.js';
import type { GpioOpener } from '../../drivers/transport/gpio-line.js';
import type { RunConfig } from '../config/run-config.js';
import { Board, type BoardOptions } from './board.js';
import { openBoardParts, type BoardParts } from './board-parts.js';
import type { SimulatedBoard, SimulatedBoardFactory } from './simulated-parts.js';

export interface RuntimeOptions<S extends SimulatedBoard = SimulatedBoard> {
  clock?: Clock;
  /** Builds the simulated peripherals of a board-config with [sim] (the workshop's; absent on a miner). */
  simulated?: SimulatedBoardFactory<S>;
  /** Faults to inject (simulated boards only), in addition to the board-config's [sim] faults. */
  simFaults?: SimFault[];
  /** Append the simulated hardware state to this file on every change. */
  simRecordPath?: string;
}

export interface BoardRuntime<S extends SimulatedBoard = SimulatedBoard> {
  config: RunConfig;
  board: Board;
  /** The drivers and lines the board runs (the chains take their reset lines from here). */
  parts: BoardParts;
  /** The simulated hardware, when the board is simulated. */
  sim: S | undefined;
  close(): void;
}

export class SimOnlyError extends Error {
  override readonly name = 'SimOnlyError';
}

function simBoardOf<S extends SimulatedBoard>(sim: S | undefined, b: BoardConfig): S {
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

export async function createBoardRuntime<S extends SimulatedBoard = SimulatedBoard>(config: RunConfig, opts: RuntimeOptions<S> = {}): Promise<BoardRuntime<S>> {
  const clock = opts.clock ?? systemClock;
  const b = config.board;
  let sim: S | undefined;
  if (b.sim) {
    if (!opts.simulated) {
      throw new SimOnlyError(
        `${b.name} is a simulated board: the simulators are part of the workshop, which is not installed with the firmware (run it from a development checkout)`,
      );
    }
    sim = opts.simulated(config, {
      clock,
      faults: [...b.sim.faults.map(parseSimFault), ...(opts.simFaults ?? [])],
      ...(opts.simRecordPath ? { recordPath: opts.simRecordPath } : {}),
    });
  } else {
    if (opts.simFaults && opts.simFaults.length > 0) throw new SimOnlyError(`--sim-fault needs a simulated board; ${b.name} has no [sim] section`);
    if (opts.simRecordPath) throw new SimOnlyError(`--sim-record needs a simulated board; ${b.name} has no [sim] section`);
  }
  const simBoard = sim;
  const bus =
    b.i2c.bus === SIM_I2C_BUS ? simBoardOf(simBoard, b).bus : await LinuxI2cBus.open(b.i2c.bus, { clock, timeoutMs: Math.min(500, b.control.step_timeout_ms) });
  const openGpio: GpioOpener = (role, spec, initial) =>
    spec.chip === SIM_GPIO_CHIP ? simBoardOf(simBoard, b).gpioOpener(role, spec, initial) : openSysfsGpio(role, spec, initial);
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
