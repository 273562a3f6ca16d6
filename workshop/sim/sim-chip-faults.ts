/**
 * `--sim-fault chip-dead[:N]@S` on a simulated board: chip N, counted over all chains in order, dies S
 * seconds after start. The chain simulators run in their own processes, so the fault travels as their
 * own fault syntax (`die=CHIP@MS`, workshop/sim/bm13xx/faults.ts), added to the chain's other faults.
 */
import type { SimFault } from '../../src/config/sim-faults.js';

/**
 * The chain simulator faults (`die=CHIP@MS`) of chain `index` on a board of `chains` chains of `chips`
 * chips each, from the `chip-dead` faults given for the whole board.
 */
export function chipFaultsOf(chains: number, chips: number, index: number, faults: readonly SimFault[]): string[] {
  const dead = faults.filter((f) => f.name === 'chip-dead');
  const total = chains * chips;
  for (const f of dead) if ((f.target ?? 0) >= total) throw new RangeError(`--sim-fault chip-dead:${f.target}: the board has ${total} chips (0..${total - 1})`);
  const first = index * chips;
  return dead
    .filter((f) => (f.target ?? 0) >= first && (f.target ?? 0) < first + chips)
    .map((f) => `die=${(f.target ?? 0) - first}@${Math.round(f.atS * 1000)}`);
}
