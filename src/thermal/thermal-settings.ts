/**
 * The settings the thermal policy and the fan controller run on, already merged from the board-config
 * (hardware defaults and ceilings) and the agent config (the miner's choices). See docs/board.md.
 */
import type { PidGains } from './pid.js';

export type FanMode = 'auto' | 'manual' | 'immersion';

export interface ThermalLimits {
  /** The fan loop aims here (auto mode). */
  targetC: number;
  /** At or above: fans to 100 % and ask the miner to lower its frequency. */
  hotC: number;
  /** At or above: stop hashing and cut power. */
  dangerousC: number;
  /** After a stop, fans stay at the safe duty until every reading is at or below this, then drop to minimum. */
  coolC: number;
  /** Regulator temperature limits (board-config): hot → fans 100 %, dangerous → stop. */
  vrHotC: number;
  vrDangerousC: number;
  /** Below `hotC` by this much before `hot` is left (hysteresis). */
  hotHysteresisC: number;
  /** No valid chip/board temperature for this long → stop. */
  noReadingTimeoutS: number;
  /** A sensor whose raw value has not changed at all for this long while powered is treated as failed; 0 = off. */
  stuckTimeoutS: number;
  /** While hot, ask for another frequency step this often. */
  hotStepS: number;
  /** Restart after an overheat stop once cool (never after other faults). */
  restart: boolean;
  /** And not sooner than this after the stop. */
  restartDelayS: number;
  /**
   * A chip diode's readings are ignored for this long after a chain leaves reset (default 500 ms, mujina
   * bitaxe.rs DIODE_SETTLE @1a69ef40f7ec: the reset transient corrupts the first conversions).
   */
  diodeSettleMs?: number;
  /** A temperature must be dangerous this many readings in a row to stop the board (default 3, mujina BAD_READING_LIMIT). */
  confirmReadings?: number;
  /** Readings outside this range are not temperatures (default 0..120 °C, mujina EXPECTED_MIN_C/MAX_C). */
  plausibleMinC?: number;
  plausibleMaxC?: number;
}

export const DIODE_SETTLE_MS = 500;
export const CONFIRM_READINGS = 3;
export const PLAUSIBLE_MIN_C = 0;
export const PLAUSIBLE_MAX_C = 120;

export interface FanSettings {
  mode: FanMode;
  /** Manual mode duty, %. */
  manualDuty: number;
  minDuty: number;
  maxDuty: number;
  /** Fewer working fans than this → stop (not checked in immersion mode). */
  minFans: number;
  /** Largest duty change per second the PID may ask for (safety overrides are immediate). */
  rampUpPctPerS: number;
  rampDownPctPerS: number;
  /** Duty after a stop until the board is cool. */
  safeDuty: number;
  /** Tach below this while duty > 0 counts as a failed fan. */
  stallRpm: number;
  /** For this long. */
  stallTimeoutS: number;
  /** Pause (curtailment): fans ramp from their last duty to the minimum over this long. */
  pauseRampDownS: number;
  /** On exit, wait at most this long for the board to cool before dropping the fans to minimum. */
  exitCoolTimeoutS: number;
  pid: PidGains;
}
