/**
 * A PID controller for the fan loop. Reverse-acting for cooling: a temperature above the setpoint must
 * raise the output, so the error is measured − setpoint. Time comes from the caller (seconds between
 * updates), so the controller is a pure state machine that runs the same under a ManualClock.
 *
 * - Derivative on the measurement, not the error, so a setpoint change does not kick the output.
 * - Anti-windup by clamping: the integral stops growing while the output is saturated in that direction.
 * - `reset(output)` makes the next output continue from `output` (bumpless hand-over from a fixed duty).
 */

export interface PidGains {
  kp: number;
  ki: number;
  kd: number;
}

export class Pid {
  private integral = 0;
  private lastMeasured: number | undefined;

  constructor(
    public gains: PidGains,
    public setpoint: number,
    public outMin: number,
    public outMax: number,
  ) {}

  /** Makes the controller's next output continue from `output` at zero error. */
  reset(output: number): void {
    this.integral = Math.min(this.outMax, Math.max(this.outMin, output));
    this.lastMeasured = undefined;
  }

  /** One step: `measured` now, `dtS` seconds since the previous step. Returns the clamped output. */
  update(measured: number, dtS: number): number {
    const e = measured - this.setpoint;
    const d = this.lastMeasured === undefined || dtS <= 0 ? 0 : (measured - this.lastMeasured) / dtS;
    this.lastMeasured = measured;
    const p = this.gains.kp * e;
    const dTerm = this.gains.kd * d;
    const candidate = this.integral + this.gains.ki * e * Math.max(0, dtS);
    const unclamped = p + candidate + dTerm;
    // Integrate only while that does not push a saturated output further out.
    if (!((unclamped > this.outMax && e > 0) || (unclamped < this.outMin && e < 0))) this.integral = candidate;
    this.integral = Math.min(this.outMax, Math.max(this.outMin, this.integral));
    return Math.min(this.outMax, Math.max(this.outMin, p + this.integral + dTerm));
  }
}
