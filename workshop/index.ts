/**
 * The workshop's one entry point: what the command line's composition root (src/cli/workshop.ts) may
 * wire into the firmware. Nothing in src/ or drivers/ imports this tree.
 */
import type { Workshop } from '../src/cli/workshop.js';
import { cpuMining } from './cpu-miner/cpu-miner.js';
import { simulatedParts } from './sim/simulated-parts.js';

export const workshop: Workshop = {
  commands: {
    demo: async () => (await import('./cli/demo.js')).default,
    lab: async () => (await import('./cli/lab.js')).default,
    sim: async () => (await import('./cli/sim.js')).default,
  },
  simulated: simulatedParts,
  cpuMining,
};
