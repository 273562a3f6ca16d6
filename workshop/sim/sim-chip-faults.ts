/**
 * `--sim-fault chip-dead[:N]@S` on a simulated board: chip N, counted over all chains in order, dies S
 * seconds after start. The chain simulators run in their own processes, so the fault travels as their
 * own fault syntax (`die=CHIP@MS`, workshop/sim/bm13xx/faults.ts), added to the chain's other faults.
 */
import type { SimFault } from './sim-faults.js';
import type { ChainSpec } from '../../src/agent/chain-set.js';

export function withChipFaults(specs: ChainSpec[], faults: readonly SimFault[]): ChainSpec[] {
  const dead = faults.filter((f) => f.name === 'chip-dead');
  if (dead.length === 0) return specs;
  const total = specs.reduce((n, s) => n + s.chips, 0);
  for (const f of dead) if ((f.target ?? 0) >= total) throw new RangeError(`--sim-fault chip-dead:${f.target}: the board has ${total} chips (0..${total - 1})`);
  return specs.map((spec, i) => {
    if (!spec.sim) return spec;
    const first = specs.slice(0, i).reduce((n, s) => n + s.chips, 0);
    const mine = dead.filter((f) => (f.target ?? 0) >= first && (f.target ?? 0) < first + spec.chips).map((f) => `die=${(f.target ?? 0) - first}@${Math.round(f.atS * 1000)}`);
    if (mine.length === 0) return spec;
    return { ...spec, sim: { ...spec.sim, faults: [spec.sim.faults, ...mine].filter(Boolean).join(',') } };
  });
}
