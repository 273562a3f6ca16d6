/**
 * The physical side of a simulated board, kept apart from any register map: one thermal node (the
 * hashboard with its chips and heatsink), fans with a tachometer that follows the duty with a lag, and
 * sensor fault flags. The register-level device models read from it; SimBoard integrates it over time.
 *
 * Thermal node: C·dT/dt = P − G·(T − T_ambient), G = G_passive + G_fan × (mean fan speed / max speed).
 * Units: J/°C, W, W/°C. Simple, but enough to give the PID something real to settle and to make
 * "fans off + power on" overheat at a believable rate.
 */

export interface ThermalConstants {
  ambientC: number;
  /** Heat capacity of board + heatsink, J/°C. */
  heatCapacity: number;
  /** Conductance to ambient with no airflow, W/°C. */
  passiveConductance: number;
  /** Extra conductance at full fan speed, W/°C. */
  fanConductance: number;
}

export class ThermalNode {
  temperatureC: number;
  constructor(readonly k: ThermalConstants) {
    this.temperatureC = k.ambientC;
  }
  /** Advances by `dtS` seconds with `powerW` heating the node and airflow fraction 0..1. */
  step(dtS: number, powerW: number, airflow: number): void {
    const g = this.k.passiveConductance + this.k.fanConductance * Math.min(1, Math.max(0, airflow));
    this.temperatureC += (dtS * (powerW - g * (this.temperatureC - this.k.ambientC))) / this.k.heatCapacity;
  }
  /** The steady-state temperature for a given power and airflow (used by tests and docs). */
  steadyStateC(powerW: number, airflow: number): number {
    const g = this.k.passiveConductance + this.k.fanConductance * Math.min(1, Math.max(0, airflow));
    return this.k.ambientC + powerW / g;
  }
}

export class SimFan {
  /** Commanded duty 0..1. */
  duty = 0;
  rpm = 0;
  stalled = false;
  constructor(
    readonly maxRpm: number,
    /** Time constant of the rotor following a duty change, s. */
    readonly tauS: number,
  ) {}
  targetRpm(): number {
    return this.stalled ? 0 : this.maxRpm * this.duty;
  }
  step(dtS: number): void {
    // A seized rotor stops in a fraction of a second; a free one follows the duty with the fan's lag.
    const tau = this.stalled ? Math.min(this.tauS, 0.3) : this.tauS;
    const target = this.targetRpm();
    this.rpm += (target - this.rpm) * (1 - Math.exp(-dtS / tau));
    if (Math.abs(this.rpm - target) < 0.5) this.rpm = target;
  }
  airflow(): number {
    return this.rpm / this.maxRpm;
  }
}

/** Fault flags for one simulated sensor. */
export interface SimSensorFaults {
  /** The sensor does not answer (NACK) or reports an open diode. */
  lost: boolean;
  /** The sensor answers with the same raw value forever. */
  stuck: boolean;
}

/** A small deterministic PRNG (xorshift32) so sensor noise is reproducible from a seed. */
export class Noise {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 0x1_0000_0000;
  }
  /** Uniform in [−amplitude, +amplitude]. */
  jitter(amplitude: number): number {
    return (this.next() * 2 - 1) * amplitude;
  }
}
