/**
 * How long a stop may take, agreed between the agent and its systemd unit.
 *
 * A stop is: the safe state (each power-off step bounded by the board's step timeout), then the fans at
 * the safe duty until the board is cool or `[fans] exit_cool_timeout_s` has passed, then closing pools,
 * chains and APIs. The agent bounds all of it by its own deadline (cool-down + GUARD_MARGIN_S, the exit
 * guard's emergency stop); the unit's TimeoutStopSec= must be longer still, or systemd sends SIGKILL in
 * the middle of the cool-down and marks the unit failed. The installer writes TimeoutStopSec= from the
 * config (unitStopTimeoutS) and passes the same number to the agent as ASIC_AGENT_STOP_TIMEOUT_S, so that
 * a config edited later with a longer cool-down is cut to fit the unit instead of being killed.
 */
import type { RunConfig } from '../config/run-config.js';
import type { Logger } from '../log.js';

/** From the end of the cool-down wait to the agent's own emergency deadline: safe-state steps, closing. */
export const GUARD_MARGIN_S = 15;
/** From the agent's deadline to systemd's SIGKILL: the process exit itself, a slow board, a loaded CPU. */
export const UNIT_MARGIN_S = 15;

/** The agent's own upper bound for a shutdown, ms (the exit guard's hard timeout). */
export function shutdownDeadlineMs(exitCoolTimeoutS: number): number {
  return (exitCoolTimeoutS + GUARD_MARGIN_S) * 1000;
}

/** TimeoutStopSec= for a config's cool-down. */
export function unitStopTimeoutS(exitCoolTimeoutS: number): number {
  return exitCoolTimeoutS + GUARD_MARGIN_S + UNIT_MARGIN_S;
}

/** ASIC_AGENT_STOP_TIMEOUT_S as the unit wrote it, or undefined. */
export function unitStopTimeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const v = Number(env.ASIC_AGENT_STOP_TIMEOUT_S);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/**
 * The config with its cool-down wait cut so that a stop fits in the unit's TimeoutStopSec (when the unit
 * told us). The safe state comes before the wait, so a shorter wait only leaves the fans at the safe duty
 * when the process ends.
 */
export function fitStopToUnit(cfg: RunConfig, unitTimeoutS: number | undefined, log?: Logger): RunConfig {
  if (unitTimeoutS === undefined) return cfg;
  const wanted = cfg.fans.exitCoolTimeoutS;
  if (unitStopTimeoutS(wanted) <= unitTimeoutS) return cfg;
  const fits = Math.max(0, unitTimeoutS - GUARD_MARGIN_S - UNIT_MARGIN_S);
  log?.warn(
    { exitCoolTimeoutS: wanted, unitTimeoutStopSec: unitTimeoutS, coolDownS: fits },
    `the service unit's TimeoutStopSec (${unitTimeoutS} s) is shorter than this config's stop needs (${unitStopTimeoutS(wanted)} s): the exit cool-down is cut to ${fits} s; run the installer again to rewrite the unit`,
  );
  return { ...cfg, fans: { ...cfg.fans, exitCoolTimeoutS: fits } };
}
