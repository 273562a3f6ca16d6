/**
 * The command line's composition root for the workshop (architecture principle 9): the lab servers, the
 * simulators and the CPU miner live in workshop/, which install.sh does not put on a miner. Only the
 * command line loads it, by a path computed at run time (so that the compiler and the product's imports
 * never reach it), for the commands that need it: `demo`, `lab`, `sim`, `probe --cpu-mine`, and `run` on
 * a board-config with simulated parts.
 */
import type { SimulatedParts } from '../board/simulated-parts.js';
import type { CpuMining } from '../mining/cpu-mining.js';
import type { Command } from './command.js';

/** What workshop/index.ts provides. */
export interface Workshop {
  commands: { demo: () => Promise<Command>; lab: () => Promise<Command>; sim: () => Promise<Command> };
  simulated: SimulatedParts;
  cpuMining: CpuMining;
}

export class WorkshopMissingError extends Error {
  override readonly name = 'WorkshopMissingError';
}

/** workshop/index next to src/ (sources) or dist/workshop next to dist/src (compiled). */
const ENTRY = new URL('../../workshop/index.js', import.meta.url).href;

let loaded: Promise<Workshop> | undefined;

/** Loads the workshop, or throws WorkshopMissingError naming `what` needed it. */
export function loadWorkshop(what: string): Promise<Workshop> {
  loaded ??= (import(ENTRY) as Promise<{ workshop: Workshop }>).then((m) => m.workshop);
  return loaded.catch((err: unknown) => {
    loaded = undefined;
    const code = (err as { code?: unknown }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new WorkshopMissingError(
      `${what} needs the workshop (lab servers, simulators, CPU miner), which is not installed with the firmware: run it from a development checkout`,
    );
  });
}
