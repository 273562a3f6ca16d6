/**
 * The silicon lottery: hidden, seeded per-chip parameters that decide how fast each simulated chip can
 * run at a given core voltage and temperature, how its errors rise past that, and how much power it
 * draws. The tuner (src/tuning) never sees any of this: it sees nonces, hardware errors, watts and
 * degrees, as on a real board. The oracle (lottery-oracle.ts) reads it to compute the best setting.
 *
 * Model, per chip i (V = core volts per domain, T = the chip's temperature, f = its clock):
 *
 *   edge_i(V, T) = F_i · ((V − Vt_i) / (Vref − Vt)) ^ α · (1 − kT · (T − Tref))
 *       the highest stable clock: the alpha-power law of gate delay (Sakurai & Newton, IEEE JSSC 25(2),
 *       1990), α = 1.3, with Vt chosen so that d ln f / d ln V = α·Vref/(Vref − Vt) = 2.5 at Vref.
 *   bad_i(f) = Φ((f / edge_i − 1 − 3.09 σd) / σd)
 *       the fraction of the chip's work that is lost: each small core has its own limit, spread σd = 1 %
 *       within the die, and edge_i is where 0.1 % of them fail (3.09 σ). Past the edge it rises steeply:
 *       1.8 % at +1 %, 14 % at +2 %, 50 % at +3 %. Half of the lost work comes back as nonces that do not
 *       hash (hardware errors), half is simply missing.
 *   P_i(f, V, T) = C_i · f · V² + L_i · (V / Vref)³ · 2 ^ ((T − Tref) / 25)
 *       dynamic power plus leakage; leakage is 15 % of the chip's power at the family's default point and
 *       doubles every 25 °C.
 *
 * Spreads, and where the figures come from (see docs/tuning.md, "The simulated silicon"):
 * - F_i: normal, σ = 2.5 % of the family's median, so that the best-to-worst spread of a 110–126-chip
 *   board is about 13 %: "On a typical Antminer hash board with 110+ chips, there can be a 10-15% spread
 *   between the best and worst chips" (D-Central, "Per-chip frequency tuning explained", 2025). Plus a
 *   weak tail: 2 % of chips at 75–90 % of the median, the "half-dead chips" a board carries that cannot
 *   hold the board's frequency (Hiveon ASIC firmware knowledge base, "Autotune").
 * - The medians sit above ESP-Miner's defaults (BM1366 485 MHz at 1.20 V, BM1370 525 MHz at 1.15 V:
 *   bitaxeorg/ESP-Miner main/device_config.h@0831a13eea4a), which are chosen to run on nearly every
 *   chip; Bitaxe Gamma owners report units that need 1.15 V for 525 MHz next to units doing 575 MHz at
 *   1.10 V and 595 MHz at 1.15 V (bitaxeorg/ESP-Miner issue #369), a 10–15 % spread at one voltage.
 * - Power: BM1366 8.5 W at 485 MHz / 1.20 V (19.6 J/TH at the chip; Bitmain's S19 XP, 110 BM1366 per
 *   board, is sold at 21.5 J/TH at the wall), BM1370 15.5 W at 525 MHz / 1.15 V (14.5 J/TH; Bitaxe Gamma
 *   factory power target 19 W for the board, ESP-Miner device_config.h as above). C_i: σ = 3 %; leakage:
 *   log-normal σ = 25 %, correlated (0.5) with speed, as fast silicon leaks more.
 * - Temperature: leakage doubling every 25 °C reproduces the 7 % day/night swing of an Antminer T21's
 *   power at fixed settings (G. Pintos, "Temperature impact on Bitcoin miners", 2024) for a 15–20 °C swing
 *   of the boards; kT = 0.15 %/°C, the chips along the airflow 8 °C apart (inlet to outlet).
 * α, σd, the error split, kT and the gradient are modelling assumptions, not measured figures.
 */
import { familyByName, type FamilyName } from '../../../drivers/asic/bm13xx/family.js';
import { LotteryRandom } from './random.js';

/** A family's population: medians at its reference point and its power at the default setting. */
export interface LotteryFamily {
  family: FamilyName;
  /** Small cores × 1e6: hashes per second per MHz of one chip. */
  hashesPerMhz: number;
  /** Core volts per domain where `edgeMhz` is the median highest stable clock. */
  refVolts: number;
  refTempC: number;
  /** Median highest stable clock at refVolts, refTempC. */
  edgeMhz: number;
  /** The family's default setting (ESP-Miner) and one chip's power there. */
  defaultMhz: number;
  defaultWatts: number;
  /** False where the figures are placeholders rather than public numbers. */
  calibrated: boolean;
}

const ALPHA = 1.3;
/** d ln(edge) / d ln(V) at Vref. */
const SENSITIVITY = 2.5;
const VT_FRACTION = 1 - ALPHA / SENSITIVITY;
const SIGMA_EDGE = 0.025;
const WEAK_SHARE = 0.02;
const SIGMA_DIE = 0.01;
const EDGE_Z = 3.09;
const HW_SHARE = 0.5;
const LEAK_SHARE = 0.15;
const LEAK_DOUBLING_C = 25;
const K_TEMP = 0.0015;
const GRADIENT_C = 8;

const FAMILIES: Record<FamilyName, Omit<LotteryFamily, 'hashesPerMhz'>> = {
  BM1366: { family: 'BM1366', refVolts: 1.2, refTempC: 60, edgeMhz: 540, defaultMhz: 485, defaultWatts: 8.5, calibrated: true },
  BM1370: { family: 'BM1370', refVolts: 1.15, refTempC: 60, edgeMhz: 600, defaultMhz: 525, defaultWatts: 15.5, calibrated: true },
  BM1368: { family: 'BM1368', refVolts: 1.166, refTempC: 60, edgeMhz: 545, defaultMhz: 490, defaultWatts: 11, calibrated: false },
  BM1397: { family: 'BM1397', refVolts: 1.4, refTempC: 60, edgeMhz: 475, defaultMhz: 425, defaultWatts: 11, calibrated: false },
  BM1362: { family: 'BM1362', refVolts: 1.2, refTempC: 60, edgeMhz: 600, defaultMhz: 525, defaultWatts: 9, calibrated: false },
};

export function lotteryFamily(name: FamilyName): LotteryFamily {
  const f = familyByName(name);
  return { ...FAMILIES[f.name], hashesPerMhz: f.smallCores * 1e6 };
}

/** One chip's hidden parameters. */
export interface LotteryChipParams {
  index: number;
  /** Highest stable clock at Vref, Tref, MHz. */
  edgeMhz: number;
  /** Threshold-like voltage of the alpha-power law, V. */
  vt: number;
  /** Dynamic power coefficient, W / (MHz · V²). */
  c: number;
  /** Leakage at Vref, Tref, W. */
  leakW: number;
  /** Where the chip sits in the airflow: °C above the board's sensor. */
  tempOffsetC: number;
  weak: boolean;
}

/** The standard normal CDF (Abramowitz & Stegun 7.1.26 for erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

export class LotteryChip {
  constructor(
    readonly family: LotteryFamily,
    readonly p: LotteryChipParams,
  ) {}

  /** The chip's temperature when the board's sensor reads `boardC`. */
  tempC(boardC: number): number {
    return boardC + this.p.tempOffsetC;
  }

  /** Highest stable clock, MHz, at core volts `v` and chip temperature `t`. */
  edgeMhz(v: number, t: number): number {
    const fam = this.family;
    const span = fam.refVolts * (1 - VT_FRACTION);
    const head = Math.max(0, v - this.p.vt) / span;
    return this.p.edgeMhz * head ** ALPHA * Math.max(0.1, 1 - K_TEMP * (t - fam.refTempC));
  }

  /** Fraction of the chip's work lost at clock `f` (missing nonces and hardware errors together). */
  badFraction(f: number, v: number, t: number): number {
    const e = this.edgeMhz(v, t);
    if (e <= 0) return 1;
    return normalCdf((f / e - 1 - EDGE_Z * SIGMA_DIE) / SIGMA_DIE);
  }

  /** Hashes per second that end in valid nonces. */
  goodHashrate(f: number, v: number, t: number): number {
    return f * this.family.hashesPerMhz * (1 - this.badFraction(f, v, t));
  }

  /** Valid nonces and hardware errors per second at ticket difficulty `d`. */
  nonceRates(f: number, v: number, t: number, d: number): { valid: number; hw: number } {
    const all = (f * this.family.hashesPerMhz) / (2 ** 32 * d);
    const bad = this.badFraction(f, v, t);
    return { valid: all * (1 - bad), hw: all * bad * HW_SHARE };
  }

  leakageW(v: number, t: number): number {
    if (v <= 0) return 0;
    return this.p.leakW * (v / this.family.refVolts) ** 3 * 2 ** ((t - this.family.refTempC) / LEAK_DOUBLING_C);
  }

  /** Power at clock `f` (0 for a chip held in reset: its clock is stopped, it only leaks), W. */
  powerW(f: number, v: number, t: number): number {
    if (v <= 0) return 0;
    return this.p.c * f * v * v + this.leakageW(v, t);
  }
}

export interface DrawOptions {
  family: FamilyName;
  chips: number;
  seed: number;
  /** Chain index, folded into the seed so that chains of one board differ. */
  chain?: number;
}

/** A chain's chips, drawn from the seed (the same seed always gives the same chips). */
export function drawChips(o: DrawOptions): LotteryChip[] {
  const fam = lotteryFamily(o.family);
  const rnd = new LotteryRandom(((o.seed >>> 0) * 2654435761 + (o.chain ?? 0) * 40503 + 0x5eed) >>> 0);
  const vt = fam.refVolts * VT_FRACTION;
  const leak0 = LEAK_SHARE * fam.defaultWatts;
  const c0 = (fam.defaultWatts - leak0) / (fam.defaultMhz * fam.refVolts * fam.refVolts);
  const out: LotteryChip[] = [];
  for (let i = 0; i < o.chips; i++) {
    const z = rnd.normal();
    const weak = rnd.uniform() < WEAK_SHARE;
    const tail = weak ? rnd.between(0.75, 0.9) : 1;
    const edge = fam.edgeMhz * (1 + SIGMA_EDGE * z) * tail;
    const chipVt = vt * (1 + 0.02 * rnd.normal());
    const c = c0 * (1 + 0.03 * rnd.normal());
    const leak = leak0 * Math.exp(0.25 * (0.5 * z + 0.866 * rnd.normal()));
    const pos = o.chips > 1 ? i / (o.chips - 1) : 0.5;
    out.push(new LotteryChip(fam, { index: i, edgeMhz: edge, vt: chipVt, c, leakW: leak, tempOffsetC: GRADIENT_C * (pos - 0.5), weak }));
  }
  return out;
}

/** Summary of a population, for docs and tests: median and spread of the edges at the reference point. */
export function populationSummary(chips: LotteryChip[]): { medianEdgeMhz: number; minEdgeMhz: number; maxEdgeMhz: number; spreadPct: number; weak: number } {
  const e = chips.map((c) => c.p.edgeMhz).sort((a, b) => a - b);
  const min = e[0] ?? 0;
  const max = e[e.length - 1] ?? 0;
  return {
    medianEdgeMhz: e[Math.floor(e.length / 2)] ?? 0,
    minEdgeMhz: min,
    maxEdgeMhz: max,
    spreadPct: min > 0 ? ((max - min) / max) * 100 : 0,
    weak: chips.filter((c) => c.p.weak).length,
  };
}
