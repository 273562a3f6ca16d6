/**
 * The settings a miner changes while the agent runs: pools and groups, fan mode and target temperature,
 * frequency and core voltage (within the board-config's limits), log level. The dashboard, the HTTP
 * settings API and the cgminer write commands all come through here:
 *
 *   change → edits of the config file's text → the new file checked exactly as `run` checks it
 *          → written atomically (backup kept; refused if the file was edited by hand)
 *          → applied the way SIGHUP applies a file (pools, limits, fans, log level: the chains keep running)
 *
 * Frequency and core voltage are saved and take effect when the agent next starts (the chains' clock is
 * set at bring-up; live tuning is the autotuner's job). The autotuner's target, mode and curtailment
 * (`[tuning]`) apply at once; switching it on or off takes a restart.
 */
import type { LevelWithSilent } from 'pino';
import { FAN_MODES, LOG_LEVELS } from '../config/agent-config.js';
import { TUNING_MODES } from '../config/tuning-section.js';
import type { ConfigFile, ConfigUpdateFailure } from '../config/config-file.js';
import type { RunConfig } from '../config/run-config.js';
import type { TomlEdit } from '../config/toml-edit.js';
import { parse } from 'smol-toml';
import { poolListEdits, poolListOf, type ListedGroup, type ListedPool, type PoolList } from './pool-list.js';

export interface SettingsValues {
  pools: PoolList;
  fans: { mode: (typeof FAN_MODES)[number]; duty: number };
  temperature: { target: number };
  board: { frequency_mhz: number; voltage: number };
  log: { level: (typeof LOG_LEVELS)[number] };
  tuning: { enabled: boolean; mode: (typeof TUNING_MODES)[number]; power_target_w: number | null; hashrate_target_ths: number | null; paused: boolean };
}

export interface SettingsView {
  /** False when changes cannot be saved (why says so). Reading never needs a login. */
  writable: boolean;
  why?: string;
  file: string;
  values: SettingsValues;
  limits: {
    frequency_mhz: { min: number; max: number; step: number; board: number };
    voltage: { min: number; max: number; board: number };
    temperature: { hot: number; dangerous: number };
    fanModes: readonly string[];
    logLevels: readonly string[];
    tuningModes: readonly string[];
  };
  /** Keys that take effect at the next start rather than at once. */
  restartKeys: string[];
}

export interface SettingsChange {
  pools?: PoolList;
  fans?: { mode?: string; duty?: number };
  temperature?: { target?: number };
  board?: { frequency_mhz?: number; voltage?: number };
  log?: { level?: string };
  tuning?: { enabled?: boolean; mode?: string; power_target_w?: number; hashrate_target_ths?: number; paused?: boolean };
}

export type SettingsResult =
  | { ok: true; changed: string[]; restart: string[]; message: string }
  | { ok: false; status: number; message: string; errors: Record<string, string> };

export const RESTART_KEYS = ['board.frequency_mhz', 'board.voltage', 'tuning.enabled'];

export function settingsValues(cfg: RunConfig): SettingsValues {
  const a = cfg.agent;
  return {
    pools: poolListOf(a),
    fans: { mode: a.fans.mode, duty: a.fans.duty },
    temperature: { target: cfg.limits.targetC },
    board: { frequency_mhz: cfg.frequencyMhz, voltage: cfg.coreVoltage },
    log: { level: a.log.level },
    tuning: {
      enabled: a.tuning.enabled,
      mode: a.tuning.mode,
      power_target_w: a.tuning.power_target_w ?? null,
      hashrate_target_ths: a.tuning.hashrate_target_ths ?? null,
      paused: a.tuning.paused,
    },
  };
}

export function settingsView(cfg: RunConfig, file: ConfigFile | undefined): SettingsView {
  const a = cfg.board.asic;
  const why = !file
    ? 'the agent runs on a board-config alone: there is no agent config file to save settings in'
    : file.text() === undefined
      ? `${file.path} changed on disk since the agent loaded it: reload the agent (SIGHUP) first`
      : undefined;
  return {
    writable: why === undefined,
    ...(why ? { why } : {}),
    file: cfg.file,
    values: settingsValues(cfg),
    limits: {
      frequency_mhz: { min: a.min_frequency_mhz, max: a.max_frequency_mhz, step: a.frequency_step_mhz, board: a.frequency_mhz },
      voltage: { min: a.min_voltage, max: a.max_voltage, board: a.voltage },
      temperature: { hot: cfg.limits.hotC, dangerous: cfg.limits.dangerousC },
      fanModes: FAN_MODES,
      logLevels: LOG_LEVELS,
      tuningModes: TUNING_MODES,
    },
    restartKeys: RESTART_KEYS,
  };
}

// ---- the request body, checked (it comes from the network) ---------------------------------------------

export class SettingsRequestError extends Error {
  override readonly name = 'SettingsRequestError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function field<T>(o: Record<string, unknown>, k: string, key: string, type: 'string' | 'number' | 'boolean'): T | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== type) throw new SettingsRequestError(key, `expected a ${type}`);
  return v as T;
}

function section(body: Record<string, unknown>, k: string): Record<string, unknown> | undefined {
  const v = body[k];
  if (v === undefined) return undefined;
  if (!isObj(v)) throw new SettingsRequestError(k, 'expected an object');
  return v;
}

function parsePool(v: unknown, key: string): ListedPool {
  if (!isObj(v)) throw new SettingsRequestError(key, 'expected a pool object');
  const p: ListedPool = {
    url: (field<string>(v, 'url', `${key}.url`, 'string') ?? '').trim(),
    user: (field<string>(v, 'user', `${key}.user`, 'string') ?? '').trim(),
    enabled: field<boolean>(v, 'enabled', `${key}.enabled`, 'boolean') ?? true,
  };
  const name = field<string>(v, 'name', `${key}.name`, 'string')?.trim();
  if (name) p.name = name;
  const password = field<string>(v, 'password', `${key}.password`, 'string');
  if (password) p.password = password;
  const channel = field<string>(v, 'channel', `${key}.channel`, 'string');
  if (channel === 'extended' || channel === 'standard') p.channel = channel;
  else if (channel !== undefined) throw new SettingsRequestError(`${key}.channel`, 'expected "extended" or "standard"');
  const from = v.from;
  if (from !== undefined && from !== null) {
    if (!isObj(from) || !Number.isInteger(from.group) || !Number.isInteger(from.index))
      throw new SettingsRequestError(`${key}.from`, 'expected {group, index}');
    p.from = { group: from.group as number, index: from.index as number };
  }
  return p;
}

/** The pool list a request sends, checked against the pools the file has (a `from` must exist). */
function parsePools(v: unknown, current: PoolList): PoolList {
  if (!isObj(v) || !Array.isArray(v.groups)) throw new SettingsRequestError('pools', 'expected {groups: [...]}');
  const groups = v.groups.map((g: unknown, gi): ListedGroup => {
    const gk = current.form === 'group' ? `group[${gi}]` : 'pool';
    if (!isObj(g) || !Array.isArray(g.pools)) throw new SettingsRequestError(gk, 'expected a group with pools');
    const out: ListedGroup = {
      name: (field<string>(g, 'name', `${gk}.name`, 'string') ?? 'default').trim(),
      quota: field<number>(g, 'quota', `${gk}.quota`, 'number') ?? 1,
      pools: g.pools.map((p: unknown, pi) => parsePool(p, current.form === 'group' ? `${gk}.pool[${pi}]` : `pool[${pi}]`)),
    };
    if (Number.isInteger(g.from) && current.groups[g.from as number]) out.from = g.from as number;
    for (const p of out.pools) {
      if (p.from && !current.groups[p.from.group]?.pools.some((x) => x.from?.group === p.from?.group && x.from?.index === p.from?.index)) delete p.from;
    }
    return out;
  });
  if (current.form === 'pool' && groups.length !== 1) throw new SettingsRequestError('pools', 'this config has one list of pools ([[pool]])');
  return { form: current.form, groups };
}

/** Same pools, same order, same values, no new password: nothing to write. */
function samePools(a: PoolList, b: PoolList): boolean {
  const key = (l: PoolList): string =>
    JSON.stringify(
      l.groups.map((g) => [
        g.from,
        g.name,
        g.quota,
        g.pools.map((p) => [p.from?.group, p.from?.index, p.name ?? '', p.url, p.user, p.enabled, p.channel ?? 'extended', p.password ?? '']),
      ]),
    );
  return key(a) === key(b);
}

/** The file edits a change asks for; only values that differ from the running ones are written. */
export function settingsEdits(body: unknown, cfg: RunConfig, raw: Record<string, unknown>): { edits: TomlEdit[]; changed: string[] } {
  if (!isObj(body)) throw new SettingsRequestError('', 'expected a JSON object');
  const now = settingsValues(cfg);
  const edits: TomlEdit[] = [];
  const changed: string[] = [];
  const set = (key: string, value: string | number | boolean | undefined, current: string | number | boolean | null): void => {
    if (value === undefined || value === current) return;
    edits.push({ op: 'set', key, value });
    changed.push(key);
  };
  const fans = section(body, 'fans');
  if (fans) {
    set('fans.mode', field<string>(fans, 'mode', 'fans.mode', 'string'), now.fans.mode);
    set('fans.duty', field<number>(fans, 'duty', 'fans.duty', 'number'), now.fans.duty);
  }
  const t = section(body, 'temperature');
  if (t) set('temperature.target', field<number>(t, 'target', 'temperature.target', 'number'), now.temperature.target);
  const b = section(body, 'board');
  if (b) {
    set('board.frequency_mhz', field<number>(b, 'frequency_mhz', 'board.frequency_mhz', 'number'), now.board.frequency_mhz);
    set('board.voltage', field<number>(b, 'voltage', 'board.voltage', 'number'), now.board.voltage);
  }
  const l = section(body, 'log');
  if (l) set('log.level', field<string>(l, 'level', 'log.level', 'string'), now.log.level);
  const tu = section(body, 'tuning');
  if (tu) {
    set('tuning.enabled', field<boolean>(tu, 'enabled', 'tuning.enabled', 'boolean'), now.tuning.enabled);
    set('tuning.mode', field<string>(tu, 'mode', 'tuning.mode', 'string'), now.tuning.mode);
    set('tuning.power_target_w', field<number>(tu, 'power_target_w', 'tuning.power_target_w', 'number'), now.tuning.power_target_w);
    set('tuning.hashrate_target_ths', field<number>(tu, 'hashrate_target_ths', 'tuning.hashrate_target_ths', 'number'), now.tuning.hashrate_target_ths);
    set('tuning.paused', field<boolean>(tu, 'paused', 'tuning.paused', 'boolean'), now.tuning.paused);
  }
  if (body.pools !== undefined) {
    const list = parsePools(body.pools, now.pools);
    if (!samePools(list, now.pools)) {
      edits.push(...poolListEdits(list, raw));
      changed.push(now.pools.form === 'group' ? 'group' : 'pool');
    }
  }
  const known = new Set(['fans', 'temperature', 'board', 'log', 'pools', 'tuning']);
  for (const k of Object.keys(body)) if (!known.has(k)) throw new SettingsRequestError(k, `unknown setting; allowed: ${[...known].join(', ')}`);
  return { edits, changed };
}

/** What saving and applying needs from the agent. */
export interface SettingsTarget {
  config: RunConfig;
  configFile: ConfigFile | undefined;
  /** Applies a saved config as SIGHUP does. */
  apply(next: RunConfig): void;
}

function failure(r: ConfigUpdateFailure): SettingsResult {
  if (r.kind === 'invalid') {
    const errors: Record<string, string> = {};
    for (const i of r.issues) errors[i.key || 'config'] = errors[i.key || 'config'] ? `${errors[i.key || 'config']}; ${i.message}` : i.message;
    return { ok: false, status: 400, message: 'the change was not saved: see the fields', errors };
  }
  return { ok: false, status: r.kind === 'io' ? 500 : 409, message: r.message, errors: {} };
}

/** Checks, saves and applies a change; nothing is written or applied unless all of it is valid. */
export function saveSettings(target: SettingsTarget, body: unknown, opts: { dryRun?: boolean } = {}): SettingsResult {
  const file = target.configFile;
  if (!file)
    return { ok: false, status: 409, message: 'the agent runs on a board-config alone: there is no agent config file to save settings in', errors: {} };
  const text = file.text();
  let raw: Record<string, unknown> = {};
  try {
    if (text !== undefined) raw = parse(text) as Record<string, unknown>;
  } catch {
    raw = {};
  }
  let plan: { edits: TomlEdit[]; changed: string[] };
  try {
    plan = settingsEdits(body, target.config, raw);
  } catch (err) {
    if (err instanceof SettingsRequestError) return { ok: false, status: 400, message: err.message, errors: { [err.key || 'request']: err.message } };
    throw err;
  }
  if (plan.edits.length === 0) return { ok: true, changed: [], restart: [], message: 'nothing changed' };
  const r = opts.dryRun ? file.check(plan.edits) : file.update(plan.edits);
  if (!r.ok) return failure(r);
  if (opts.dryRun) return { ok: true, changed: plan.changed, restart: [], message: 'valid (not saved)' };
  target.apply(r.config);
  const restart = plan.changed.filter((k) => RESTART_KEYS.includes(k));
  return {
    ok: true,
    changed: plan.changed,
    restart,
    message: `saved to ${file.path}${restart.length > 0 ? `; ${restart.join(', ')} take${restart.length === 1 ? 's' : ''} effect at the next start` : ''}`,
  };
}

/** The level SIGHUP would leave alone: ASIC_AGENT_LOG_LEVEL wins over the file (run.ts does the same). */
export function envLogLevel(): LevelWithSilent | undefined {
  return LOG_LEVELS.find((l): l is LevelWithSilent => l === process.env.ASIC_AGENT_LOG_LEVEL);
}
