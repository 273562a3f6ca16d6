/**
 * `[tuning]`: the autotuner (docs/tuning.md). Off unless enabled. A power target is watts at the board's
 * power reading (the power monitor when the board has one, else the regulator's output); a hashrate
 * target is TH/s of valid nonces. `paused` is curtailment kept across restarts (the API sets it too).
 */
import { bool, num, oneOf, optional, str, table, withDefault } from './schema.js';

export const TUNING_MODES = ['power', 'hashrate', 'efficiency'] as const;

export const tuningSchema = table(
  {
    enabled: withDefault(bool(), false),
    mode: withDefault(oneOf(TUNING_MODES), 'power'),
    /** Power mode: watts at the board's power reading. */
    power_target_w: optional(num(1, 100_000, { unit: 'W' })),
    /** Hashrate mode: TH/s. */
    hashrate_target_ths: optional(num(1e-12, 100_000, { unit: 'TH/s' })),
    /** Curtailment: the board idles (power off, fans ramp down) until resumed. */
    paused: withDefault(bool(), false),
    /** Where profiles are kept (default: $STATE_DIRECTORY/profiles, /var/lib/asic-agent/profiles under the unit). */
    profile_dir: optional(str({ maxLength: 4096, patternHint: 'a folder path' })),
    /** The rail's grid, V per domain. */
    voltage_step_v: withDefault(num(0.001, 0.1, { unit: 'V' }), 0.005),
    /** Performance scaling: the power cap steps down this much per hot step (default 5 % of the target or of the power drawn). */
    power_step_w: optional(num(0.1, 100_000, { unit: 'W' })),
    /** …not below this (default 30 % of it). */
    min_power_w: optional(num(0.1, 100_000, { unit: 'W' })),
    /** Cool (not hot) this long before each step back up (default twice [temperature] hot_step_s). */
    cool_step_s: optional(num(1, 86_400, { unit: 's' })),
  },
  {
    refine(t, report) {
      if (!t.enabled) return;
      if (t.mode === 'power' && t.power_target_w === undefined) report('power_target_w', 'is required in power mode');
      if (t.mode === 'hashrate' && t.hashrate_target_ths === undefined) report('hashrate_target_ths', 'is required in hashrate mode');
    },
  },
);
