/**
 * Which rail voltage to run, predicted from a round in which the chips reached their edges: at each
 * voltage of the grid the chips' clocks are that round's clocks moved by the edges' exponent (the board's
 * top clock for chips capped there), the power follows the fitted model, and the hashrate the clocks. A
 * power cap then trims the clocks (the static power does not trim). The plan picks, for a power cap, the
 * voltage with the most hashrate; for a hashrate target, the least power that still reaches it.
 *
 * Why a higher voltage can win under a cap: dynamic power goes as f·V², so the same watts buy the most
 * clocks at the lowest voltage whose edges can still spend them; one grid step above that, the trimmed
 * clocks may still add up to more than the untrimmed ones below. The grid decides, not a rule of thumb.
 */
import type { PowerModel, RoundRecord } from './power-model.js';
import type { TunerLimits } from './tuner-ports.js';

export interface PlanTarget {
  /** Power cap, W (power mode, or performance scaling in any mode). */
  capW?: number;
  /** Power mode: the power must come within this fraction of the cap where any voltage allows it. */
  reach?: number;
  /** Hashrate to reach, H/s (hashrate mode). */
  hs?: number;
}

export interface Prediction {
  volts: number;
  /** At the chips' edges. */
  fullW: number;
  fullHs: number;
  /** After trimming to the cap (or to the hashrate target). */
  watts: number;
  hs: number;
  trimmed: boolean;
}

export interface PlanInput {
  model: PowerModel;
  ref: RoundRecord;
  /** Per chip (same order as the round's clocks), hashes per second per MHz. */
  hpm: number[];
  limits: TunerLimits;
  step: number;
}

export function grid(limits: Pick<TunerLimits, 'minVolts' | 'maxVolts'>, step: number): number[] {
  const out: number[] = [];
  const first = Math.ceil(limits.minVolts / step - 1e-9) * step;
  if (first - limits.minVolts > 1e-9) out.push(limits.minVolts);
  for (let v = first; v <= limits.maxVolts + 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

export function predict(inp: PlanInput, volts: number, t: PlanTarget): Prediction {
  const { ref, model, limits } = inp;
  const r = (volts / ref.volts) ** model.exponent();
  let sum = 0;
  let hs = 0;
  ref.clocks.forEach((c, i) => {
    const kind = ref.kinds[i];
    let f: number;
    if (kind === 'failed') f = c;
    else if (kind === 'capped' && r >= 1) f = limits.maxMhz;
    else f = Math.min(limits.maxMhz, Math.max(limits.minMhz, c * r));
    sum += f;
    if (kind !== 'failed') hs += f * (inp.hpm[i] ?? 0);
  });
  // The model gives the shape; the reference round's own reading anchors it.
  const anchor = ref.watts / Math.max(1e-9, model.watts(ref.volts, ref.sumMhz));
  const fullW = model.watts(volts, sum) * anchor;
  const staticW = model.staticWatts(volts) * anchor;
  let k = 1;
  if (t.capW !== undefined && fullW > t.capW) k = Math.max(0, (t.capW - staticW) / Math.max(1e-9, fullW - staticW));
  if (t.hs !== undefined && hs * k > t.hs) k = t.hs / hs;
  return { volts, fullW, fullHs: hs, watts: staticW + (fullW - staticW) * k, hs: hs * k, trimmed: k < 1 };
}

/** The voltage to run for the target, and what it should give there. */
export function bestVolts(inp: PlanInput, t: PlanTarget): Prediction {
  const ps = grid(inp.limits, inp.step).map((v) => predict(inp, v, t));
  let best = ps[0] as Prediction;
  if (t.hs !== undefined) {
    // The least power reaching the hashrate; failing that, the most hashrate.
    const ok = ps.filter((p) => p.hs >= (t.hs as number) * (1 - 1e-9));
    if (ok.length > 0) {
      best = ok[0] as Prediction;
      for (const p of ok) if (p.watts < best.watts * (1 - 1e-6)) best = p;
      return best;
    }
  }
  // A power target is a target: among the voltages that draw it (within `reach`), the most hashrate.
  const reach = t.capW !== undefined && t.reach !== undefined ? ps.filter((p) => p.watts >= (t.capW as number) * (1 - (t.reach as number))) : [];
  const pool = reach.length > 0 ? reach : ps;
  best = pool[0] as Prediction;
  for (const p of pool) if (p.hs > best.hs * (1 + 1e-6)) best = p;
  return best;
}
