/**
 * The safety policy: from one round of readings, decide the thermal level (normal / hot / dangerous)
 * and whether the board must stop, and why. Pure apart from its own timers (fed the sample time), so it
 * is tested with hand-made samples and runs identically under a ManualClock.
 *
 * Readings are screened first: a chip diode's readings in the settle window after a chain left reset are
 * ignored, and a reading outside the plausible range is no temperature at all (a failed sensor).
 *
 * Stops, in order of precedence (each names its reason; docs/board.md lists them):
 * - `overheat`: a chip/board reading at or above `dangerous`, or the regulator at or above `vr_dangerous`,
 *   for `confirmReadings` readings in a row (one hot sample is not enough; the board samples again quickly
 *   while `confirming`, so a real over-temperature still ends in the safe state within a second);
 * - `regulator-fault`: STATUS_WORD fault bits, the output off while commanded on, or no telemetry for
 *   the no-reading timeout;
 * - `vout-out-of-range`: READ_VOUT further than the tolerance from what was set (once settled);
 * - `iout-out-of-range`: READ_IOUT above the board's limit;
 * - `fan-stall` / `too-few-fans`: fewer working fans than `min_fans`, where a fan whose tach stays below
 *   the floor (or unreadable) while its duty is > 0 for `stall_timeout_s` has failed;
 * - `sensor-loss` / `sensor-stuck`: no valid chip/board temperature for `no_reading_timeout_s`.
 * Hot and dangerous apply in every fan mode; fan checks are off only in immersion mode.
 *
 * The timers (no reading, stuck sensor, fan stall) and the hot flag belong to the policy alone: no
 * command resets them (issue 21 D1). Only readings clear a fault, and `powerUpBlocker()` says why a
 * power-up must wait.
 */
import type { RegulatorTelemetry, TemperatureKind } from '../../drivers/i2c/peripheral.js';
import { CONFIRM_READINGS, DIODE_SETTLE_MS, PLAUSIBLE_MAX_C, PLAUSIBLE_MIN_C, type FanSettings, type ThermalLimits } from './thermal-settings.js';

export type StopReason =
  | 'overheat'
  | 'regulator-fault'
  | 'vout-out-of-range'
  | 'iout-out-of-range'
  | 'fan-stall'
  | 'too-few-fans'
  | 'sensor-loss'
  | 'sensor-stuck';

export type ThermalLevel = 'normal' | 'hot' | 'dangerous';

export interface SensorSample {
  id: string;
  kind: TemperatureKind;
  /** A diode on an ASIC's die (readings settle after the chip leaves reset). */
  diode?: boolean;
  /** °C, or null when the read failed. */
  c: number | null;
  raw?: number;
  error?: string;
}

export interface FanSample {
  id: string;
  dutyPct: number;
  /** null when the tach could not be read. */
  rpm: number | null;
  error?: string;
}

export interface RegulatorSample {
  /** We asked for the output to be on. */
  commandedOn: boolean;
  /** Volts we set. */
  expectedVout: number;
  /** The settle time after switching on has passed (VOUT/IOUT checks apply). */
  settled: boolean;
  telemetry: RegulatorTelemetry | null;
  error?: string;
}

export interface BoardSample {
  /** Clock time, ms. */
  t: number;
  /** Power is (or should be) applied to the chains: stuck-sensor detection only counts powered time. */
  powered: boolean;
  temps: SensorSample[];
  fans: FanSample[];
  regulator?: RegulatorSample;
  /** Clock time a chain reset line was last released, ms (undefined: never). */
  resetReleasedAt?: number;
}

export interface PolicyVerdict {
  level: ThermalLevel;
  /** Hottest valid chip/board temperature, °C (what the fan loop regulates). */
  controlC: number | null;
  /** Hottest valid regulator temperature, °C. */
  vrC: number | null;
  stop?: { reason: StopReason; detail: string };
  /** A dangerous reading not yet confirmed: sample again soon. */
  confirming?: boolean;
  /** Individual sensors or fans currently considered failed (for logs and the API). */
  failedSensors: string[];
  failedFans: string[];
}

export interface PowerLimits {
  /** |READ_VOUT − set point| above this is out of range, V. */
  voutToleranceV: number;
  /** READ_IOUT above this is out of range, A. */
  maxIoutA: number;
}

const PROTECTING: ReadonlySet<TemperatureKind> = new Set(['chip', 'board']);

export class ThermalPolicy {
  private hot = false;
  private lastValidTempMs: number;
  private lastRegulatorMs: number;
  private readonly fanBadSince = new Map<string, number>();
  private readonly stuck = new Map<string, { raw: number; since: number }>();
  private lastPoweredMs: number | undefined;
  private dangerStreak = 0;
  private vrDangerStreak = 0;
  private last: PolicyVerdict | undefined;
  /** Chip/board sensors of the last round that gave no usable reading (missing or stuck). */
  private lastBlind: string[] = [];

  constructor(
    private limits: ThermalLimits,
    private fans: FanSettings,
    private power: PowerLimits,
    startMs: number,
  ) {
    this.lastValidTempMs = startMs;
    this.lastRegulatorMs = startMs;
  }

  /** New limits (config reload). Timers keep running. */
  configure(limits: ThermalLimits, fans: FanSettings, power: PowerLimits): void {
    this.limits = limits;
    this.fans = fans;
    this.power = power;
  }

  isHot(): boolean {
    return this.hot;
  }

  /**
   * Why the board must not be powered up now, from what the policy itself last saw; undefined when it
   * may. Nothing outside the policy clears these: only readings do (issue 21 D1). A stop verdict, no
   * valid chip/board temperature, a chip/board sensor missing or stuck, a fan failed or not turning
   * (even before its stall timeout ran out) all refuse.
   */
  powerUpBlocker(): { reason: StopReason; detail: string } | undefined {
    const v = this.last;
    if (!v) return { reason: 'sensor-loss', detail: 'no readings yet' };
    if (v.stop) return v.stop;
    // A dangerous reading still being confirmed (issue 15's N readings in a row) is not yet a stop, but
    // nothing is powered up on it.
    if (v.confirming)
      return { reason: 'overheat', detail: `a dangerous reading is being confirmed (${v.controlC === null ? 'regulator' : `${v.controlC.toFixed(1)} °C`})` };
    if (v.controlC === null)
      return { reason: 'sensor-loss', detail: `no valid chip or board temperature${this.lastBlind.length ? `: ${this.lastBlind.join(', ')}` : ''}` };
    if (this.lastBlind.length > 0) {
      const stuck = this.lastBlind.every((b) => b.endsWith('(stuck)'));
      return { reason: stuck ? 'sensor-stuck' : 'sensor-loss', detail: `temperature missing: ${this.lastBlind.join(', ')}` };
    }
    if (v.failedFans.length > 0) return { reason: 'fan-stall', detail: `fan failed: ${v.failedFans.join(', ')}` };
    if (this.fanBadSince.size > 0) return { reason: 'fan-stall', detail: `fan not turning: ${[...this.fanBadSince.keys()].join(', ')}` };
    return undefined;
  }

  evaluate(s: BoardSample): PolicyVerdict {
    this.lastBlind = [];
    this.last = this.judge(s);
    return this.last;
  }

  private judge(s: BoardSample): PolicyVerdict {
    const L = this.limits;
    const failedSensors: string[] = [];

    // Stuck detection counts only powered time: an idle board may sit at one reading for hours.
    const poweredDt = s.powered && this.lastPoweredMs !== undefined ? s.t - this.lastPoweredMs : 0;
    this.lastPoweredMs = s.powered ? s.t : undefined;

    let controlC: number | null = null;
    let vrC: number | null = null;
    let stuckOnly = false;
    let validProtecting = 0;
    const settling = s.resetReleasedAt !== undefined && s.t - s.resetReleasedAt < (L.diodeSettleMs ?? DIODE_SETTLE_MS);
    const lo = L.plausibleMinC ?? PLAUSIBLE_MIN_C;
    const hi = L.plausibleMaxC ?? PLAUSIBLE_MAX_C;
    for (const r of s.temps) {
      // Neither a reading nor a failure: the diode has not settled since the chip left reset.
      if (r.diode && settling) continue;
      let c = r.c;
      // Plausibility is for chip and board readings (mujina checks its ASIC diode); a regulator's own
      // sensor legitimately reads past 120 °C on its way to its OT fault.
      if (c !== null && PROTECTING.has(r.kind) && (c < lo || c > hi)) {
        failedSensors.push(`${r.id} (implausible ${c.toFixed(1)} °C, outside ${lo}..${hi})`);
        c = null;
      }
      if (c !== null && r.raw !== undefined && L.stuckTimeoutS > 0) {
        const st = this.stuck.get(r.id);
        if (!st || st.raw !== r.raw) this.stuck.set(r.id, { raw: r.raw, since: 0 });
        else st.since += poweredDt;
        const cur = this.stuck.get(r.id);
        if (cur && cur.since >= L.stuckTimeoutS * 1000) {
          failedSensors.push(`${r.id} (stuck at raw ${r.raw} for ${Math.round(cur.since / 1000)} s)`);
          if (PROTECTING.has(r.kind)) {
            stuckOnly = true;
            this.lastBlind.push(`${r.id} (stuck)`);
          }
          c = null;
        }
      }
      if (c === null) {
        if (r.error) failedSensors.push(`${r.id} (${r.error})`);
        if (PROTECTING.has(r.kind) && r.c === null) this.lastBlind.push(r.error ? `${r.id} (${r.error})` : r.id);
        continue;
      }
      if (PROTECTING.has(r.kind)) {
        validProtecting++;
        controlC = controlC === null ? c : Math.max(controlC, c);
      } else if (r.kind === 'vr') {
        vrC = vrC === null ? c : Math.max(vrC, c);
      }
    }
    if (validProtecting > 0) {
      this.lastValidTempMs = s.t;
      stuckOnly = false;
    }

    // Hot with hysteresis, on chip/board and on the regulator.
    const hotNow = (controlC !== null && controlC >= L.hotC) || (vrC !== null && vrC >= L.vrHotC);
    const coolEnough = (controlC === null || controlC < L.hotC - L.hotHysteresisC) && (vrC === null || vrC < L.vrHotC - L.hotHysteresisC);
    if (hotNow) this.hot = true;
    else if (coolEnough) this.hot = false;

    const verdict: PolicyVerdict = { level: this.hot ? 'hot' : 'normal', controlC, vrC, failedSensors, failedFans: [] };
    const stop = (reason: StopReason, detail: string): PolicyVerdict => {
      verdict.stop = { reason, detail };
      return verdict;
    };

    const confirm = L.confirmReadings ?? CONFIRM_READINGS;
    this.dangerStreak = controlC !== null && controlC >= L.dangerousC ? this.dangerStreak + 1 : 0;
    this.vrDangerStreak = vrC !== null && vrC >= L.vrDangerousC ? this.vrDangerStreak + 1 : 0;
    if (controlC !== null && this.dangerStreak >= confirm) {
      verdict.level = 'dangerous';
      return stop('overheat', `${controlC.toFixed(1)} °C is at or above dangerous ${L.dangerousC} °C (${this.dangerStreak} readings in a row)`);
    }
    if (vrC !== null && this.vrDangerStreak >= confirm) {
      verdict.level = 'dangerous';
      return stop('overheat', `regulator ${vrC.toFixed(1)} °C is at or above its dangerous ${L.vrDangerousC} °C (${this.vrDangerStreak} readings in a row)`);
    }
    // Not confirmed yet: hot meanwhile (fans to 100 %), and sample again soon.
    if (this.dangerStreak > 0 || this.vrDangerStreak > 0) verdict.confirming = true;

    const reg = s.regulator;
    if (reg) {
      const tel = reg.telemetry;
      // The no-telemetry timer runs only while the output is commanded on: before the first power-up the
      // driver is not initialised and reads nothing, and a power-up must not inherit that silence.
      if (tel || !reg.commandedOn) this.lastRegulatorMs = s.t;
      if (tel && tel.faults.length > 0)
        return stop('regulator-fault', `regulator reports ${tel.faults.join(', ')} (STATUS_WORD 0x${tel.status.toString(16).padStart(4, '0')})`);
      if (!tel && reg.commandedOn && s.t - this.lastRegulatorMs >= L.noReadingTimeoutS * 1000) {
        return stop('regulator-fault', `no regulator telemetry for ${Math.round((s.t - this.lastRegulatorMs) / 1000)} s${reg.error ? ` (${reg.error})` : ''}`);
      }
      if (tel && reg.commandedOn && reg.settled) {
        if (tel.off)
          return stop('regulator-fault', `regulator output is off although it was switched on (STATUS_WORD 0x${tel.status.toString(16).padStart(4, '0')})`);
        if (Math.abs(tel.vout - reg.expectedVout) > this.power.voutToleranceV) {
          return stop('vout-out-of-range', `VOUT ${tel.vout.toFixed(3)} V, set ${reg.expectedVout.toFixed(3)} V, tolerance ±${this.power.voutToleranceV} V`);
        }
      }
      if (tel && tel.iout > this.power.maxIoutA)
        return stop('iout-out-of-range', `IOUT ${tel.iout.toFixed(2)} A is above the board's ${this.power.maxIoutA} A`);
    }

    if (this.fans.mode !== 'immersion') {
      const failed: string[] = [];
      let stalled = false;
      for (const f of s.fans) {
        const bad = f.dutyPct > 0 && (f.rpm === null || f.rpm < this.fans.stallRpm);
        if (!bad) {
          this.fanBadSince.delete(f.id);
          continue;
        }
        const since = this.fanBadSince.get(f.id) ?? s.t;
        this.fanBadSince.set(f.id, since);
        if (s.t - since >= this.fans.stallTimeoutS * 1000) {
          failed.push(
            f.rpm === null ? `${f.id} (tach unreadable${f.error ? `: ${f.error}` : ''})` : `${f.id} (${Math.round(f.rpm)} rpm at ${f.dutyPct} % duty)`,
          );
          if (f.rpm !== null) stalled = true;
        }
      }
      verdict.failedFans = failed;
      const working = s.fans.length - failed.length;
      if (working < this.fans.minFans) {
        const detail = `${working} working fan${working === 1 ? '' : 's'}, ${this.fans.minFans} required${failed.length ? `; failed: ${failed.join(', ')}` : ''}`;
        return stop(stalled ? 'fan-stall' : 'too-few-fans', detail);
      }
    }

    if (s.t - this.lastValidTempMs >= L.noReadingTimeoutS * 1000) {
      const secs = Math.round((s.t - this.lastValidTempMs) / 1000);
      const why = failedSensors.length ? `: ${failedSensors.join(', ')}` : '';
      return stop(stuckOnly ? 'sensor-stuck' : 'sensor-loss', `no valid chip or board temperature for ${secs} s${why}`);
    }
    return verdict;
  }
}
