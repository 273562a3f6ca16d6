/**
 * The agent config: the one local TOML file a miner edits. `version` and `[board] config` are required;
 * every other section may be left out and takes its defaults, mostly from the board-config.
 *
 * Sections are listed in AGENT_SECTIONS: adding one ([[pool]], [api], …) is one line here plus its
 * schema, and it is strict from the start (unknown keys, wrong types and ranges are errors).
 */
import { apiSectionSchema } from './api-section.js';
import { dashboardSchema } from './dashboard-section.js';
import { jobDeclarationSchema } from './jd-section.js';
import { mqttSectionSchema, webhookListSchema } from './notify-sections.js';
import { poolGroupListSchema, poolListSchema, poolsTimingSchema } from './pool-sections.js';
import { tuningSchema } from './tuning-section.js';
import { bool, defaultsOf, int, num, oneOf, optional, section, str, table, version, withDefault, type Infer } from './schema.js';

export const AGENT_CONFIG_VERSION = 1;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const FAN_MODES = ['auto', 'manual', 'immersion'] as const;

const board = table({
  /** A board-config: a name in the shipped board-configs/ folder, or a path (relative to this file). */
  config: str({ patternHint: 'a board-config name (sim-bm1370) or a path to one', maxLength: 4096 }),
  /** Chain frequency, MHz, within the board-config's limits (default: the board-config's). */
  frequency_mhz: optional(num(10, 1500, { unit: 'MHz' })),
  /** Core volts per domain, within the board-config's limits. */
  voltage: optional(num(0.2, 5, { unit: 'V' })),
});

const temperature = table({
  /** Fan loop setpoint, °C (default: the board-config's). */
  target: optional(num(0, 150, { unit: '°C' })),
  hot: optional(num(0, 150, { unit: '°C' })),
  /** At most the board-config's dangerous: a hard limit is never raised by the agent config. */
  dangerous: optional(num(0, 150, { unit: '°C' })),
  /** After a stop the fans drop to the minimum once every reading is at or below this (default target − 15). */
  cool: optional(num(0, 150, { unit: '°C' })),
  /** Below hot by this much before "hot" ends. */
  hysteresis: withDefault(num(0.5, 20, { unit: '°C' }), 2),
  /** Restart after an overheat stop, once cool. */
  restart: withDefault(bool(), false),
  restart_delay_s: withDefault(int(0, 86_400, { unit: 's' }), 60),
  no_reading_timeout_s: withDefault(num(1, 600, { unit: 's' }), 10),
  /** A sensor reading bit-identical this long while powered is treated as failed; 0 turns the check off. */
  stuck_timeout_s: withDefault(num(0, 86_400, { unit: 's' }), 300),
  /** While hot, ask for another frequency step this often. */
  hot_step_s: withDefault(num(1, 3600, { unit: 's' }), 30),
});

const fans = table({
  mode: withDefault(oneOf(FAN_MODES), 'auto'),
  /** Manual mode duty, %. */
  duty: withDefault(int(0, 100, { unit: '%' }), 70),
  min_duty: withDefault(int(0, 100, { unit: '%' }), 20),
  max_duty: withDefault(int(1, 100, { unit: '%' }), 100),
  /** Fewer working fans → stop (default: every fan the board has). Not checked in immersion mode. */
  min_fans: optional(int(0, 16)),
  ramp_up_pct_per_s: withDefault(num(0.1, 100, { unit: '%/s' }), 20),
  ramp_down_pct_per_s: withDefault(num(0.1, 100, { unit: '%/s' }), 5),
  /** Duty after a stop until the board is cool. */
  safe_duty: withDefault(int(0, 100, { unit: '%' }), 100),
  stall_timeout_s: withDefault(num(1, 120, { unit: 's' }), 5),
  /** Pause (curtailment): ramp down to min_duty over this long. */
  pause_ramp_down_s: withDefault(num(0, 3600, { unit: 's' }), 60),
  /** On exit, wait at most this long for the board to cool before dropping the fans to min_duty. */
  exit_cool_timeout_s: withDefault(num(0, 3600, { unit: 's' }), 60),
});

const log = table({
  level: withDefault(oneOf(LOG_LEVELS), 'info'),
  /** A `msg: "status"` record (hashrate, shares, temperatures, fans) this often; 0 turns it off. */
  status_interval_s: withDefault(num(0, 3600, { unit: 's' }), 10),
});

/** Every section of the agent config. Add new sections here. */
export const AGENT_SECTIONS = {
  board,
  temperature: section(temperature),
  fans: section(fans),
  log: section(log),
  /** [[pool]]: pools of one group, in priority order. */
  pool: poolListSchema,
  /** [[group]] with [[group.pool]]: several groups sharing the hashrate by quota. */
  group: poolGroupListSchema,
  /** [pools]: failover/failback/quota timing. */
  pools: section(poolsTimingSchema),
  /** [api.cgminer], [api.http]: the local APIs (docs/api.md). */
  api: section(apiSectionSchema),
  /** [job_declaration]: own templates declared to pools, censorship watch (docs/job-declaration.md). */
  job_declaration: jobDeclarationSchema,
  /** [mqtt]: state and Home Assistant discovery on a broker (docs/notify.md). */
  mqtt: optional(mqttSectionSchema),
  /** [[webhook]]: alarm raise and clear POSTed as JSON (docs/notify.md). */
  webhook: webhookListSchema,
  /** [dashboard]: the web page and its settings password (docs/dashboard.md). */
  dashboard: section(dashboardSchema),
  /** [tuning]: the autotuner, its target, curtailment (docs/tuning.md). */
  tuning: section(tuningSchema),
};

/** The name the Job Declaration upstream takes among the pools (src/upstream/jd/jd-agent.ts). */
const JD_POOL_NAME = 'jd';

export const agentConfigSchema = table(
  {
    /** Optional marker; board-configs say kind = "board". */
    kind: optional(oneOf(['agent'] as const)),
    version: version(AGENT_CONFIG_VERSION),
    ...AGENT_SECTIONS,
  },
  {
    title: 'the agent config',
    refine(c, report) {
      if (c.pool && c.group) report('group', 'use either [[pool]] (one group) or [[group]] with [[group.pool]], not both');
      // What the pool manager requires of the whole set (src/upstream/pool-config.ts, resolvePoolGroups),
      // checked here so that check-config refuses what run would refuse.
      const names = new Map<string, string>();
      const named = (name: string | undefined, key: string): void => {
        if (name === undefined) return;
        if (c.job_declaration && name === JD_POOL_NAME)
          report(key, `"${JD_POOL_NAME}" is the Job Declaration upstream's name while [job_declaration] is set; choose another name`);
        const first = names.get(name);
        if (first !== undefined)
          report(key, `duplicate pool name ${JSON.stringify(name)} (also at ${first}); pool names are their ids in logs, stats and the API`);
        else names.set(name, key);
      };
      c.pool?.forEach((p, i) => named(p.name, `pool[${i}].name`));
      const groups = new Map<string, number>();
      c.group?.forEach((g, gi) => {
        if (groups.has(g.name)) report(`group[${gi}].name`, `duplicate group name ${JSON.stringify(g.name)}`);
        groups.set(g.name, gi);
        if (g.pool.every((p) => !p.enabled)) report(`group[${gi}].pool`, 'has no enabled pool');
        g.pool.forEach((p, i) => named(p.name, `group[${gi}].pool[${i}].name`));
      });
      if (c.pool && c.pool.every((p) => !p.enabled)) report('pool', 'has no enabled pool');
    },
  },
);

export type AgentConfig = Infer<typeof agentConfigSchema>;

/** The agent config a board-config alone implies (`run --config board.toml`). */
export function defaultAgentConfig(boardRef: string): AgentConfig {
  return {
    kind: undefined,
    version: AGENT_CONFIG_VERSION,
    board: { config: boardRef, frequency_mhz: undefined, voltage: undefined },
    temperature: defaultsOf(AGENT_SECTIONS.temperature),
    fans: defaultsOf(AGENT_SECTIONS.fans),
    log: defaultsOf(AGENT_SECTIONS.log),
    pool: undefined,
    group: undefined,
    pools: defaultsOf(AGENT_SECTIONS.pools),
    api: defaultsOf(AGENT_SECTIONS.api),
    job_declaration: undefined,
    mqtt: undefined,
    webhook: undefined,
    dashboard: defaultsOf(AGENT_SECTIONS.dashboard),
    tuning: defaultsOf(AGENT_SECTIONS.tuning),
  };
}
