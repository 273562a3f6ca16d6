/**
 * Clocks and voltages the tuner may ask for: inside the board-config's limits, and for clocks, what the
 * PLL actually produces (the solver may land a little above or below a request), so that the clock
 * written is itself inside the limits, not only the one asked for.
 */
import type { TunerLimits } from './tuner-ports.js';

/** The request closest to `mhz` whose PLL clock lies in [min, max]; returns the clock it reaches. */
export function clockWithin(mhz: number, limits: Pick<TunerLimits, 'minMhz' | 'maxMhz'>, reachable: (mhz: number) => number): number {
  let want = Math.min(limits.maxMhz, Math.max(limits.minMhz, mhz));
  for (let i = 0; i < 64; i++) {
    const got = reachable(want);
    if (got > limits.maxMhz + 1e-9) want -= 0.25;
    else if (got < limits.minMhz - 1e-9) want += 0.25;
    else return got;
  }
  throw new RangeError(`no PLL setting between ${limits.minMhz} and ${limits.maxMhz} MHz near ${mhz} MHz`);
}

/** The rail voltage on the tuner's grid nearest `volts`, inside the limits. */
export function voltsWithin(volts: number, limits: Pick<TunerLimits, 'minVolts' | 'maxVolts'>, step: number): number {
  const snapped = Math.round(volts / step) * step;
  const v = Math.min(limits.maxVolts, Math.max(limits.minVolts, snapped));
  return Math.round(v * 1e6) / 1e6;
}
