/**
 * Stands in for the chains on a simulated board until the agent attaches real chain drivers: a
 * MiningControl whose "frequency" is the simulated chips' clock, so a hot board that asks for a lower
 * frequency really does draw less power in the simulation.
 */
import type { SimBoard } from './sim-board.js';
import { logger } from '../../src/log.js';
import type { MiningControl } from '../../src/board/board.js';

export function simulatedLoad(
  sim: SimBoard,
  nominalMhz: number,
  startMhz: number,
  stepMhz: number,
  minMhz: number,
): MiningControl & { frequencyMhz(): number } {
  const log = logger('sim.load');
  let mhz = startMhz;
  return {
    frequencyMhz: () => mhz,
    async start() {
      // The clock stays where a hot step-down left it, as the chains' does (ChainSet).
      sim.frequencyScale = mhz / nominalMhz;
      log.info({ frequencyMhz: mhz }, 'simulated chains hashing');
    },
    stopHashing(reason) {
      log.info({ reason }, 'simulated chains stopped');
    },
    reduceFrequency() {
      const next = Math.max(minMhz, mhz - stepMhz);
      if (next !== mhz) log.warn({ from: mhz, to: next }, 'simulated chains: frequency reduced');
      mhz = next;
      sim.frequencyScale = mhz / nominalMhz;
    },
  };
}
