/**
 * Loads what `asic-agent run` needs: the agent config, the board-config it names, and the merged,
 * checked settings the board and thermal loop run on. Every problem in either file is reported with
 * its key and line, all at once (ConfigError).
 *
 * `run --config` and `check-config` accept either file: an agent config (the usual case), or a
 * board-config alone (`kind = "board"`), which runs with every agent setting at its default.
 */
import { ApiConfigError, resolveApiOptions } from '../api/api-options.js';
import { toApiOptionsInput } from './api-section.js';
import { packageRoot } from '../package-root.js';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { LevelWithSilent } from 'pino';
import type { FanSettings, ThermalLimits } from '../thermal/thermal-settings.js';
import type { PowerLimits } from '../thermal/thermal-policy.js';
import { agentConfigSchema, defaultAgentConfig, type AgentConfig } from './agent-config.js';
import { boardConfigSchema, boardFanCount, type BoardConfig } from './board-config.js';
import { ConfigError } from './config-error.js';
import type { ConfigIssue } from './schema.js';
import { lineOf } from './toml-lines.js';
import { readToml, validate, type TomlDocument } from './toml-file.js';
import { rejectPlaceholders } from './placeholders.js';

/** Lowest fans.safe_duty outside immersion mode, %: half speed, enough to keep moving air over a board that stopped hot. */
export const MIN_SAFE_DUTY = 50;

export type ConfigKind = 'board' | 'agent';

export function detectKind(doc: TomlDocument): ConfigKind {
  return doc.data.kind === 'board' ? 'board' : 'agent';
}

/** The shipped board-configs folder of this package. */
export function boardConfigsDir(): string {
  return join(packageRoot(), 'board-configs');
}

/** `sim-bm1370` → the shipped file; anything with a slash or `.toml` → a path relative to the agent config. */
export function resolveBoardRef(ref: string, fromFile: string): string {
  if (ref.includes('/') || ref.endsWith('.toml')) return isAbsolute(ref) ? ref : resolve(dirname(fromFile), ref);
  return join(boardConfigsDir(), `${ref}.toml`);
}

export interface RunConfig {
  /** The file given on the command line. */
  file: string;
  kind: ConfigKind;
  boardFile: string;
  board: BoardConfig;
  agent: AgentConfig;
  frequencyMhz: number;
  /** Core volts per domain. */
  coreVoltage: number;
  limits: ThermalLimits;
  fans: FanSettings;
  power: PowerLimits;
  logLevel: LevelWithSilent;
}

export function loadBoardConfig(path: string): BoardConfig {
  const doc = readToml(path);
  return validate(boardConfigSchema, doc);
}

/** Merges agent settings onto the board-config; reports conflicts against the agent file's lines. */
export function resolveRunConfig(
  file: string,
  kind: ConfigKind,
  agent: AgentConfig,
  agentDoc: TomlDocument | undefined,
  boardFile: string,
  board: BoardConfig,
): RunConfig {
  const issues: ConfigIssue[] = [];
  const report = (key: string, message: string): void => {
    issues.push({ key, line: agentDoc ? lineOf(agentDoc.lines, key) : undefined, message });
  };
  const t = agent.temperature;
  const bt = board.temperature;
  const target = t.target ?? bt.target;
  const hot = t.hot ?? bt.hot;
  const dangerous = t.dangerous ?? bt.dangerous;
  const cool = t.cool ?? target - 15;
  if (dangerous > bt.dangerous)
    report('temperature.dangerous', `${dangerous} °C is above the board's dangerous limit (${bt.dangerous} °C in ${board.name}); it can only be lowered`);
  if (!(target < hot)) report(t.target !== undefined ? 'temperature.target' : 'temperature.hot', `target (${target} °C) must be below hot (${hot} °C)`);
  if (!(hot < dangerous))
    report(t.hot !== undefined ? 'temperature.hot' : 'temperature.dangerous', `hot (${hot} °C) must be below dangerous (${dangerous} °C)`);
  if (!(cool < target)) report('temperature.cool', `cool (${cool} °C) must be below target (${target} °C)`);

  const a = board.asic;
  const frequencyMhz = agent.board.frequency_mhz ?? a.frequency_mhz;
  const coreVoltage = agent.board.voltage ?? a.voltage;
  if (frequencyMhz < a.min_frequency_mhz || frequencyMhz > a.max_frequency_mhz) {
    report('board.frequency_mhz', `${frequencyMhz} MHz is outside ${board.name}'s ${a.min_frequency_mhz}..${a.max_frequency_mhz} MHz`);
  }
  if (coreVoltage < a.min_voltage || coreVoltage > a.max_voltage)
    report('board.voltage', `${coreVoltage} V is outside ${board.name}'s ${a.min_voltage}..${a.max_voltage} V`);

  const f = agent.fans;
  const fanCount = boardFanCount(board);
  if (f.min_duty > f.max_duty) report('fans.min_duty', `${f.min_duty} % is above max_duty (${f.max_duty} %)`);
  if (f.mode === 'manual' && f.duty < f.min_duty) report('fans.duty', `${f.duty} % is below min_duty (${f.min_duty} %)`);
  if (f.safe_duty < f.min_duty) report('fans.safe_duty', `${f.safe_duty} % is below min_duty (${f.min_duty} %)`);
  else if (f.mode !== 'immersion' && f.safe_duty < MIN_SAFE_DUTY) {
    // Issue 21 D8: the safe duty is what cools a board that just stopped for a fault; running without
    // fans is the explicit immersion mode, never a duty of 0 in another mode.
    report(
      'fans.safe_duty',
      `${f.safe_duty} % does not cool a stopped board; outside immersion mode it must be at least ${MIN_SAFE_DUTY} % (fans.mode = "immersion" runs without fans)`,
    );
  }
  let minFans = f.min_fans ?? fanCount;
  if (f.mode === 'immersion') {
    if (f.min_fans !== undefined && f.min_fans !== 0) report('fans.min_fans', `must be 0 or absent in immersion mode (fans are not used)`);
    minFans = 0;
  } else {
    if (fanCount === 0) report('fans.mode', `${board.name} has no fan controller; use mode = "immersion"`);
    else if (f.min_fans === 0)
      report('fans.min_fans', 'must be at least 1 outside immersion mode; immersion is a mode (fans.mode = "immersion"), not min_fans = 0');
    else if (minFans > fanCount) report('fans.min_fans', `${minFans} is more than the ${fanCount} fan${fanCount === 1 ? '' : 's'} ${board.name} has`);
  }
  const tu = agent.tuning;
  if (tu.enabled) {
    const ics = Object.values(board.i2c.devices).map((d) => d.ic);
    const reading = ics.includes('ina260') || ics.includes('tps546d24a');
    if (tu.mode !== 'hashrate' && !reading)
      report(
        'tuning.mode',
        `${tu.mode} mode needs a power reading, and ${board.name} has neither a power monitor (ina260) nor a regulator with telemetry (tps546d24a)`,
      );
    if (board.sim && board.chain.some((c) => c.uart.startsWith('sim:')) && !board.sim.lottery) {
      report('tuning.enabled', `${board.name}'s simulated chips hash the same at any clock: set [sim] lottery = true in the board-config to tune them`);
    }
  }
  // Address rules and the write token are checked by the API's own resolver; report against our lines.
  try {
    resolveApiOptions(toApiOptionsInput(agent.api));
  } catch (err) {
    if (!(err instanceof ApiConfigError)) throw err;
    const [key, ...rest] = err.message.split(': ');
    report(key ?? 'api', rest.join(': ') || err.message);
  }
  if (issues.length > 0) throw new ConfigError(file, issues);

  return {
    file,
    kind,
    boardFile,
    board,
    agent,
    frequencyMhz,
    coreVoltage,
    limits: {
      targetC: target,
      hotC: hot,
      dangerousC: dangerous,
      coolC: cool,
      vrHotC: bt.vr_hot,
      vrDangerousC: bt.vr_dangerous,
      hotHysteresisC: t.hysteresis,
      noReadingTimeoutS: t.no_reading_timeout_s,
      stuckTimeoutS: t.stuck_timeout_s,
      hotStepS: t.hot_step_s,
      restart: t.restart,
      restartDelayS: t.restart_delay_s,
      diodeSettleMs: bt.diode_settle_ms,
      confirmReadings: bt.confirm_readings,
      plausibleMinC: bt.plausible_min,
      plausibleMaxC: bt.plausible_max,
    },
    fans: {
      mode: f.mode,
      manualDuty: f.duty,
      minDuty: f.mode === 'immersion' ? 0 : f.min_duty,
      maxDuty: f.max_duty,
      minFans,
      rampUpPctPerS: f.ramp_up_pct_per_s,
      rampDownPctPerS: f.ramp_down_pct_per_s,
      safeDuty: f.safe_duty,
      stallRpm: board.fans.stall_rpm,
      stallTimeoutS: f.stall_timeout_s,
      pauseRampDownS: f.pause_ramp_down_s,
      exitCoolTimeoutS: f.exit_cool_timeout_s,
      pid: board.fans.pid,
    },
    power: { voutToleranceV: board.power.vout_tolerance_v, maxIoutA: board.power.max_iout_a },
    logLevel: agent.log.level,
  };
}

/** Loads and checks `path` (an agent config or a board-config) and everything it refers to. */
export function loadRunConfig(path: string): RunConfig {
  return runConfigOf(readToml(path));
}

/** Checks a document already read (the settings editor checks a new text before it is written). */
export function runConfigOf(doc: TomlDocument): RunConfig {
  const path = doc.file;
  rejectPlaceholders(doc);
  if (detectKind(doc) === 'board') {
    const board = validate(boardConfigSchema, doc);
    return resolveRunConfig(path, 'board', defaultAgentConfig(path), undefined, path, board);
  }
  const agent = validate(agentConfigSchema, doc);
  const boardFile = resolveBoardRef(agent.board.config, path);
  if (!existsSync(boardFile)) {
    throw new ConfigError(path, [
      {
        key: 'board.config',
        line: lineOf(doc.lines, 'board.config'),
        message: `board-config ${JSON.stringify(agent.board.config)} not found (looked for ${boardFile})`,
      },
    ]);
  }
  const board = loadBoardConfig(boardFile);
  return resolveRunConfig(path, 'agent', agent, doc, boardFile, board);
}
