/**
 * A simulated board whose chains are silicon-lottery chips ([sim] lottery = true): the chain simulators
 * (each in its own process) learn the rail voltage and the board's temperature from the simulated board,
 * and the simulated board takes the chips' power from the clocks the chain simulators report, so that a
 * PLL write or a rail change shows in the regulator's and the power monitor's readings, and in the heat.
 * Workshop wiring: on a real board none of this exists.
 */
import { familyByName, type FamilyName } from '../../drivers/asic/bm13xx/family.js';
import type { SimBoard } from './sim-board.js';
import type { SimChainProcess } from './sim-chain-process.js';
import { drawChips } from './lottery/silicon-lottery.js';
import { LotteryPerformance } from './lottery/lottery-performance.js';
import type { Clock } from '../../src/clock.js';
import type { RunConfig } from '../../src/config/run-config.js';

/** `process(index)`: the simulator process chain `index` has now (a dead one is replaced). */
export function linkLottery(o: { sim: SimBoard; config: RunConfig; process: (index: number) => SimChainProcess | undefined; clock: Clock }): () => void {
  const b = o.config.board;
  const s = b.sim;
  const family = familyByName(b.asic.family);
  const domains = b.asic.voltage_domains;
  const links = b.chain.flatMap((chain, index) => {
    if (!s?.lottery || !chain.uart.startsWith('sim:')) return [];
    // The same chips the chain simulator draws (simulatedChain gives it this seed and index).
    const perf = new LotteryPerformance(
      drawChips({ family: family.name as FamilyName, chips: b.asic.chips, seed: s.lottery_seed ?? s.seed, chain: index }),
      b.asic.frequency_mhz,
    );
    return [{ index, perf, resetMhz: family.resetFrequencyMhz }];
  });
  if (links.length === 0) return () => undefined;
  const heldOf = (chain: number): boolean => {
    const i = o.sim.spec.resetLines.findIndex((r) => r.chain === chain);
    return i >= 0 ? (o.sim.resetHeld()[i] ?? true) : false;
  };
  o.sim.chipPowerSource = (volts, tempC) => {
    let w = 0;
    for (const { index, perf, resetMhz } of links) {
      perf.setRail(volts, tempC);
      const clocks = o.process(index)?.clocks() ?? new Array<number>(b.asic.chips).fill(resetMhz);
      w += perf.powerW(clocks, heldOf(index));
    }
    return w;
  };
  let sent = '';
  const timer = o.clock.setInterval(() => {
    const volts = o.sim.outputVolts() / domains;
    const t = o.sim.thermal.temperatureC;
    const key = `${volts.toFixed(4)} ${t.toFixed(1)}`;
    if (key === sent) return;
    sent = key;
    for (const { index } of links) o.process(index)?.setRail(volts, t);
  }, 250);
  return () => {
    o.clock.clearInterval(timer);
    o.sim.chipPowerSource = undefined;
  };
}
