/**
 * One chip's search for its edge at the present rail voltage, and the watch on it afterwards.
 *
 * The chip climbs in steps (6 % at first) while each step passes a quick check (40 valid nonces, at most
 * one hardware error, no missing nonces); the first failure brackets the edge between the last clock that
 * passed and the one that failed, and the bracket is halved (in log space) down to the resolution (1 %).
 * The clock that passed last is then verified by Wald's test (docs/tuning.md): stable, it is the chip's
 * ceiling at this voltage; unstable, the chip steps down one resolution and is verified again. Once set,
 * the same test keeps watching: a chip that turns unstable (warmer, older, a weaker rail) steps down alone.
 *
 * A window starts at the first decision round after a clock change, so nonces from work started at the
 * old clock are not judged against the new one.
 */
import { poissonCdf, sprt, sprtNoncesToPass } from './poisson.js';
import type { ChipCount } from './tuner-ports.js';
import type { TunerSettings } from './tuner-settings.js';

/**
 * search: looking for the edge; ready: edge bracketed (or held by the target), waiting for the round to
 * end, still checked; verify: proving the clock it settled on; set: at its operating clock, watched;
 * failed: not even the lowest clock works (dead or missing), left at the lowest clock.
 */
export type ChipStage = 'search' | 'ready' | 'verify' | 'set' | 'failed';

/** How the ceiling was found: the chip's edge, the board's top clock, or where the power target held it. */
export type CeilingKind = 'edge' | 'capped' | 'held';

export type Judgement = 'wait' | 'pass' | 'fail';

interface Window {
  valid: number;
  hw: number;
  t: number;
}

export class ChipTune {
  /** The clock the PLL runs at now, MHz. */
  mhz = 0;
  stage: ChipStage = 'search';
  /** Highest clock that passed a check at this voltage. */
  good: number | undefined;
  /** Lowest clock that failed at this voltage. */
  bad: number | undefined;
  /** The highest clock accepted at this voltage (verified, or the clock the power target held it at). */
  ceiling: number | undefined;
  kind: CeilingKind | undefined;
  step: number;
  /** Steps down taken while set (drift). */
  drifts = 0;
  /** Ceiling found without verification (a probe round). */
  provisional = false;
  private w: Window | undefined;
  /** Counts when the window was last reset, to start the next one. */
  private fresh = true;

  constructor(
    readonly chain: number,
    readonly chip: number,
    private readonly s: TunerSettings,
  ) {
    this.step = s.searchStep;
  }

  /** A new voltage: what was learnt no longer holds; search again from `mhz`. */
  restart(stage: ChipStage = 'search'): void {
    this.good = undefined;
    this.bad = undefined;
    this.ceiling = undefined;
    this.kind = undefined;
    this.provisional = false;
    this.stage = stage;
    this.step = this.s.searchStep;
    this.resetWindow();
  }

  /** The clock changed (or the chain came up again): the next round starts a new window. */
  resetWindow(): void {
    this.w = undefined;
    this.fresh = true;
  }

  /** Opens the window at this round's counts when it is due. */
  open(c: ChipCount, now: number): void {
    if (this.fresh) {
      this.w = { valid: c.valid, hw: c.hw, t: now };
      this.fresh = false;
    }
  }

  /** Valid nonces, hardware errors and seconds in the current window. */
  window(c: ChipCount, now: number): { valid: number; hw: number; s: number } | undefined {
    if (!this.w) return undefined;
    return { valid: c.valid - this.w.valid, hw: c.hw - this.w.hw, s: (now - this.w.t) / 1000 };
  }

  /**
   * Judges the window. `rate` = expected valid nonces per second at the present clock. Quick checks (the
   * search) pass at `quickNonces`; strict ones (verify, set) follow Wald's test.
   */
  judge(c: ChipCount, now: number, rate: number): Judgement {
    const w = this.window(c, now);
    if (!w || w.s <= 0) return 'wait';
    const mu = rate * w.s;
    // Missing nonces: fewer valid ones than this clock gives, beyond chance. The window is looked at every
    // round, so the threshold is far below the chance wanted for one look (docs/tuning.md).
    if (mu >= 8 && poissonCdf(w.valid, mu) < this.s.rateAlpha) return 'fail';
    if (this.stage === 'search' || this.stage === 'ready') {
      if (w.hw >= 2 || (w.hw >= 1 && w.hw / (w.valid + w.hw) >= 0.05)) return 'fail';
      return w.valid >= this.s.quickNonces ? 'pass' : 'wait';
    }
    // The verification is truncated at twice the nonces a clean pass takes; the watch runs on.
    const v =
      this.stage === 'set' ? sprt(w.valid, w.hw, this.s.watch).verdict : sprt(w.valid, w.hw, this.s.strict, 2 * sprtNoncesToPass(this.s.strict)).verdict;
    if (v === 'unstable') return 'fail';
    return v === 'stable' ? 'pass' : 'wait';
  }
}
