/**
 * Performance scaling (what Braiins OS calls Dynamic Performance Scaling): while the thermal policy says
 * hot, every hot step (the board asks at `[temperature] hot_step_s`) takes the power cap one step below
 * the power drawn then, down to a floor; once the board has been cool (not hot) for `cool_step_s`, the
 * cap goes back up one step at a time, and off again when it no longer binds. The tuner applies the cap
 * like a power target (it only ever lowers clocks to meet it); the thermal policy itself keeps every
 * other power of its own (fans at 100 % when hot, the safe state when dangerous).
 */

export interface ScalingStatus {
  active: boolean;
  /** The cap in force, W (undefined when inactive). */
  capW: number | undefined;
  /** Steps taken down since it became active (net of steps back up). */
  steps: number;
}

export class PerformanceScaling {
  private cap: number | undefined;
  private steps = 0;
  private lastHotAt = -Infinity;
  private lastUpAt = -Infinity;
  /** The power drawn before the first step: above it the cap no longer binds. */
  private before = 0;

  /** `stepW` / `floorW` of 0: 5 % / 30 % of the power drawn when scaling starts. */
  constructor(
    private stepW: number,
    private floorW: number,
    private coolMs: number,
  ) {}

  private step(): number {
    return this.stepW > 0 ? this.stepW : 0.05 * this.before;
  }

  private floor(): number {
    return this.floorW > 0 ? this.floorW : 0.3 * this.before;
  }

  configure(stepW: number, floorW: number, coolMs: number): void {
    this.stepW = stepW;
    this.floorW = floorW;
    this.coolMs = coolMs;
  }

  /** The board is hot and asks for less: one step below what it draws now. */
  stepDown(now: number, watts: number | undefined): void {
    this.lastHotAt = now;
    const from = this.cap ?? watts;
    if (from === undefined) return;
    if (this.cap === undefined) this.before = watts ?? from;
    const next = Math.max(this.floor(), Math.min(from, watts ?? from) - this.step());
    if (this.cap !== undefined && next >= this.cap) return;
    this.cap = next;
    this.steps++;
  }

  /** Called every round with the thermal verdict; steps back up once cool long enough. */
  update(now: number, hot: boolean): void {
    if (hot) {
      this.lastHotAt = now;
      return;
    }
    if (this.cap === undefined) return;
    if (now - this.lastHotAt < this.coolMs || now - this.lastUpAt < this.coolMs) return;
    this.lastUpAt = now;
    this.cap += this.step();
    this.steps--;
    if (this.cap >= this.before + this.step() || this.steps <= 0) this.reset();
  }

  reset(): void {
    this.cap = undefined;
    this.steps = 0;
  }

  capW(): number | undefined {
    return this.cap;
  }

  status(): ScalingStatus {
    return { active: this.cap !== undefined, capW: this.cap, steps: this.steps };
  }
}
