/**
 * What a simulated board plugs into the firmware (architecture principle 9: product and workshop apart).
 * The product defines the shape; the simulators (workshop/sim) fill it, and only the command line's
 * composition root (src/cli/workshop.ts) hands them over. A simulated board is just another board behind
 * the same interfaces: its peripherals are an I2cBus and GpioLines, and each simulated chain is a device
 * the real serialport binding opens (a pseudo-terminal with a chain simulator behind it).
 */
import type { GpioOpener } from '../../drivers/transport/gpio-line.js';
import type { I2cBus } from '../../drivers/transport/i2c-bus.js';
import type { Clock } from '../clock.js';
import type { RunConfig } from '../config/run-config.js';
import type { SimFault } from '../config/sim-faults.js';
import type { Logger } from '../log.js';
import type { MiningControl } from './board.js';

/** A board's simulated peripherals: its I2C bus and GPIO lines, plus the simulated heat and power. */
export interface SimulatedBoard {
  readonly bus: I2cBus;
  readonly gpioOpener: GpioOpener;
  /** Faults injected so far (for the start-up record and logs). */
  readonly injected: string[];
  /**
   * Stands in for the chips' power draw and heat while the chains hash: its clock follows the board's
   * frequency steps, so a hot board that steps down really draws less in the simulation.
   */
  miningLoad(o: { nominalMhz: number; startMhz: number; stepMhz: number; minMhz: number }): MiningControl;
  /** Routes the board's reset line of chain `index` to `apply` (a simulated chain's chips hear it). */
  wireChainReset(index: number, apply: (held: boolean) => Promise<void> | void): Promise<unknown>;
  close(): void;
}

/** Builds the simulated peripherals of a board-config with a [sim] section. */
export type SimulatedBoardFactory<S extends SimulatedBoard = SimulatedBoard> = (
  config: RunConfig,
  o: { clock: Clock; faults: SimFault[]; recordPath?: string },
) => S;

/** A simulated chain's UART: a device path the real serialport binding opens, a simulator behind it. */
export interface ChainDevice {
  readonly path: string;
  /** Difficulty the simulated chips return nonces at (a CPU cannot reach the register's). */
  readonly ticketDifficulty: number;
  /** H/s the simulator really hashes: the chain's nominal hashrate. */
  readonly hashrate: number;
  /** True once the simulator has ended: its device path may already belong to another terminal. */
  readonly exited: boolean;
  /** Drives the simulated chips' reset line; resolves once applied. */
  setReset(held: boolean): Promise<void>;
  /** Hashes the simulator has really done, as last reported. */
  hashesDone(): number;
  stop(): Promise<void>;
}

/** Starts the simulator of chain `index` (a `sim:` uart) of the config's board. */
export type ChainDeviceFactory = (config: RunConfig, index: number, faults: readonly SimFault[], log: Logger) => Promise<ChainDevice>;

/**
 * Couples a simulated board to its simulated chains where the simulation needs it (silicon-lottery chips
 * hear the rail and the heat, the board takes their power from their clocks); returns the unlink.
 * `device(index)` is chain `index`'s device as it is now (a dead simulator is replaced).
 */
export type SimulatedLink = (o: { config: RunConfig; board: SimulatedBoard; device: (index: number) => ChainDevice | undefined; clock: Clock }) => () => void;

/** Everything a simulated board needs from the workshop. */
export interface SimulatedParts {
  board: SimulatedBoardFactory;
  chain: ChainDeviceFactory;
  link?: SimulatedLink;
}
