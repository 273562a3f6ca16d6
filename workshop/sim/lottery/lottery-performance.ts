/**
 * Lottery chips behind the frame-level chain simulator (chain-sim.ts): how fast each chip hashes at the
 * clock its PLL register holds, and what share of its nonces are wrong, given the rail voltage and the
 * board's temperature (which the simulated board sends to the chain simulator: workshop/sim/sim-lottery-link.ts).
 *
 * The chain simulator's configured hashrate is what the whole chain hashes with every chip at `refMhz`;
 * a chip's share scales with its clock and shrinks past its edge: of the work it loses, half returns as
 * nonces that do not hash (the simulator makes them wrong), half is missing.
 */
import type { LotteryChip } from './silicon-lottery.js';

export interface ChipPerformance {
  /** Chip `i` at `mhz`: its hashing speed relative to an equal share of the chain's rate, and the share of its nonces that are wrong. */
  at(i: number, mhz: number): { speed: number; wrong: number };
}

const HW_SHARE = 0.5;

export class LotteryPerformance implements ChipPerformance {
  /** Core volts per domain on the rail (0: off). */
  volts: number;
  /** The board sensor's temperature, °C. */
  boardTempC: number;

  constructor(
    readonly chips: LotteryChip[],
    readonly refMhz: number,
    volts = chips[0]?.family.refVolts ?? 1,
    boardTempC = 25,
  ) {
    this.volts = volts;
    this.boardTempC = boardTempC;
  }

  setRail(volts: number, boardTempC: number): void {
    this.volts = volts;
    this.boardTempC = boardTempC;
  }

  at(i: number, mhz: number): { speed: number; wrong: number } {
    const c = this.chips[i];
    if (!c || this.volts <= 0 || mhz <= 0) return { speed: 0, wrong: 0 };
    const bad = c.badFraction(mhz, this.volts, c.tempC(this.boardTempC));
    const returned = 1 - bad + bad * HW_SHARE;
    return { speed: (mhz / this.refMhz) * returned, wrong: returned > 0 ? (bad * HW_SHARE) / returned : 0 };
  }

  /** The chips' power at these clocks (held chips only leak), W. */
  powerW(mhz: readonly number[], held: boolean): number {
    let w = 0;
    this.chips.forEach((c, i) => {
      const t = c.tempC(this.boardTempC);
      w += held ? c.leakageW(this.volts, t) : c.powerW(mhz[i] ?? 0, this.volts, t);
    });
    return w;
  }
}
