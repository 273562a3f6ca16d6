/**
 * What the tuner learns about the board between voltages, from its own readings only:
 *
 * - power: P ≈ a · V² · F + b · V³, F the sum of the chips' clocks (dynamic power ∝ f·V², the rest
 *   grows roughly with V³). Fitted by least squares on the rounds seen so far; with a single round the
 *   leakage share is taken as 10 % until a second one separates the terms.
 * - edges: how far the chips' edges move with the rail, as an exponent s (edge ∝ V^s near the present
 *   voltage), the median over chips of ln(edge₂ / edge₁) / ln(V₂ / V₁) between two rounds. Until two
 *   rounds exist s = 3, on the steep side of what CMOS logic near threshold shows, so that a first move up
 *   predicts more power than it will draw and stops short of the target rather than past it.
 *
 * Both are only used to choose the next voltage to try; every choice is then checked on the board.
 */

export type ClockKind = 'edge' | 'capped' | 'held' | 'failed';

export interface RoundRecord {
  volts: number;
  /** Sum of the chips' clocks at the round's end, MHz. */
  sumMhz: number;
  watts: number;
  /** Per chip (all chains in order): the clock at the round's end and what bounded it. */
  clocks: number[];
  kinds: ClockKind[];
  /** Board temperature at the round's end, °C (null: none). */
  tempC: number | null;
  /** The temperature held steady through the round (edges and leakage are those the board runs at). */
  settled: boolean;
}

export const PRIOR_EXPONENT = 3;
/** A round is complete when at most this share of its chips were held below their edges by the target. */
export const COMPLETE_HELD = 0.05;

export function heldShare(r: RoundRecord): number {
  const live = r.kinds.filter((k) => k !== 'failed').length;
  return r.kinds.filter((k) => k === 'held').length / Math.max(1, live);
}

export function isComplete(r: RoundRecord): boolean {
  return heldShare(r) <= COMPLETE_HELD;
}
const PRIOR_LEAK_SHARE = 0.1;

export class PowerModel {
  private rounds: RoundRecord[] = [];

  clear(): void {
    this.rounds = [];
  }

  add(r: RoundRecord): void {
    // One record per voltage: the latest (temperatures move, the latest is nearest to what follows).
    this.rounds = this.rounds.filter((x) => Math.abs(x.volts - r.volts) > 1e-6);
    this.rounds.push(r);
    if (this.rounds.length > 8) this.rounds.shift();
  }

  latest(): RoundRecord | undefined {
    return this.rounds[this.rounds.length - 1];
  }

  /** The record at this voltage, if one was taken there. */
  at(volts: number): RoundRecord | undefined {
    return this.rounds.find((x) => Math.abs(x.volts - volts) < 1e-6);
  }

  /** Fitted (a, b); a prior split when the rounds cannot separate them. */
  coefficients(): { a: number; b: number } {
    // Leakage doubles every few tens of degrees: fit on rounds near the latest one's temperature only.
    const t = this.latest()?.tempC ?? null;
    const rs = this.rounds.filter((r) => r.watts > 0 && r.sumMhz > 0 && (t === null || r.tempC === null || Math.abs(r.tempC - t) <= 5));
    const last = rs[rs.length - 1];
    if (!last) return { a: 0, b: 0 };
    const prior = (): { a: number; b: number } => ({
      a: ((1 - PRIOR_LEAK_SHARE) * last.watts) / (last.volts ** 2 * last.sumMhz),
      b: (PRIOR_LEAK_SHARE * last.watts) / last.volts ** 3,
    });
    if (rs.length < 2) return prior();
    // Rounds close together in voltage cannot tell V²F from V³ (the fit would follow the noise).
    const vs = rs.map((r) => r.volts);
    if (Math.max(...vs) / Math.min(...vs) < 1.05) return prior();
    // Least squares on x1 = V²F, x2 = V³.
    let s11 = 0;
    let s12 = 0;
    let s22 = 0;
    let s1y = 0;
    let s2y = 0;
    for (const r of rs) {
      const x1 = r.volts ** 2 * r.sumMhz;
      const x2 = r.volts ** 3;
      s11 += x1 * x1;
      s12 += x1 * x2;
      s22 += x2 * x2;
      s1y += x1 * r.watts;
      s2y += x2 * r.watts;
    }
    const det = s11 * s22 - s12 * s12;
    if (Math.abs(det) < 1e-12 * s11 * s22) return prior();
    const a = (s1y * s22 - s2y * s12) / det;
    const b = (s11 * s2y - s12 * s1y) / det;
    // A fit that makes leakage negative or most of the power says the rounds were too alike: keep the prior.
    if (!(a > 0) || b < 0 || b * last.volts ** 3 > 0.5 * last.watts) return prior();
    return { a, b };
  }

  /** Whether the last two rounds measured the exponent (else it is the prior). */
  exponentMeasured(): boolean {
    return this.measured() !== undefined;
  }

  /** Edge exponent s from the last two rounds (the prior until there are two). */
  exponent(): number {
    return this.measured() ?? PRIOR_EXPONENT;
  }

  /**
   * The exponent from the latest pair of complete rounds whose voltages are at least 1.5 % apart: close
   * voltages leave the estimate to noise and to the temperature moving between the rounds.
   */
  private measured(): number | undefined {
    const complete = this.rounds.filter((r) => isComplete(r));
    for (let j = complete.length - 1; j >= 1; j--) {
      const r2 = complete[j] as RoundRecord;
      for (let i = j - 1; i >= 0; i--) {
        const r1 = complete[i] as RoundRecord;
        const dv = Math.log(r2.volts / r1.volts);
        if (Math.abs(dv) < 0.015) continue;
        const ratios: number[] = [];
        r2.clocks.forEach((e2, k) => {
          const e1 = r1.clocks[k];
          if (r1.kinds[k] === 'edge' && r2.kinds[k] === 'edge' && e1 !== undefined && e1 > 0 && e2 > 0) ratios.push(Math.log(e2 / e1) / dv);
        });
        if (ratios.length < 3) continue;
        ratios.sort((x, y) => x - y);
        // Clamped to what silicon can plausibly do.
        return Math.min(6, Math.max(0.5, ratios[Math.floor(ratios.length / 2)] as number));
      }
    }
    return undefined;
  }

  /** The latest round in which (nearly) every chip reached its edge (a settled one first): the base of predictions. */
  latestComplete(): RoundRecord | undefined {
    const pick = (ok: (r: RoundRecord) => boolean): RoundRecord | undefined => {
      for (let i = this.rounds.length - 1; i >= 0; i--) if (ok(this.rounds[i] as RoundRecord)) return this.rounds[i];
      return undefined;
    };
    return pick((r) => isComplete(r) && r.settled) ?? pick(isComplete);
  }

  /** Predicted watts at `volts` with the clocks summing to `sumMhz`. */
  watts(volts: number, sumMhz: number): number {
    const { a, b } = this.coefficients();
    return a * volts ** 2 * sumMhz + b * volts ** 3;
  }

  /** Watts that do not follow the clocks at `volts`. */
  staticWatts(volts: number): number {
    return this.coefficients().b * volts ** 3;
  }

  /** Share of the power that does not follow the clocks, at the latest round. */
  leakShare(): number {
    const last = this.latest();
    if (!last || last.watts <= 0) return PRIOR_LEAK_SHARE;
    const { b } = this.coefficients();
    return Math.min(0.5, Math.max(0, (b * last.volts ** 3) / last.watts));
  }
}
