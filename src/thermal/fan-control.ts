/**
 * Fan duty for every phase of the board, per mode (Braiins OS+ cooling modes, docs/board.md "Thermal
 * control"):
 * - `auto`: a PID toward the target temperature, clamped to [min, max] duty and rate-limited by the
 *   ramp settings;
 * - `manual`: a fixed duty;
 * - `immersion`: no fans (duty 0 always).
 * Safety overrides are immediate and apply in auto and manual alike: `hot` or an unknown temperature
 * means 100 %. Paused boards ramp from their last duty down to the minimum on a timer (curtailment),
 * and stopped boards hold the safe duty until cool, then the minimum — never "100 % forever".
 */
import { Pid } from './pid.js';
import type { FanSettings, ThermalLimits } from './thermal-settings.js';

export class FanController {
  private duty: number;
  private lastMs: number | undefined;
  private readonly pid: Pid;
  private pauseFrom: { ms: number; duty: number } | undefined;

  constructor(
    private settings: FanSettings,
    limits: ThermalLimits,
  ) {
    this.pid = new Pid(settings.pid, limits.targetC, settings.minDuty, settings.maxDuty);
    // Start the loop from the maximum: the first readings decide how far down to go.
    this.duty = settings.mode === 'immersion' ? 0 : settings.maxDuty;
    this.pid.reset(this.duty);
  }

  /** Applies new settings (config reload) without a jump in duty. */
  configure(settings: FanSettings, limits: ThermalLimits): void {
    this.settings = settings;
    this.pid.gains = settings.pid;
    this.pid.setpoint = limits.targetC;
    this.pid.outMin = settings.minDuty;
    this.pid.outMax = settings.maxDuty;
    this.pid.reset(this.duty);
  }

  current(): number {
    return this.duty;
  }

  private set(d: number, nowMs: number): number {
    this.duty = Math.round(Math.min(100, Math.max(0, d)) * 10) / 10;
    this.lastMs = nowMs;
    return this.duty;
  }

  /** Hashing: the mode's duty, or 100 % when hot or when no temperature is known. */
  running(controlC: number | null, hot: boolean, nowMs: number): number {
    this.pauseFrom = undefined;
    const s = this.settings;
    if (s.mode === 'immersion') return this.set(0, nowMs);
    if (hot || controlC === null) {
      this.pid.reset(100);
      return this.set(100, nowMs);
    }
    if (s.mode === 'manual') return this.set(s.manualDuty, nowMs);
    const dtS = this.lastMs === undefined ? 0 : (nowMs - this.lastMs) / 1000;
    const want = this.pid.update(controlC, dtS);
    // Ramp limits smooth the PID's own moves; they never slow a safety override (above).
    const up = s.rampUpPctPerS * dtS;
    const down = s.rampDownPctPerS * dtS;
    const next = Math.min(this.duty + up, Math.max(this.duty - down, want));
    // Coming down from an override above max, the duty first drops to the configured maximum.
    return this.set(Math.min(s.maxDuty, Math.max(s.minDuty, next)), nowMs);
  }

  /** Paused (curtailment): ramp linearly from the duty at pause time to the minimum over pauseRampDownS. */
  paused(hot: boolean, nowMs: number): number {
    const s = this.settings;
    if (s.mode === 'immersion') return this.set(0, nowMs);
    if (hot) {
      this.pauseFrom = { ms: nowMs, duty: 100 };
      return this.set(100, nowMs);
    }
    if (!this.pauseFrom) this.pauseFrom = { ms: nowMs, duty: this.duty };
    const floor = s.mode === 'manual' ? Math.min(s.manualDuty, s.minDuty) : s.minDuty;
    const frac = s.pauseRampDownS <= 0 ? 1 : Math.min(1, (nowMs - this.pauseFrom.ms) / (s.pauseRampDownS * 1000));
    const d = this.pauseFrom.duty + (floor - this.pauseFrom.duty) * frac;
    this.pid.reset(d);
    return this.set(d, nowMs);
  }

  /** Stopped (safe state): the safe duty until cool, then the minimum. */
  safe(cool: boolean, nowMs: number): number {
    this.pauseFrom = undefined;
    const s = this.settings;
    if (s.mode === 'immersion') return this.set(0, nowMs);
    const d = cool ? s.minDuty : s.safeDuty;
    this.pid.reset(d);
    return this.set(d, nowMs);
  }
}
