/** Thermal settings used by the policy and fan-control unit tests (the sim-bm1370 defaults). */
import type { FanSettings, ThermalLimits } from '../../src/thermal/thermal-settings.js';

export const LIMITS: ThermalLimits = {
  targetC: 60,
  hotC: 70,
  dangerousC: 75,
  coolC: 45,
  vrHotC: 95,
  vrDangerousC: 105,
  hotHysteresisC: 2,
  noReadingTimeoutS: 10,
  stuckTimeoutS: 300,
  hotStepS: 30,
  restart: false,
  restartDelayS: 60,
};

export const FANS: FanSettings = {
  mode: 'auto',
  manualDuty: 70,
  minDuty: 20,
  maxDuty: 100,
  minFans: 1,
  rampUpPctPerS: 20,
  rampDownPctPerS: 5,
  safeDuty: 100,
  stallRpm: 300,
  stallTimeoutS: 5,
  pauseRampDownS: 60,
  exitCoolTimeoutS: 60,
  pid: { kp: 4, ki: 0.15, kd: 0 },
};
