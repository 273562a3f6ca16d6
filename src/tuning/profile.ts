/**
 * A tuning profile: the settings the tuner reached for one target on one board, so that a restart goes
 * straight back to them instead of tuning again. A board is known by its board-config and by what its
 * chains report at bring-up (family, chips per chain, which did not answer): a profile is reused only
 * when all of that matches, and only for the same target.
 */
import type { TunerMode, TunerTarget } from './tuner-ports.js';

export interface BoardIdentity {
  /** The board-config's name. */
  board: string;
  family: string;
  /** Per chain: chip slots and the chips that did not answer. */
  chains: { chips: number; missing: number[] }[];
}

export interface TuningProfile {
  identity: BoardIdentity;
  mode: TunerMode;
  /** Watts (power mode) or TH/s (hashrate mode); absent in efficiency mode. */
  target?: number;
  volts: number;
  /** Per chain, per chip, MHz (the clocks written). */
  mhz: number[][];
  /** What it gave when saved. */
  watts: number | null;
  hashrateHs: number;
  tempC: number | null;
  /** Unix seconds. */
  savedAt: number;
}

export function targetValue(t: TunerTarget): number | undefined {
  return t.mode === 'power' ? t.watts : t.mode === 'hashrate' ? t.ths : undefined;
}

export function sameIdentity(a: BoardIdentity, b: BoardIdentity): boolean {
  if (a.board !== b.board || a.family !== b.family || a.chains.length !== b.chains.length) return false;
  return a.chains.every((c, i) => {
    const d = b.chains[i];
    return d !== undefined && d.chips === c.chips && d.missing.length === c.missing.length && d.missing.every((m, k) => m === c.missing[k]);
  });
}

/** The profile a target uses: same board, same mode and target (within 0.1 %). */
export function profileFor(profiles: readonly TuningProfile[], identity: BoardIdentity, target: TunerTarget): TuningProfile | undefined {
  const want = targetValue(target);
  const fits = profiles.filter((p) => {
    if (p.mode !== target.mode || !sameIdentity(p.identity, identity)) return false;
    if (want === undefined || p.target === undefined) return want === p.target;
    return Math.abs(p.target - want) <= 0.001 * Math.max(Math.abs(want), 1e-9);
  });
  return fits.sort((a, b) => b.savedAt - a.savedAt)[0];
}

/** Whether a parsed value has the shape of a profile (files are checked before use; a bad one is skipped). */
export function isProfile(v: unknown): v is TuningProfile {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  const id = p.identity as Record<string, unknown> | undefined;
  return (
    typeof id === 'object' &&
    id !== null &&
    typeof id.board === 'string' &&
    typeof id.family === 'string' &&
    Array.isArray(id.chains) &&
    (p.mode === 'power' || p.mode === 'hashrate' || p.mode === 'efficiency') &&
    typeof p.volts === 'number' &&
    Number.isFinite(p.volts) &&
    Array.isArray(p.mhz) &&
    p.mhz.every((c) => Array.isArray(c) && c.every((x) => typeof x === 'number' && Number.isFinite(x))) &&
    typeof p.hashrateHs === 'number' &&
    typeof p.savedAt === 'number'
  );
}
