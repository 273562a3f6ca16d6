/**
 * The tuner's settings from the config: the target from `[tuning]`, the limits from the board-config's
 * `[asic]` (a board without a regulator or trim keeps its voltage: the rail's limits collapse onto it),
 * performance scaling's steps from `[tuning]` and `[temperature] hot_step_s`.
 */
import type { RunConfig } from '../config/run-config.js';
import { TUNER_DEFAULTS, type TunerSettings } from './tuner-settings.js';
import type { TunerTarget } from './tuner-ports.js';

export function tunerTargetOf(cfg: RunConfig): TunerTarget {
  const t = cfg.agent.tuning;
  if (t.mode === 'power') return { mode: 'power', ...(t.power_target_w !== undefined ? { watts: t.power_target_w } : {}) };
  if (t.mode === 'hashrate') return { mode: 'hashrate', ...(t.hashrate_target_ths !== undefined ? { ths: t.hashrate_target_ths } : {}) };
  return { mode: 'efficiency' };
}

export function tunerSettingsOf(cfg: RunConfig, o: { voltageControl: boolean; target?: TunerTarget }): TunerSettings {
  const a = cfg.board.asic;
  const t = cfg.agent.tuning;
  const target = o.target ?? tunerTargetOf(cfg);
  const base = target.mode === 'power' ? target.watts : undefined;
  const volts = o.voltageControl ? { minVolts: a.min_voltage, maxVolts: a.max_voltage } : { minVolts: cfg.coreVoltage, maxVolts: cfg.coreVoltage };
  return {
    ...TUNER_DEFAULTS,
    target,
    limits: { minMhz: a.min_frequency_mhz, maxMhz: a.max_frequency_mhz, ...volts, defaultMhz: a.frequency_mhz, defaultVolts: a.voltage },
    voltsStep: t.voltage_step_v,
    // 0 = a share of the power drawn when scaling starts (performance-scaling.ts).
    powerStepW: t.power_step_w ?? (base !== undefined ? 0.05 * base : 0),
    minPowerW: t.min_power_w ?? (base !== undefined ? 0.3 * base : 0),
    coolStepS: t.cool_step_s ?? 2 * cfg.limits.hotStepS,
  };
}
