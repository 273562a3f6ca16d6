/**
 * The tuner's settings: the target and limits from the config, and the constants of its method with the
 * reasons for their values (docs/tuning.md explains each decision and its statistics).
 */
import type { SprtSpec } from './poisson.js';
import type { TunerLimits, TunerTarget } from './tuner-ports.js';

export interface TunerSettings {
  target: TunerTarget;
  limits: TunerLimits;
  /** Rail grid, V per domain. */
  voltsStep: number;
  /** One decision round, ms. */
  tickMs: number;
  /** A chip's edge is bracketed to this fraction of its clock. */
  resolution: number;
  /** First upward step of a search, as a fraction of the clock. */
  searchStep: number;
  /** A quick pass: this many valid nonces with at most one hardware error and no deficit. */
  quickNonces: number;
  /** The verification of a chip's clock: Wald's test on the hardware-error share. */
  strict: SprtSpec;
  /** The watch on a tuned chip, the same test with a far smaller false-alarm chance (it runs for ever). */
  watch: SprtSpec;
  /** Before verifying, the temperature must hold within ±`settleC` °C for `settleS` seconds (a slow creep of a board far below its fan target counts as not settled). */
  settleC: number;
  settleS: number;
  /** A window's valid nonces this unlikely under the clock's rate mean nonces are missing. */
  rateAlpha: number;
  /** Power and hashrate are held within this fraction of the target. */
  tolerance: number;
  /** Performance scaling: the power target steps down this much per hot step (W)… */
  powerStepW: number;
  /** …not below this (W). */
  minPowerW: number;
  /** Cool (not hot) this long before stepping the power target back up, s. */
  coolStepS: number;
  /** Up to this share of the chips may step down while tuned before the tuner starts over. */
  driftShare: number;
}

/** The method's constants (docs/tuning.md, "How sure is a decision"). */
export const TUNER_DEFAULTS: Omit<TunerSettings, 'target' | 'limits' | 'powerStepW' | 'minPowerW' | 'coolStepS'> = {
  voltsStep: 0.005,
  tickMs: 1000,
  resolution: 0.01,
  searchStep: 0.06,
  quickNonces: 40,
  // A sound chip returns well under 0.1 % hardware errors; one 1 % past its edge returns about 1 %.
  strict: { q0: 0.0005, q1: 0.005, alpha: 0.01, beta: 0.05 },
  // Once set, a chip is flagged only for a clear change (a few % of its nonces wrong: warmer, older, a
  // weaker rail), and almost never by chance; chips at their edge return well under 1 %.
  watch: { q0: 0.001, q1: 0.02, alpha: 1e-4, beta: 0.05 },
  settleC: 0.5,
  settleS: 120,
  rateAlpha: 1e-6,
  tolerance: 0.01,
  driftShare: 0.15,
};
