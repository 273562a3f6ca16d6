/**
 * A simulated board whose chains are silicon-lottery chips ([sim] lottery = true): the chain simulators
 * (each in its own process) learn the rail voltage and the board's temperature from the simulated board,
 * and the simulated board takes the chips' power from the clocks the chain simulators report, so that a
 * PLL write or a rail change shows in the regulator's and the power monitor's readings, and in the heat.
 * Workshop wiring: on a real board none of this exists.
 */
import { familyByName, type FamilyName } from '../../drivers/asic/bm13xx/family.js';
import type { SimBoard } from './sim-board.js';
import { drawChips } from './lottery/silicon-lottery.js';
import { LotteryPerformance } from './lottery/lottery-performance.js';
import type { Clock } from '../../src/clock.js';
import type { ChainRuntime } from '../../src/agent/chain-set.js';

export function linkLottery(o: { sim: SimBoard; chains: ChainRuntime[]; clock: Clock; domains: number }): () => void {
  const links = o.chains.flatMap((c) => {
    const l = c.spec.sim?.lottery;
    if (!l) return [];
    const family = familyByName(c.spec.family);
    const perf = new LotteryPerformance(drawChips({ family: family.name as FamilyName, chips: c.spec.chips, seed: l.seed, chain: l.chain }), l.refMhz);
    return [{ c, perf, resetMhz: family.resetFrequencyMhz }];
  });
  if (links.length === 0) return () => undefined;
  const heldOf = (chain: number): boolean => {
    const i = o.sim.spec.resetLines.findIndex((r) => r.chain === chain);
    return i >= 0 ? (o.sim.resetHeld()[i] ?? true) : false;
  };
  o.sim.chipPowerSource = (volts, tempC) => {
    let w = 0;
    for (const { c, perf, resetMhz } of links) {
      perf.setRail(volts, tempC);
      const clocks = c.sim?.clocks() ?? new Array<number>(c.spec.chips).fill(resetMhz);
      w += perf.powerW(clocks, heldOf(c.spec.index));
    }
    return w;
  };
  let sent = '';
  const timer = o.clock.setInterval(() => {
    const volts = o.sim.outputVolts() / o.domains;
    const t = o.sim.thermal.temperatureC;
    const key = `${volts.toFixed(4)} ${t.toFixed(1)}`;
    if (key === sent) return;
    sent = key;
    for (const { c } of links) c.sim?.setRail(volts, t);
  }, 250);
  return () => {
    o.clock.clearInterval(timer);
    o.sim.chipPowerSource = undefined;
  };
}
