/**
 * Register 0x08, PLL0 parameter, and the frequency solver (docs/bm13xx.md "Values and their sources").
 *
 * Layout, LSB first: POSTDIV2 [2:0], POSTDIV1 [6:4], REFDIV [13:8], FBDIV [27:16] (8 bits used),
 * bit 28 = VCO-high flag, bit 30 = PLLEN, bit 31 = LOCKED (read only).
 * f = 25 MHz · FBDIV / (REFDIV · P1 · P2), VCO = 25 MHz · FBDIV / REFDIV.
 *
 * BM1366/68/70 store P - 1 in the post-divider fields and set the VCO-high flag (0x50 instead of 0x40 in
 * the top byte) when the VCO is at or above 2400 MHz. For BM1397 ESP-Miner writes P1, P2 raw and always
 * 0x40, while bm13xx-rs decodes BM1397 with -1 too: each family names its choice (PllSpec.postDivMinusOne).
 *
 * The solver makes ESP-Miner's choice for every target, byte for byte (components/asic/pll.c
 * pll_get_parameters @5c27713116c7): refdiv 2 then 1, P1 7..1, P2 7..1 with P1 > P2 strictly, FBDIV =
 * round(target / 25 · refdiv · P1 · P2) inside the family's range, no VCO limit; a candidate wins when its
 * frequency error is smaller, or (within 0.0001) its VCO is lower, or (both within 0.0001) P1·P2 is lower.
 * ESP-Miner keeps the frequency, the error and the VCO in single-precision floats; the comparisons here
 * round to single precision at the same places, so near-ties fall the same way. A table generated from
 * that file for every 6.25 MHz step checks it (test/unit/drivers/asic/bm13xx/esp-miner-pll.test.ts).
 */
import { Bm13xxConfigError } from './errors.js';

/** Reference clock on CLKI (the 25 MHz crystal every board supplies, docs/bm13xx.md "Registers"). */
export const CLKI_MHZ = 25;

export interface PllSpec {
  /** FBDIV range of ESP-Miner's pll_get_parameters call for the family. */
  fbMin: number;
  fbMax: number;
  /** Post dividers stored as P - 1 (BM1366+) or raw (ESP-Miner's BM1397). */
  postDivMinusOne: boolean;
  /** Set bit 28 when VCO >= this (MHz); undefined = never. */
  vcoHighFlagAtMhz: number | undefined;
}

export interface PllSetting {
  fbDiv: number;
  refDiv: number;
  postDiv1: number;
  postDiv2: number;
  /** Resulting frequency, MHz. */
  frequencyMhz: number;
  vcoMhz: number;
}

const EPS = 1e-4;
const f32 = Math.fround;
/** ESP-Miner's EPSILON, a float literal (0.0001f). */
const EPS_F32 = f32(1e-4);
const FLT_MAX = 3.4028234663852886e38;

/** Picks the dividers for `targetMhz` as ESP-Miner does. Throws Bm13xxConfigError when nothing fits. */
export function solvePll(targetMhz: number, spec: PllSpec): PllSetting {
  if (!(targetMhz > 0) || !Number.isFinite(targetMhz)) throw new Bm13xxConfigError(`frequency must be positive, got ${targetMhz}`);
  const target = f32(targetMhz);
  let best: PllSetting | undefined;
  let minDiff = FLT_MAX;
  let minVco = FLT_MAX;
  let minPost = 0xffff;
  for (let refDiv = 2; refDiv >= 1; refDiv--) {
    for (let p1 = 7; p1 >= 1; p1--) {
      for (let p2 = 7; p2 >= 1; p2--) {
        const div = refDiv * p1 * p2;
        // round() in double on the float target; positive, so Math.round rounds halves the same way.
        const fb = Math.round((target / CLKI_MHZ) * div);
        if (!(p1 > p2 && fb >= spec.fbMin && fb <= spec.fbMax)) continue;
        const f = f32((CLKI_MHZ * fb) / div);
        const diff = f32(Math.abs(f32(target - f)));
        const vco = f32((CLKI_MHZ * fb) / refDiv);
        const tie = Math.abs(f32(diff - minDiff)) < EPS_F32;
        if (diff < minDiff || (tie && vco < minVco) || (tie && Math.abs(f32(vco - minVco)) < EPS_F32 && p1 * p2 < minPost)) {
          minDiff = diff;
          minVco = vco;
          minPost = p1 * p2;
          best = { fbDiv: fb, refDiv, postDiv1: p1, postDiv2: p2, frequencyMhz: (CLKI_MHZ * fb) / div, vcoMhz: (CLKI_MHZ * fb) / refDiv };
        }
      }
    }
  }
  if (!best) throw new Bm13xxConfigError(`no PLL setting reaches ${targetMhz} MHz within FBDIV ${spec.fbMin}..${spec.fbMax}`);
  return best;
}

const PLL_ENABLE = 0x40000000;
const PLL_VCO_HIGH = 0x10000000;

/** Register 0x08 value for a setting. */
export function pllRegister(s: PllSetting, spec: PllSpec): number {
  const k = spec.postDivMinusOne ? 1 : 0;
  const high = spec.vcoHighFlagAtMhz !== undefined && s.vcoMhz >= spec.vcoHighFlagAtMhz ? PLL_VCO_HIGH : 0;
  return (PLL_ENABLE | high | ((s.fbDiv & 0xfff) << 16) | ((s.refDiv & 0x3f) << 8) | (((s.postDiv1 - k) & 7) << 4) | ((s.postDiv2 - k) & 7)) >>> 0;
}

/** Decodes a PLL parameter register (0x08, 0x60, 0x64, 0x68) under the family's post-divider encoding. */
export function decodePllRegister(v: number, spec: Pick<PllSpec, 'postDivMinusOne'>): PllSetting & { enabled: boolean; locked: boolean; vcoHighFlag: boolean } {
  const k = spec.postDivMinusOne ? 1 : 0;
  // Only 8 bits of FBDIV are used by every writer; bit 28 (VCO-high) sits inside the documented field.
  const fbDiv = (v >>> 16) & 0xff;
  const refDiv = (v >>> 8) & 0x3f;
  const postDiv1 = ((v >>> 4) & 7) + k;
  const postDiv2 = (v & 7) + k;
  const div = refDiv * postDiv1 * postDiv2;
  return {
    fbDiv,
    refDiv,
    postDiv1,
    postDiv2,
    frequencyMhz: div === 0 ? 0 : (CLKI_MHZ * fbDiv) / div,
    vcoMhz: refDiv === 0 ? 0 : (CLKI_MHZ * fbDiv) / refDiv,
    enabled: (v & PLL_ENABLE) !== 0,
    locked: (v & 0x80000000) !== 0,
    vcoHighFlag: (v & PLL_VCO_HIGH) !== 0,
  };
}

/** Ramp step (ESP-Miner do_frequency_transition): 6.25 MHz. */
export const RAMP_STEP_MHZ = 6.25;

/**
 * The frequencies a ramp from `fromMhz` to `toMhz` visits: every multiple of the step strictly between,
 * then the target (ESP-Miner's transition, re-derived).
 */
export function frequencyRamp(fromMhz: number, toMhz: number, stepMhz = RAMP_STEP_MHZ): number[] {
  if (Math.abs(fromMhz - toMhz) < EPS) return [];
  if (Math.abs(toMhz - fromMhz) < stepMhz) return [toMhz];
  const up = toMhz > fromMhz;
  let cur = up ? Math.floor(fromMhz / stepMhz) : Math.ceil(fromMhz / stepMhz);
  const target = up ? Math.floor(toMhz / stepMhz) : Math.ceil(toMhz / stepMhz);
  const out: number[] = [];
  while (up ? cur < target : cur > target) {
    cur += up ? 1 : -1;
    out.push(cur * stepMhz);
  }
  if (out.length === 0 || Math.abs((out[out.length - 1] as number) - toMhz) > EPS) out.push(toMhz);
  return out;
}
