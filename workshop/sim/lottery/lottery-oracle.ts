/**
 * The oracle: with the lottery's hidden parameters in hand, the best setting a tuner could reach on the
 * same board, under the same limits and at the same temperatures — per-chip clocks (only frequencies the
 * PLL can produce, ESP-Miner's solver) and one rail voltage for the whole chain (chips share the rail).
 *
 * - For a power budget: the most valid-nonce hashrate whose power stays within the budget. At one rail
 *   voltage this is a concave resource allocation: for a price λ (hashes per watt given up) each chip
 *   takes the clock that maximises goodHashrate − λ·power, and λ is bisected until the budget is met.
 *   The rail voltage is searched on a 5 mV grid, then refined at 1 mV around the best.
 * - For efficiency: the lowest watts per hash (Dinkelbach's iteration at each voltage: each chip
 *   minimises power − ρ·goodHashrate, ρ ← power / hashrate until it settles).
 *
 * Power here is what the tuner regulates on the same board (the chips' power, as the regulator's
 * VOUT × IOUT reads it, unless `measuredW` says otherwise).
 */
import { solvePll, type PllSpec } from '../../../drivers/asic/bm13xx/pll.js';
import type { LotteryChip } from './silicon-lottery.js';

export interface OracleBoard {
  chips: LotteryChip[];
  /** The board sensor's temperature (each chip adds its own offset). */
  boardTempC: number;
  minMhz: number;
  maxMhz: number;
  minVolts: number;
  maxVolts: number;
  pll: PllSpec;
  /** What the board's power reading shows for the chips' total power (default: the same watts). */
  measuredW?: (chipWatts: number) => number;
}

export interface OracleSetting {
  volts: number;
  /** Per chip, MHz. */
  mhz: number[];
  /** Valid-nonce hashrate, H/s. */
  hashrate: number;
  /** As the board reads it, W. */
  watts: number;
  /** Joules per terahash at that reading. */
  jPerTh: number;
}

/** The clocks the PLL can produce within [min, max] (every 0.25 MHz target solved, duplicates dropped). */
export function pllGrid(minMhz: number, maxMhz: number, pll: PllSpec): number[] {
  const seen = new Set<number>();
  for (let t = minMhz; t <= maxMhz + 1e-9; t += 0.25) {
    const f = solvePll(t, pll).frequencyMhz;
    if (f >= minMhz - 1e-9 && f <= maxMhz + 1e-9) seen.add(Math.round(f * 1e6) / 1e6);
  }
  return [...seen].sort((a, b) => a - b);
}

interface ChipAt {
  chip: LotteryChip;
  t: number;
  /** Candidate clocks near the chip's edge, with their good hashrate and power. */
  f: Float64Array;
  h: Float64Array;
  p: Float64Array;
  /** The lowest clock (always allowed), with its numbers. */
  h0: number;
  p0: number;
  f0: number;
}

/** Each chip's candidates at one voltage: the minimum clock, and the grid from 85 % to 106 % of its edge. */
function candidates(b: OracleBoard, grid: number[], v: number): ChipAt[] {
  return b.chips.map((chip) => {
    const t = chip.tempC(b.boardTempC);
    const e = chip.edgeMhz(v, t);
    const lo = e * 0.85;
    const hi = e * 1.06;
    const fs = grid.filter((f) => f >= lo && f <= hi);
    const f0 = grid[0] as number;
    return {
      chip,
      t,
      f: Float64Array.from(fs),
      h: Float64Array.from(fs.map((f) => chip.goodHashrate(f, v, t))),
      p: Float64Array.from(fs.map((f) => chip.powerW(f, v, t))),
      f0,
      h0: chip.goodHashrate(f0, v, t),
      p0: chip.powerW(f0, v, t),
    };
  });
}

/** For a price λ: each chip's best clock; returns the totals and the choice. */
function allocate(cs: ChipAt[], lambda: number): { h: number; p: number; pick: number[] } {
  let h = 0;
  let p = 0;
  const pick: number[] = [];
  for (const c of cs) {
    let best = c.h0 - lambda * c.p0;
    let bi = -1;
    for (let k = 0; k < c.f.length; k++) {
      const val = (c.h[k] as number) - lambda * (c.p[k] as number);
      if (val > best) {
        best = val;
        bi = k;
      }
    }
    pick.push(bi);
    h += bi < 0 ? c.h0 : (c.h[bi] as number);
    p += bi < 0 ? c.p0 : (c.p[bi] as number);
  }
  return { h, p, pick };
}

function settingOf(b: OracleBoard, cs: ChipAt[], v: number, pick: number[]): OracleSetting {
  const mhz = cs.map((c, i) => ((pick[i] as number) < 0 ? c.f0 : (c.f[pick[i] as number] as number)));
  const hashrate = cs.reduce((s, c, i) => s + c.chip.goodHashrate(mhz[i] as number, v, c.t), 0);
  const chipW = cs.reduce((s, c, i) => s + c.chip.powerW(mhz[i] as number, v, c.t), 0);
  const watts = b.measuredW ? b.measuredW(chipW) : chipW;
  return { volts: v, mhz, hashrate, watts, jPerTh: hashrate > 0 ? watts / (hashrate / 1e12) : Infinity };
}

/** Best setting at voltage v for a budget of `budgetW` (as measured), or undefined when even the minimum clocks exceed it. */
function bestAtVolts(b: OracleBoard, grid: number[], v: number, budgetW: number): OracleSetting | undefined {
  const cs = candidates(b, grid, v);
  const measured = (chipW: number): number => (b.measuredW ? b.measuredW(chipW) : chipW);
  const free = allocate(cs, 0);
  if (measured(free.p) <= budgetW) return settingOf(b, cs, v, free.pick);
  let lo = 0;
  let hi = 1;
  while (measured(allocate(cs, hi).p) > budgetW) {
    hi *= 4;
    if (hi > 1e30) return undefined;
  }
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (measured(allocate(cs, mid).p) > budgetW) lo = mid;
    else hi = mid;
  }
  const a = allocate(cs, hi);
  // Spend what the price left over: raise single chips one candidate at a time, best hashes per watt first.
  const pick = a.pick.slice();
  let p = a.p;
  for (;;) {
    let bestGain = 0;
    let bestChip = -1;
    let bestDp = 0;
    cs.forEach((c, i) => {
      const k = pick[i] as number;
      const nk = k + 1;
      if (nk >= c.f.length) return;
      const dh = (c.h[nk] as number) - (k < 0 ? c.h0 : (c.h[k] as number));
      const dp = (c.p[nk] as number) - (k < 0 ? c.p0 : (c.p[k] as number));
      if (dh <= 0 || measured(p + dp) > budgetW) return;
      const gain = dp > 0 ? dh / dp : Infinity;
      if (gain > bestGain) {
        bestGain = gain;
        bestChip = i;
        bestDp = dp;
      }
    });
    if (bestChip < 0) break;
    pick[bestChip] = (pick[bestChip] as number) + 1;
    p += bestDp;
  }
  return settingOf(b, cs, v, pick);
}

function voltageGrid(min: number, max: number, step: number): number[] {
  const out: number[] = [];
  for (let v = min; v <= max + 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

/** Searches a 5 mV grid, then 1 mV around the best. */
function searchVolts(b: OracleBoard, score: (v: number) => OracleSetting | undefined, better: (a: OracleSetting, c: OracleSetting) => boolean): OracleSetting {
  let best: OracleSetting | undefined;
  const consider = (v: number): void => {
    const s = score(v);
    if (s && (!best || better(s, best))) best = s;
  };
  for (const v of voltageGrid(b.minVolts, b.maxVolts, 0.005)) consider(v);
  if (!best) throw new Error('oracle: no setting fits the budget');
  const centre: number = best.volts;
  for (const v of voltageGrid(Math.max(b.minVolts, centre - 0.005), Math.min(b.maxVolts, centre + 0.005), 0.001)) consider(v);
  return best as OracleSetting;
}

/** The most hashrate within `budgetW`. */
export function oracleForPower(b: OracleBoard, budgetW: number): OracleSetting {
  const grid = pllGrid(b.minMhz, b.maxMhz, b.pll);
  return searchVolts(
    b,
    (v) => bestAtVolts(b, grid, v, budgetW),
    (a, c) => a.hashrate > c.hashrate,
  );
}

/** The lowest joules per terahash anywhere within the limits. */
export function oracleForEfficiency(b: OracleBoard): OracleSetting {
  const grid = pllGrid(b.minMhz, b.maxMhz, b.pll);
  const measured = (chipW: number): number => (b.measuredW ? b.measuredW(chipW) : chipW);
  return searchVolts(
    b,
    (v) => {
      const cs = candidates(b, grid, v);
      let rho = 0;
      let pick = allocate(cs, 0).pick;
      for (let it = 0; it < 30; it++) {
        const s = settingOf(b, cs, v, pick);
        const next = s.watts / s.hashrate;
        if (Math.abs(next - rho) < 1e-18) break;
        rho = next;
        // Minimising power − ρ·hashrate is maximising hashrate − (slope/ρ)·chip power (slope: the reading's watts per chip watt).
        const slope = measured(1) - measured(0);
        pick = allocate(cs, slope / rho).pick;
      }
      return settingOf(b, cs, v, pick);
    },
    (a, c) => a.jPerTh < c.jPerTh,
  );
}

/** The most hashrate within `budgetW` with the rail held at `volts` (to tell a tuner's voltage from its clocks). */
export function oracleAtVolts(b: OracleBoard, volts: number, budgetW: number): OracleSetting | undefined {
  return bestAtVolts(b, pllGrid(b.minMhz, b.maxMhz, b.pll), volts, budgetW);
}

/** The hashrate, power and efficiency of a given setting (what the tuner reached), on the oracle's terms. */
export function evaluateSetting(b: OracleBoard, volts: number, mhz: readonly number[]): OracleSetting {
  let hashrate = 0;
  let chipW = 0;
  b.chips.forEach((c, i) => {
    const t = c.tempC(b.boardTempC);
    const f = mhz[i] as number;
    hashrate += c.goodHashrate(f, volts, t);
    chipW += c.powerW(f, volts, t);
  });
  const watts = b.measuredW ? b.measuredW(chipW) : chipW;
  return { volts, mhz: mhz.slice(), hashrate, watts, jPerTh: hashrate > 0 ? watts / (hashrate / 1e12) : Infinity };
}
