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
}

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
