/**
 * The autotuner: per-chip clocks and one rail voltage for the whole board, to a power target, a hashrate
 * target or the lowest joules per terahash, on the injected clock (docs/tuning.md).
 *
 * The method, in rounds:
 *   1. At a rail voltage, every chip searches its own edge (chip-search.ts): it climbs while its nonces
 *      stay sound and stops one resolution below the first clock that is not. Chips climb only while the
 *      target leaves room (power, or hashrate): a chip the target stops is "held" below its edge.
 *   2. When every chip has settled, the round's readings decide: too much room left (power well under the
 *      target, no chip held) → a higher voltage; the target binding with many chips held below their edges
 *      → a lower one; otherwise this voltage. The next voltage is predicted from what the rounds taught
 *      (power-model.ts); the first move aims short, so that the second round measures how the edges move.
 *      In efficiency mode the rounds walk the voltage while joules per terahash keep falling, then return
 *      to the best one.
 *   3. At the chosen voltage each chip's clock is verified with Wald's test (stepping down alone if it fails);
 *      then the clocks are trimmed together (a common factor below each chip's ceiling) until the power
 *      (or hashrate) sits within the tolerance of the target: tuned. The profile is saved.
 *   4. Tuned, the same test keeps watching every chip; one that turns unstable steps down alone; when too
 *      many have (drift), or the target changes, the tuner starts over from where it is.
 * Rail writes go up before clocks rise and down after clocks fall. Safety keeps authority: over the
 * target the clocks are cut at once; while the thermal policy says hot nothing goes up, and performance
 * scaling (performance-scaling.ts) lowers the power cap at every hot step.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { logger, type Logger } from '../log.js';
import { TypedEmitter } from '../typed-emitter.js';
import { ChipTune, type CeilingKind, type ChipStage } from './chip-search.js';
import { clockWithin, voltsWithin } from './clock-limits.js';
import { PerformanceScaling, type ScalingStatus } from './performance-scaling.js';
import { PowerModel, heldShare, isComplete, type ClockKind, type RoundRecord } from './power-model.js';
import { bestVolts, predict, type PlanTarget } from './voltage-plan.js';
import { profileFor, targetValue, type BoardIdentity, type TuningProfile } from './profile.js';
import type { ProfileStore } from './profile-store.js';
import type { ChipCount, TunedBoard, TunedChain, TunerTarget } from './tuner-ports.js';
import type { TunerSettings } from './tuner-settings.js';

export type TunerState = 'off' | 'waiting' | 'tuning' | 'tuned' | 'paused';
export type TunerStep = 'start' | 'search' | 'verify' | 'trim' | 'watch';

export interface TunerChipStatus {
  mhz: number;
  ceilingMhz: number | null;
  stage: ChipStage;
  kind: CeilingKind | null;
}

export interface TunerStatus {
  state: TunerState;
  step: TunerStep;
  mode: TunerTarget['mode'];
  /** Watts or TH/s of the target (none in efficiency mode). */
  target: number | null;
  /** The power cap in force (target or performance scaling), W. */
  capW: number | null;
  scaling: ScalingStatus;
  volts: number;
  watts: number | null;
  /** What the clocks should give, H/s. */
  expectedHs: number;
  chips: { total: number; set: number; searching: number; failed: number; drifted: number };
  rounds: number;
  /** Clock time (ms) tuning began, and when it first reached the target. */
  startedAt: number | null;
  convergedAt: number | null;
  profile: { source: 'saved' | 'tuned' | null; savedAt: number | null; error: string | null };
  chains: { index: number; chips: TunerChipStatus[] }[];
}

export type TunerEvents = {
  state: [TunerStatus];
  tuned: [TunerStatus];
};

export interface TunerOptions {
  clock: Clock;
  chains: TunedChain[];
  board: TunedBoard;
  settings: TunerSettings;
  log?: Logger;
  store?: ProfileStore;
  /** The board as its chains report it (undefined until every chain has come up once). */
  identity?: () => BoardIdentity | undefined;
  /** The board-config's name (profiles are filed under it). */
  boardName?: string;
}

/** A power reading taken this long after the last change reflects it (the board samples every 500 ms). */
const FRESH_MS = 1200;
/** A move's first guess for the clocks sits this far below the predicted edge. */
const MOVE_MARGIN = 0.97;
/** Trimmed below this share of the edges, the tuner looks for a lower rail. */
const DEEP_TRIM = 0.85;
/** Rounds before the tuner settles for the voltage it is at. */
const MAX_ROUNDS = 10;
/** Fresh readings in a row within the band before the trim counts as done. */
const IN_BAND = 3;
/** Efficiency mode walks the voltage in this many grid steps. */
const EFFICIENCY_STEPS = 4;

interface Visit {
  jPerTh: number;
  clocks: number[][];
  steady: boolean;
}

export class Tuner extends TypedEmitter<TunerEvents> {
  private s: TunerSettings;
  private readonly clock: Clock;
  private readonly log: Logger;
  private chips: ChipTune[][] = [];
  private epochs: number[] = [];
  private timer: TimerHandle | undefined;
  private busy = false;
  private state: TunerState = 'off';
  /** What it was doing before a pause or a stop of the board: resumed with it. */
  private activeState: 'tuning' | 'tuned' = 'tuning';
  private step: TunerStep = 'start';
  private volts: number;
  private c = 1;
  private lastChangeAt = -Infinity;
  private railAt = -Infinity;
  /** The clocks' sum after each change (to tell what a power reading already includes). */
  private sumLog: { t: number; sum: number }[] = [];
  /** Temperature readings of the last minutes (settling before a verification). */
  private temps: { t: number; c: number }[] = [];
  private inBand = 0;
  private slack = 0;
  private rounds = 0;
  private startedAt: number | null = null;
  private convergedAt: number | null = null;
  private driftBase = 0;
  private readonly model = new PowerModel();
  private readonly visits = new Map<number, Visit>();
  private lastVisit: number | undefined;
  /** The round's decision was to stay at this voltage (waiting to verify). */
  private staying = false;
  /** The present round began with the temperature settled. */
  private roundSettled = false;
  /** Planned again once after the verification fell short of the target. */
  private replanned = false;
  /** Why the rail is to be planned again at the next fresh reading. */
  private pendingReplan: string | undefined;
  private roundsSincePlan = 0;
  private readonly scaling: PerformanceScaling;
  private paused = false;
  private held = new Set<ChipTune>();
  private profileSource: 'saved' | 'tuned' | null = null;
  private profileSavedAt: number | null = null;
  private profileError: string | null = null;
  /** Profiles saved in this run (what a board without a store remembers). */
  private readonly memory: TuningProfile[] = [];
  private lastStatus = '';
  /** Writes the tuner made, and any that left the limits (none may: counted to prove it). */
  readonly writes = { clocks: 0, rails: 0, outside: 0 };

  constructor(private readonly o: TunerOptions) {
    super();
    this.s = o.settings;
    this.clock = o.clock;
    this.log = o.log ?? logger('tuning');
    this.volts = o.board.volts();
    this.scaling = new PerformanceScaling(this.s.powerStepW, this.s.minPowerW, this.s.coolStepS * 1000);
  }

  // ---- life --------------------------------------------------------------------------------------------

  start(): void {
    if (this.timer) return;
    this.setState('waiting');
    this.timer = this.clock.setInterval(() => void this.tick(), this.s.tickMs);
  }

  stop(): void {
    this.clock.clearInterval(this.timer);
    this.timer = undefined;
    this.setState('off');
  }

  /** Curtailment: the agent pauses the board; the tuner keeps what it learnt and reports 'paused'. */
  setPaused(p: boolean): void {
    this.paused = p;
    this.setState(p ? 'paused' : 'waiting');
  }

  /** A new target (API or reload): the tuner starts over from where it stands. */
  setTarget(t: TunerTarget): void {
    const same = t.mode === this.s.target.mode && targetValue(t) === targetValue(this.s.target);
    this.s = { ...this.s, target: t };
    if (same) return;
    this.log.info({ mode: t.mode, target: targetValue(t) ?? null }, 'new tuning target');
    this.scaling.reset();
    this.visits.clear();
    this.lastVisit = undefined;
    this.convergedAt = null;
    this.profileSource = null;
    if (this.chips.length > 0 && this.step !== 'start') this.warmRestart('target changed');
  }

  /** New limits or constants (reload); the target goes through setTarget. */
  configure(s: TunerSettings): void {
    const target = s.target;
    this.s = { ...s, target: this.s.target };
    this.scaling.configure(s.powerStepW, s.minPowerW, s.coolStepS * 1000);
    this.setTarget(target);
  }

  get settings(): TunerSettings {
    return this.s;
  }

  /**
   * The thermal policy's hot step (the board asks every `hot_step_s` while hot): the power cap goes one
   * step below what the board draws now, and the clocks follow at the next round.
   */
  onHot(): void {
    const p = this.o.board.power();
    this.scaling.stepDown(this.clock.now(), p?.watts);
    this.log.warn({ capW: this.scaling.capW() ?? null, watts: p?.watts ?? null }, 'hot: power cap stepped down');
  }

  /** The voltage the board should power up at (a saved profile's, or the search's starting point). */
  initialVolts(): number {
    const p = this.profileFromStore();
    return p ? voltsWithin(p.volts, this.s.limits, 1e-6) : this.startVolts();
  }

  /** The clock a chain should be brought up at (the lowest of its profile's, or the search's start). */
  bringUpMhz(chain: number): number {
    const p = this.profileFromStore();
    const clocks = p?.mhz[chain];
    if (clocks && clocks.length > 0) return Math.max(this.s.limits.minMhz, Math.min(...clocks));
    return this.startMhz(this.startVolts());
  }

  // ---- status ------------------------------------------------------------------------------------------

  status(): TunerStatus {
    const all = this.chips.flat();
    const t = this.s.target;
    const p = this.o.board.power();
    return {
      state: this.state,
      step: this.step,
      mode: t.mode,
      target: targetValue(t) ?? null,
      capW: this.capW() ?? null,
      scaling: this.scaling.status(),
      volts: this.volts,
      watts: p?.watts ?? null,
      expectedHs: this.expectedHs(),
      chips: {
        total: all.length,
        set: all.filter((c) => c.stage === 'set').length,
        searching: all.filter((c) => c.stage === 'search' || c.stage === 'ready' || c.stage === 'verify').length,
        failed: all.filter((c) => c.stage === 'failed').length,
        drifted: all.reduce((n, c) => n + c.drifts, 0),
      },
      rounds: this.rounds,
      startedAt: this.startedAt,
      convergedAt: this.convergedAt,
      profile: { source: this.profileSource, savedAt: this.profileSavedAt, error: this.profileError },
      chains: this.chips.map((cs, index) => ({
        index,
        chips: cs.map((c) => ({ mhz: c.mhz, ceilingMhz: c.ceiling ?? null, stage: c.stage, kind: c.kind ?? null })),
      })),
    };
  }

  /** Per chain, per chip, the clocks now (for profiles and the bench). */
  clocks(): number[][] {
    return this.chips.map((cs) => cs.map((c) => c.mhz));
  }

  private setState(s: TunerState): void {
    if (s === 'tuning' || s === 'tuned') this.activeState = s;
    if (s === this.state) return;
    this.state = s;
    this.log.info({ state: s, step: this.step, volts: this.volts }, `tuner ${s}`);
    this.emit('state', this.status());
  }

  private setStep(s: TunerStep): void {
    if (s === this.step) return;
    this.step = s;
    this.log.debug({ step: s, volts: this.volts, c: this.c }, 'tuning step');
  }

  // ---- helpers -----------------------------------------------------------------------------------------

  private capW(): number | undefined {
    const t = this.s.target;
    const own = t.mode === 'power' ? t.watts : undefined;
    const dps = this.scaling.capW();
    if (own === undefined) return dps;
    return dps === undefined ? own : Math.min(own, dps);
  }

  private startVolts(): number {
    return voltsWithin(this.s.limits.minVolts, this.s.limits, this.s.voltsStep) < this.s.limits.minVolts
      ? this.s.limits.minVolts
      : voltsWithin(this.s.limits.minVolts, this.s.limits, this.s.voltsStep);
  }

  /** A first clock at `volts`: the default clock scaled by V² (edges move faster than that) less 10 %. */
  private startMhz(volts: number): number {
    const l = this.s.limits;
    return Math.min(l.maxMhz, Math.max(l.minMhz, l.defaultMhz * (volts / l.defaultVolts) ** 2 * 0.9));
  }

  private clockFor(chain: number, mhz: number): number {
    const ch = this.o.chains[chain] as TunedChain;
    return clockWithin(mhz, this.s.limits, (m) => ch.reachable(m));
  }

  private rate(ct: ChipTune): number {
    const ch = this.o.chains[ct.chain] as TunedChain;
    return (ct.mhz * ch.hashesPerMhz()) / (2 ** 32 * ch.ticketDifficulty());
  }

  private active(): ChipTune[] {
    return this.chips.flat().filter((c) => c.stage !== 'failed');
  }

  private sumMhz(): number {
    return this.chips.flat().reduce((s, c) => s + c.mhz, 0);
  }

  private expectedHs(): number {
    let h = 0;
    this.chips.forEach((cs, i) => {
      const hpm = this.o.chains[i]?.hashesPerMhz() ?? 0;
      for (const c of cs) if (c.stage !== 'failed') h += c.mhz * hpm;
    });
    return h;
  }

  private freshPower(): number | undefined {
    const p = this.o.board.power();
    if (!p || p.at < this.lastChangeAt + FRESH_MS) return undefined;
    return p.watts;
  }

  /**
   * The power now: the last reading, plus what the clock changes made since it was taken are estimated
   * to add (changes within a sample period of the reading count as not yet in it). Undefined after a rail
   * change until a reading shows it.
   */
  private powerNow(): number | undefined {
    const p = this.o.board.power();
    if (!p || p.at < this.railAt + FRESH_MS) return undefined;
    const before = p.at - FRESH_MS / 2;
    let sumAt: number | undefined;
    for (const e of this.sumLog) if (e.t <= before) sumAt = e.sum;
    const now = this.sumMhz();
    if (sumAt === undefined) return p.at >= this.lastChangeAt + FRESH_MS ? p.watts : undefined;
    const perMhz = (p.watts * (1 - this.model.leakShare())) / Math.max(1, sumAt);
    return p.watts + perMhz * (now - sumAt);
  }

  private noteTemperature(now: number): boolean {
    const c = this.o.board.tempC();
    if (c !== null) this.temps.push({ t: now, c });
    const span = this.s.settleS * 1000;
    while (this.temps.length > 0 && (this.temps[0] as { t: number }).t < now - span - 5000) this.temps.shift();
    const recent = this.temps.filter((x) => x.t >= now - span);
    if (recent.length === 0 || (recent[0] as { t: number }).t > now - span + 2000) return false;
    const cs = recent.map((x) => x.c);
    return Math.max(...cs) - Math.min(...cs) <= 2 * this.s.settleC;
  }

  /** The saved profile for the present target and board (the board-config's name, until the chains report). */
  private profileFromStore(): TuningProfile | undefined {
    let profiles: TuningProfile[] = this.memory;
    const store = this.o.store;
    if (store) {
      const got = store.load(this.boardName());
      if (got.error && got.error !== this.profileError) {
        this.profileError = got.error;
        this.log.warn({ err: got.error }, 'tuning profiles not readable');
      }
      profiles = [...got.profiles, ...this.memory];
    }
    const id = this.o.identity?.();
    if (id) return profileFor(profiles, id, this.s.target);
    const tv = targetValue(this.s.target);
    return profiles.filter((p) => p.mode === this.s.target.mode && p.target === tv).sort((a, b) => b.savedAt - a.savedAt)[0];
  }

  private boardName(): string {
    return this.o.identity?.()?.board ?? this.o.boardName ?? 'board';
  }

  // ---- writes ------------------------------------------------------------------------------------------

  private async writeClock(ct: ChipTune, mhz: number): Promise<void> {
    const ch = this.o.chains[ct.chain] as TunedChain;
    const want = this.clockFor(ct.chain, mhz);
    if (Math.abs(want - ct.mhz) < 1e-6) return;
    if (!ch.running()) return;
    this.writes.clocks++;
    const got = await ch.setChipMhz(ct.chip, want);
    if (got < this.s.limits.minMhz - 1e-9 || got > this.s.limits.maxMhz + 1e-9) this.writes.outside++;
    ct.mhz = got;
    ct.resetWindow();
    const now = this.clock.now();
    this.lastChangeAt = now;
    this.sumLog.push({ t: now, sum: this.sumMhz() });
    while (this.sumLog.length > 2 && (this.sumLog[1] as { t: number }).t < now - 10_000) this.sumLog.shift();
  }

  private async writeClocks(list: [ChipTune, number][]): Promise<void> {
    await Promise.all(list.map(([ct, mhz]) => this.writeClock(ct, mhz)));
  }

  private async writeVolts(v: number): Promise<void> {
    const want = voltsWithin(v, this.s.limits, 1e-6);
    if (Math.abs(want - this.o.board.volts()) < 1e-6) {
      this.volts = want;
      return;
    }
    this.writes.rails++;
    if (want < this.s.limits.minVolts - 1e-9 || want > this.s.limits.maxVolts + 1e-9) this.writes.outside++;
    await this.o.board.setVolts(want);
    this.volts = want;
    this.lastChangeAt = this.clock.now();
    this.railAt = this.lastChangeAt;
    // Every chip's margin changed: judge from new windows.
    for (const ct of this.chips.flat()) ct.resetWindow();
  }

  /** Moves the rail and the clocks together: rail up before clocks rise, clocks down before the rail falls. */
  private async moveTo(v: number, clocks: (ct: ChipTune) => number): Promise<void> {
    const list: [ChipTune, number][] = this.chips.flat().map((ct) => [ct, clocks(ct)]);
    if (v > this.volts) {
      await this.writeVolts(v);
      await this.writeClocks(list);
    } else {
      await this.writeClocks(list);
      await this.writeVolts(v);
    }
  }

  // ---- the rounds --------------------------------------------------------------------------------------

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.round();
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'tuning round failed');
    } finally {
      this.busy = false;
    }
  }

  private async round(): Promise<void> {
    const now = this.clock.now();
    if (this.paused) return this.setState('paused');
    if (!this.o.board.running() || this.o.chains.every((c) => !c.running())) return this.setState('waiting');
    if (this.chips.length === 0) {
      if (this.o.chains.some((c) => !c.running())) return this.setState('waiting');
      await this.begin();
      return;
    }
    if (this.state === 'waiting' || this.state === 'paused') this.setState(this.activeState);
    // A chain that came up again runs at its bring-up clock: put the chips back where they were.
    for (const ch of this.o.chains) {
      if (!ch.running() || ch.epoch() === this.epochs[ch.index]) continue;
      this.epochs[ch.index] = ch.epoch();
      const cs = this.chips[ch.index] ?? [];
      this.log.info({ chain: ch.index }, 'chain came up again: restoring its clocks');
      await Promise.all(
        cs.map(async (ct) => {
          const want = ct.mhz;
          ct.mhz = -1;
          await this.writeClock(ct, want);
        }),
      );
      return;
    }
    const hot = this.o.board.hot();
    this.scaling.update(now, hot);
    const settled = this.noteTemperature(now);
    const cap = this.capW();
    const watts = this.powerNow();
    if (cap !== undefined && watts !== undefined && watts > cap * (1 + this.s.tolerance)) {
      await this.cut(cap, watts);
      return;
    }
    if (this.pendingReplan !== undefined) {
      await this.replan(settled);
      return;
    }
    const working = this.o.chains.map((ch) => ch.running() && ch.working());
    const counts = this.o.chains.map((ch, i) => (working[i] ? ch.counts() : []));
    const ups: [ChipTune, number][] = [];
    const writes: [ChipTune, number][] = [];
    for (const ct of this.chips.flat()) {
      const c = counts[ct.chain]?.[ct.chip];
      // Without work a chip returns nothing: nothing to judge, and the window starts again with work.
      if (!working[ct.chain]) ct.resetWindow();
      if (!c || !working[ct.chain]) continue;
      this.judge(ct, c, now, ups, writes);
    }
    await this.writeClocks(writes);
    if (ups.length > 0) await this.grantUps(ups, hot, watts);
    if (this.step === 'search' && this.active().every((c) => c.stage === 'ready')) await this.decide(settled);
    else if (this.step === 'verify' && this.active().every((c) => c.stage === 'set')) this.verified();
    else if (this.step === 'trim' || this.step === 'watch') await this.trim(hot, settled);
    const st = `${this.state}/${this.step}`;
    if (st !== this.lastStatus) {
      this.lastStatus = st;
      this.emit('state', this.status());
    }
  }

  /** The first round once every chain is up: a saved profile, or a fresh search. */
  private async begin(): Promise<void> {
    this.chips = this.o.chains.map((ch) => {
      const miss = ch.missing();
      const cs: ChipTune[] = [];
      for (let i = 0; i < ch.chipCount(); i++) {
        const ct = new ChipTune(ch.index, i, this.s);
        if (miss.has(i)) ct.stage = 'failed';
        cs.push(ct);
      }
      this.epochs[ch.index] = ch.epoch();
      return cs;
    });
    this.startedAt = this.clock.now();
    this.replanned = false;
    this.roundsSincePlan = 0;
    this.volts = this.o.board.volts();
    const profile = this.profileFromStore();
    // Where the chips are now (the chains came up at the clock asked for, or at their own).
    const now = this.o.chains.map((ch) => ch.clocks());
    const bringUp = this.o.chains.map((ch) => this.bringUpMhz(ch.index));
    for (const ct of this.chips.flat()) ct.mhz = now[ct.chain]?.[ct.chip] ?? this.clockFor(ct.chain, bringUp[ct.chain] as number);
    if (profile && profile.mhz.length === this.chips.length && profile.mhz.every((m, i) => m.length === this.chips[i]?.length)) {
      this.log.info({ volts: profile.volts, savedAt: profile.savedAt }, 'tuning profile found: applying it');
      await this.moveTo(voltsWithin(profile.volts, this.s.limits, 1e-6), (ct) => profile.mhz[ct.chain]?.[ct.chip] ?? ct.mhz);
      for (const ct of this.active()) {
        ct.stage = 'set';
        ct.ceiling = ct.mhz;
        ct.kind = 'edge';
      }
      this.c = 1;
      this.profileSource = 'saved';
      this.profileSavedAt = profile.savedAt;
      this.convergedAt = this.clock.now();
      this.driftBase = 0;
      this.setStep('watch');
      this.setState('tuned');
      return;
    }
    const v = this.startVolts();
    const f = this.startMhz(v);
    this.log.info(
      { volts: v, mhz: f, mode: this.s.target.mode, target: targetValue(this.s.target) ?? null },
      'tuning: searching every chip from the lowest voltage',
    );
    await this.moveTo(v, () => f);
    for (const ct of this.active()) ct.restart('search');
    this.setStep('search');
    this.setState('tuning');
  }

  /** One chip's verdict for this round, turned into its next clock. */
  private judge(ct: ChipTune, c: ChipCount, now: number, ups: [ChipTune, number][], writes: [ChipTune, number][]): void {
    // A settled chip waits for the round's decision; the verification that follows judges it again.
    if (ct.stage === 'failed' || ct.stage === 'ready') return;
    ct.open(c, now);
    const res = this.s.resolution;
    const v = ct.judge(c, now, this.rate(ct));
    if (v === 'wait') return;
    switch (ct.stage) {
      case 'search': {
        if (v === 'pass') {
          ct.good = Math.max(ct.good ?? 0, ct.mhz);
          ct.resetWindow();
          const next = this.nextUp(ct);
          if (next === undefined) this.ready(ct, ct.mhz >= this.clockFor(ct.chain, this.s.limits.maxMhz) - 1e-6 ? 'capped' : 'edge');
          else ups.push([ct, next]);
          return;
        }
        ct.bad = Math.min(ct.bad ?? Infinity, ct.mhz);
        if (ct.good !== undefined && ct.good >= ct.bad) ct.good = undefined;
        const down = this.nextDown(ct);
        if (down === undefined) return this.fail(ct);
        if (ct.good !== undefined && down <= ct.good + 1e-6) {
          // Bracket closed: back to the clock that passed.
          writes.push([ct, ct.good]);
          this.ready(ct, 'edge');
        } else writes.push([ct, down]);
        return;
      }
      case 'verify':
        if (v === 'pass') {
          // A clock verified under a planned trim keeps the ceiling the plan gave it.
          ct.ceiling = Math.max(ct.ceiling ?? 0, ct.mhz);
          ct.kind ??= 'edge';
          ct.stage = 'set';
          ct.resetWindow();
          return;
        }
        this.stepDown(ct, writes, res);
        return;
      case 'set':
        if (v === 'pass') {
          ct.resetWindow();
          return;
        }
        ct.drifts++;
        this.log.info({ chain: ct.chain, chip: ct.chip, mhz: ct.mhz }, 'chip unstable: stepping it down');
        this.stepDown(ct, writes, res);
        ct.stage = 'verify';
        return;
    }
  }

  private stepDown(ct: ChipTune, writes: [ChipTune, number][], res: number): void {
    const down = this.clockFor(ct.chain, ct.mhz * (1 - res));
    if (down >= ct.mhz - 1e-6) return this.fail(ct);
    ct.bad = ct.mhz;
    ct.ceiling = ct.ceiling === undefined ? down : Math.min(ct.ceiling, this.clockFor(ct.chain, ct.ceiling * (1 - res)));
    writes.push([ct, Math.min(down, ct.ceiling)]);
  }

  private fail(ct: ChipTune): void {
    this.log.warn({ chain: ct.chain, chip: ct.chip, mhz: ct.mhz }, 'chip unstable even at the lowest clock: left there');
    ct.stage = 'failed';
    ct.ceiling = ct.mhz;
    this.held.delete(ct);
  }

  private ready(ct: ChipTune, kind: CeilingKind): void {
    // Outside a search round (a held chip climbing under the trim) there is no round to wait for.
    ct.stage = this.step === 'trim' || this.step === 'watch' ? 'verify' : 'ready';
    ct.kind = kind;
    ct.ceiling = ct.good ?? ct.mhz;
  }

  /** The next clock up in a search, or undefined when the edge is bracketed (or the top reached). */
  private nextUp(ct: ChipTune): number | undefined {
    const res = this.s.resolution;
    const good = ct.good ?? ct.mhz;
    const top = this.clockFor(ct.chain, this.s.limits.maxMhz);
    if (good >= top - 1e-6) return undefined;
    let want: number;
    if (ct.bad === undefined) want = good * (1 + ct.step);
    else {
      if (ct.bad / good - 1 <= res * 1.05) return undefined;
      want = Math.sqrt(good * ct.bad);
    }
    const next = this.clockFor(ct.chain, want);
    if (next <= good + 1e-6 || (ct.bad !== undefined && next >= ct.bad - 1e-6)) return undefined;
    return next;
  }

  /** The next clock down after a failure, or undefined when nothing lower is allowed. */
  private nextDown(ct: ChipTune): number | undefined {
    const bad = ct.bad as number;
    let want: number;
    if (ct.good !== undefined) want = bad / ct.good - 1 <= this.s.resolution * 1.05 ? ct.good : Math.sqrt(ct.good * bad);
    else want = bad * (1 - 2 * ct.step);
    const next = this.clockFor(ct.chain, want);
    if (next >= bad - 1e-6) return ct.good;
    return next;
  }

  /**
   * Upward steps wait for room under the target: the power (or hashrate) a step adds is estimated from
   * the present reading, and steps are granted in turn until the room is used. A chip refused is held
   * where it is (its edge lies above). Nothing goes up while the board is hot or the reading is stale.
   */
  private async grantUps(ups: [ChipTune, number][], hot: boolean, watts: number | undefined): Promise<void> {
    if (hot) return;
    const cap = this.capW();
    const t = this.s.target;
    const granted: [ChipTune, number][] = [];
    if (cap !== undefined) {
      if (watts === undefined) return;
      let room = cap * (1 - this.s.tolerance / 2) - watts;
      const perMhz = (watts * (1 - this.model.leakShare())) / Math.max(1, this.sumMhz());
      for (const [ct, next] of this.rotate(ups)) {
        const cost = (next - ct.mhz) * perMhz;
        if (cost <= room) {
          room -= cost;
          granted.push([ct, next]);
        } else this.hold(ct);
      }
    } else if (t.mode === 'hashrate' && t.ths !== undefined) {
      let room = t.ths * 1e12 * (1 + this.s.tolerance / 2) - this.expectedHs();
      for (const [ct, next] of this.rotate(ups)) {
        const gain = (next - ct.mhz) * (this.o.chains[ct.chain] as TunedChain).hashesPerMhz();
        if (gain <= room) {
          room -= gain;
          granted.push([ct, next]);
        } else this.hold(ct);
      }
    } else granted.push(...ups);
    await this.writeClocks(granted);
  }

  private rotate<T>(xs: T[]): T[] {
    const k = xs.length > 0 ? this.rounds % xs.length : 0;
    return [...xs.slice(k), ...xs.slice(0, k)];
  }

  private hold(ct: ChipTune): void {
    this.held.add(ct);
    ct.good = ct.mhz;
    this.ready(ct, 'held');
  }

  /** Over the cap: every clock down by the share the power must lose (the leakage does not follow). */
  private async cut(cap: number, watts: number): Promise<void> {
    const share = 1 - (cap * (1 - this.s.tolerance / 2)) / watts;
    const k = Math.max(0.5, 1 - share / Math.max(0.5, 1 - this.model.leakShare()));
    this.log.info({ capW: cap, watts, factor: Number(k.toFixed(4)) }, 'over the power cap: clocks down');
    if (this.step === 'trim' || this.step === 'watch') this.c = Math.max(0.3, this.c * k);
    const list: [ChipTune, number][] = [];
    for (const ct of this.active()) {
      list.push([ct, ct.mhz * k]);
      if (ct.stage === 'search') {
        ct.good = undefined;
        this.held.add(ct);
        ct.kind = 'held';
        ct.stage = 'ready';
      }
    }
    await this.writeClocks(list);
    for (const ct of this.active()) if (ct.stage === 'ready' && ct.kind === 'held') ct.ceiling = ct.mhz;
    this.inBand = 0;
  }

  /**
   * Every chip has settled at this voltage: stay, or move the rail. Staying waits for the temperature to
   * settle (the edges move with it), so that the verification happens where the board will run.
   */
  private async decide(settled: boolean): Promise<void> {
    if (this.staying) {
      if (settled) this.researchHere();
      return;
    }
    const watts = this.freshPower();
    if (watts === undefined) return;
    this.rounds++;
    this.roundsSincePlan++;
    const flat = this.chips.flat();
    const kinds: ClockKind[] = flat.map((c) => (c.stage === 'failed' ? 'failed' : (c.kind ?? 'edge')));
    const steady = settled && this.roundSettled;
    const round: RoundRecord = {
      volts: this.volts,
      sumMhz: this.sumMhz(),
      watts,
      clocks: flat.map((c) => c.mhz),
      kinds,
      tempC: this.o.board.tempC(),
      settled: steady,
    };
    this.model.add(round);
    const held = heldShare(round);
    const l = this.s.limits;
    const t = this.s.target;
    const cap = this.capW();
    const step = this.s.voltsStep;
    const canUp = this.volts < l.maxVolts - 1e-9 && !this.o.board.hot();
    const canDown = this.volts > l.minVolts + 1e-9;
    this.log.info(
      {
        round: this.rounds,
        volts: this.volts,
        watts: Number(watts.toFixed(1)),
        expectedThs: Number((this.expectedHs() / 1e12).toFixed(4)),
        held: Number(held.toFixed(2)),
        steady,
        exponent: Number(this.model.exponent().toFixed(2)),
      },
      'tuning round done',
    );
    if (t.mode === 'efficiency' && cap === undefined) return this.decideEfficiency(watts, canUp, canDown, settled);
    if (this.roundsSincePlan >= MAX_ROUNDS) return this.stay(settled, steady);
    const target = this.planTarget();
    const hpm = flat.map((c) => this.o.chains[c.chain]?.hashesPerMhz() ?? 0);
    const ref = isComplete(round) ? round : this.model.latestComplete();
    const plan = ref ? bestVolts({ model: this.model, ref, hpm, limits: l, step }, target) : undefined;
    const k = plan ? plan.hs / Math.max(1, plan.fullHs) : 1;
    if (plan && ref) {
      const near = [-1, 0, 1].map((d) => predict({ model: this.model, ref, hpm, limits: l, step }, voltsWithin(this.volts + d * step, l, 1e-6), target));
      this.log.debug(
        {
          plan: { volts: plan.volts, watts: Number(plan.watts.toFixed(1)), fullW: Number(plan.fullW.toFixed(1)), trimmed: plan.trimmed },
          target,
          near: near.map((p) => [p.volts, Number(p.watts.toFixed(1)), Number((p.hs / 1e12).toFixed(3))]),
          ref: ref.volts,
        },
        'voltage plan',
      );
    }
    if (!isComplete(round)) {
      // The target binds before every edge was reached. Settled, and with no settled round below to say
      // whether a lower rail would do better, try one step down.
      const below = this.model.at(voltsWithin(this.volts - step, l, 1e-6));
      if (steady && canDown && !(below?.settled && isComplete(below))) return this.move(voltsWithin(this.volts - step, l, 1e-6));
      // Where the plan (from a complete round) puts the rail here or higher, this is the voltage: the clocks
      // the target held are as good as trimmed ones.
      if (!plan || !ref || plan.volts >= this.volts - 1e-9 || !canDown) return this.stay(settled, steady);
      const near = plan.trimmed && Math.abs(plan.volts - ref.volts) <= step + 1e-9;
      return this.move(plan.volts, near ? { ref, k } : undefined);
    }
    if (!plan || Math.abs(plan.volts - this.volts) < 1e-9 || (plan.volts > this.volts && !canUp)) return this.stay(settled, steady);
    if (plan.trimmed && Math.abs(plan.volts - this.volts) <= step + 1e-9) {
      // One step away and trimmed there: run below its predicted edges, no search needed.
      return this.move(plan.volts, { ref: round, k });
    }
    let v = plan.volts;
    if (v > this.volts && !this.model.exponentMeasured()) {
      // Until a move has shown how far the edges follow the rail, aim short of the target.
      while (v - step > this.volts + 1e-9 && this.predictVolts(v, target) > 0.97) v -= step;
    }
    return this.move(voltsWithin(v, l, 1e-6));
  }

  /** Predicted power (or hashrate) at v, as a share of the target's, from the latest round. */
  private predictVolts(v: number, target: PlanTarget): number {
    const ref = this.model.latest();
    if (!ref) return 0;
    const hpm = this.chips.flat().map((c) => this.o.chains[c.chain]?.hashesPerMhz() ?? 0);
    const p = predict({ model: this.model, ref, hpm, limits: this.s.limits, step: this.s.voltsStep }, v, {});
    if (target.capW !== undefined) return p.fullW / target.capW;
    if (target.hs !== undefined) return p.fullHs / target.hs;
    return 0;
  }

  /**
   * Efficiency: walk the rail in strides while joules per terahash keep falling, then go back to the best
   * voltage seen. Readings taken while the board warmed up are not compared with settled ones (leakage
   * and edges move with the temperature): the first settled round starts the comparison afresh.
   */
  private async decideEfficiency(watts: number, canUp: boolean, canDown: boolean, settled: boolean): Promise<void> {
    const steady = settled && this.roundSettled;
    const hs = this.expectedHs();
    const j = hs > 0 ? watts / (hs / 1e12) : Infinity;
    const here = Math.round(this.volts * 1e6) / 1e6;
    if (steady) for (const [v, x] of this.visits) if (!x.steady) this.visits.delete(v);
    this.visits.set(here, { jPerTh: j, clocks: this.clocks(), steady });
    const prev = this.lastVisit !== undefined && this.visits.has(this.lastVisit) ? this.lastVisit : undefined;
    this.lastVisit = here;
    const best = [...this.visits.entries()].sort((a, b) => a[1].jPerTh - b[1].jPerTh)[0] as [number, Visit];
    const stride = this.s.voltsStep * EFFICIENCY_STEPS;
    const within = (v: number): number => voltsWithin(v, this.s.limits, this.s.voltsStep);
    if (this.visits.size === 1 || prev === undefined || prev === here) {
      if (canUp && !this.visits.has(within(here + stride))) return this.move(within(here + stride));
      if (canDown && !this.visits.has(within(here - stride))) return this.move(within(here - stride));
      return this.stay(settled);
    }
    if (best[0] === here) {
      const next = within(here + Math.sign(here - prev) * stride);
      if (Math.abs(next - here) > 1e-9 && !this.visits.has(next) && (next > here ? canUp : canDown)) return this.move(next);
      return this.stay(settled);
    }
    // Back to the best voltage seen, with its clocks, and verify them there.
    this.log.info({ volts: best[0], jPerTh: Number(best[1].jPerTh.toFixed(3)) }, 'efficiency: back to the best voltage');
    const clocks = best[1].clocks;
    await this.moveTo(best[0], (ct) => clocks[ct.chain]?.[ct.chip] ?? ct.mhz);
    this.lastVisit = best[0];
    for (const ct of this.active()) {
      ct.ceiling = ct.mhz;
      ct.kind ??= 'edge';
      ct.stage = 'ready';
    }
    this.roundSettled = best[1].steady;
    this.stay(this.noteTemperature(this.clock.now()));
  }

  /**
   * This voltage it is. The clocks are verified once a round has run at the temperature the board settles
   * at (edges fall and leakage rises as it warms): a round that did not is run again here once settled.
   */
  private stay(settled: boolean, steady = settled && this.roundSettled): void {
    if (steady) return this.accept();
    this.staying = true;
    if (settled) this.researchHere();
    else this.log.info({ volts: this.volts, tempC: this.o.board.tempC() }, 'tuning: waiting for the temperature to settle');
  }

  /** The temperature has settled: every chip searches again from where it is, in small steps. */
  private researchHere(): void {
    this.staying = false;
    this.roundSettled = true;
    this.log.info({ volts: this.volts, tempC: this.o.board.tempC() }, 'tuning: temperature settled, checking the edges again');
    for (const ct of this.active()) {
      const from = ct.mhz;
      ct.restart('search');
      ct.good = undefined;
      ct.step = this.s.resolution * 1.5;
      ct.mhz = from;
    }
    this.held.clear();
    this.setStep('search');
  }

  /**
   * A new voltage. With `stay`, the clocks go below the edges predicted there from a complete round (its
   * clocks moved by the edges' exponent, less a resolution, times the trim the plan expects) and are
   * verified there; otherwise they go just under the predicted edges and search again.
   */
  private async move(v: number, stay?: { ref: RoundRecord; k: number }): Promise<void> {
    if (Math.abs(v - this.volts) < 1e-9) return this.stay(true);
    const s = this.model.exponent();
    const r = (v / this.volts) ** s;
    this.log.info({ from: this.volts, to: v, exponent: Number(s.toFixed(2)), search: stay === undefined }, 'tuning: moving the rail');
    this.held.clear();
    this.staying = false;
    this.roundSettled = this.noteTemperature(this.clock.now());
    const flat = this.chips.flat();
    if (stay) {
      const rr = (v / stay.ref.volts) ** s;
      const ceil = new Map<ChipTune, number>();
      flat.forEach((ct, i) => {
        const base = stay.ref.clocks[i] ?? ct.mhz;
        const kind = stay.ref.kinds[i];
        if (ct.stage !== 'failed')
          ceil.set(ct, this.clockFor(ct.chain, kind === 'capped' && rr >= 1 ? this.s.limits.maxMhz : base * rr * (1 - this.s.resolution)));
      });
      await this.moveTo(v, (ct) => (ct.stage === 'failed' ? ct.mhz : (ceil.get(ct) as number) * Math.min(1, stay.k)));
      for (const ct of this.active()) {
        ct.restart('ready');
        ct.ceiling = ceil.get(ct);
        ct.kind = 'held';
      }
      this.setStep('search');
      // Clocks set from a prediction: a round to verify them from (once settled, they search again).
      this.roundSettled = false;
      this.stay(this.noteTemperature(this.clock.now()), false);
      return;
    }
    await this.moveTo(v, (ct) => (ct.stage === 'failed' ? ct.mhz : (ct.ceiling ?? ct.mhz) * r * MOVE_MARGIN));
    for (const ct of this.active()) {
      ct.restart('search');
      ct.step = this.s.resolution * 1.5;
    }
    this.setStep('search');
  }

  /** This voltage it is: verify every chip's clock. */
  private accept(): void {
    this.staying = false;
    this.log.info({ volts: this.volts }, 'tuning: verifying every chip at this voltage');
    for (const ct of this.active()) {
      ct.stage = 'verify';
      ct.ceiling ??= ct.mhz;
      ct.resetWindow();
    }
    this.held.clear();
    this.setStep('verify');
  }

  private verified(): void {
    // The clocks may sit under their ceilings already (a move that planned a trim): start from there.
    const ratios = this.active()
      .filter((c) => c.ceiling !== undefined && c.ceiling > 0)
      .map((c) => c.mhz / (c.ceiling as number))
      .sort((a, b) => a - b);
    this.c = Math.min(1, ratios[Math.floor(ratios.length / 2)] ?? 1);
    this.inBand = 0;
    this.slack = 0;
    this.setStep('trim');
  }

  /**
   * Holds the power (or hashrate) within the tolerance of the target with one factor under every chip's
   * ceiling. Never upwards while hot. Tuned once three fresh readings in a row sit in the band.
   */
  private async trim(hot: boolean, settled: boolean): Promise<void> {
    const t = this.s.target;
    const cap = this.capW();
    const tol = this.s.tolerance;
    let err: number | undefined;
    let gain = 1;
    if (cap !== undefined) {
      const w = this.freshPower();
      if (w === undefined) return;
      const goal = cap * (1 - tol / 4);
      err = (goal - w) / goal;
      // Clocks move the dynamic part only.
      gain = 1 / Math.max(0.5, 1 - this.model.leakShare());
    } else if (t.mode === 'hashrate' && t.ths !== undefined) {
      const goal = t.ths * 1e12 * (1 + tol / 4);
      err = (goal - this.expectedHs()) / goal;
    }
    // At the ceilings with room left: chips the target held below their edges climb again.
    if (err !== undefined && err > tol / 2 && this.c >= 1 && !hot) {
      for (const ct of this.active()) {
        if (ct.stage !== 'set' || ct.kind !== 'held') continue;
        ct.stage = 'search';
        ct.good = ct.mhz;
        ct.bad = undefined;
        ct.step = this.s.resolution * 1.5;
        ct.resetWindow();
      }
    }
    const climbing = this.active().some((c) => c.stage === 'search' || c.stage === 'verify');
    if (this.step === 'trim' && err !== undefined && err > tol && this.c >= 1 && !climbing && !this.replanned && !hot && settled) {
      // Every chip at its verified edge and still short of the target (chips stepped down while being
      // verified): plan again from these clocks, once.
      this.replanned = true;
      this.warmRestart(`short of the target by ${(err * 100).toFixed(1)} % at every edge`);
      return;
    }
    const atTarget = err === undefined || Math.abs(err) <= tol || (err > 0 && this.c >= 1 && !climbing);
    if (atTarget) {
      if (this.step === 'trim' && ++this.inBand >= IN_BAND) this.converged();
      // Room left counts only once the temperature has settled (a cold board draws less for the same clocks).
      if (err !== undefined && err > 2 * tol && this.c >= 1 && !climbing && settled) this.slack++;
      else this.slack = 0;
    } else this.inBand = 0;
    if (this.step === 'watch') await this.watchDrift();
    if (this.step === 'watch' && this.c < DEEP_TRIM && this.volts > this.s.limits.minVolts + 1e-9) {
      // Clocks far below their edges (a much lower cap, performance scaling): a lower rail does it cheaper.
      this.warmRestart(`clocks trimmed to ${Math.round(this.c * 100)} % of their edges`);
      return;
    }
    if (err === undefined || Math.abs(err) <= tol / 2) return;
    if (hot && err > 0) return;
    const next = Math.min(1, Math.max(0.3, this.c * (1 + err * gain)));
    if (Math.abs(next - this.c) < 1e-4) {
      if (this.slack > 10 && this.step === 'watch') this.warmRestart('room left under the target');
      return;
    }
    this.c = next;
    const list: [ChipTune, number][] = [];
    for (const ct of this.active()) if (ct.stage === 'set' && ct.ceiling !== undefined) list.push([ct, ct.ceiling * this.c]);
    await this.writeClocks(list);
  }

  private converged(): void {
    this.setStep('watch');
    this.driftBase = this.chips.flat().reduce((n, c) => n + c.drifts, 0);
    if (this.convergedAt === null) this.convergedAt = this.clock.now();
    this.setState('tuned');
    this.log.info(
      {
        volts: this.volts,
        watts: this.o.board.power()?.watts ?? null,
        expectedThs: Number((this.expectedHs() / 1e12).toFixed(4)),
        rounds: this.rounds,
        seconds: Math.round((this.clock.now() - (this.startedAt ?? 0)) / 1000),
      },
      'tuned',
    );
    this.saveProfile();
    this.emit('tuned', this.status());
  }

  private async watchDrift(): Promise<void> {
    const drifted = this.chips.flat().reduce((n, c) => n + c.drifts, 0) - this.driftBase;
    if (drifted > this.s.driftShare * Math.max(1, this.active().length)) this.warmRestart(`${drifted} chips stepped down since tuned`);
  }

  /**
   * Plans the rail again from what is known at this voltage (target changed, performance scaling, drift,
   * room left, clocks trimmed far down): each chip's ceiling is its edge here, the power at the edges is
   * estimated from the present reading, and the plan says stay (the trim takes the new target) or move.
   * Runs at the next round with a fresh reading; in the middle of a search or a verification there is
   * nothing to do (their decisions read the target when they are made).
   */
  private warmRestart(why: string): void {
    if (this.step !== 'trim' && this.step !== 'watch') return;
    this.pendingReplan = why;
  }

  private async replan(settled: boolean): Promise<void> {
    const why = this.pendingReplan;
    const watts = this.freshPower();
    if (why === undefined || watts === undefined) return;
    this.pendingReplan = undefined;
    const flat = this.chips.flat();
    const ceil = (c: ChipTune): number => (c.stage === 'failed' ? c.mhz : (c.ceiling ?? c.mhz));
    const sumNow = Math.max(1, this.sumMhz());
    const sumCeil = flat.reduce((x, c) => x + ceil(c), 0);
    const leak = watts * this.model.leakShare();
    const round: RoundRecord = {
      volts: this.volts,
      sumMhz: sumCeil,
      watts: leak + (watts - leak) * (sumCeil / sumNow),
      clocks: flat.map(ceil),
      kinds: flat.map((c) => (c.stage === 'failed' ? 'failed' : c.kind === 'capped' ? 'capped' : 'edge')),
      tempC: this.o.board.tempC(),
      settled,
    };
    this.model.add(round);
    this.rounds++;
    this.roundsSincePlan = 1;
    const l = this.s.limits;
    const step = this.s.voltsStep;
    const target = this.planTarget();
    const hpm = flat.map((c) => this.o.chains[c.chain]?.hashesPerMhz() ?? 0);
    const plan = bestVolts({ model: this.model, ref: round, hpm, limits: l, step }, target);
    this.log.info({ why, volts: this.volts, plan: plan.volts, trimmed: plan.trimmed }, 'tuning again');
    this.inBand = 0;
    this.slack = 0;
    this.driftBase = flat.reduce((n, c) => n + c.drifts, 0);
    const hot = this.o.board.hot();
    if (Math.abs(plan.volts - this.volts) < 1e-9 || (plan.volts > this.volts && hot)) {
      this.setStep('trim');
      return;
    }
    this.setState('tuning');
    const k = plan.hs / Math.max(1, plan.fullHs);
    await this.move(plan.volts, plan.trimmed && Math.abs(plan.volts - this.volts) <= step + 1e-9 ? { ref: round, k } : undefined);
  }

  private planTarget(): PlanTarget {
    const t = this.s.target;
    const cap = this.capW();
    return {
      ...(cap !== undefined ? { capW: cap } : {}),
      ...(t.mode === 'power' ? { reach: this.s.tolerance } : {}),
      ...(t.mode === 'hashrate' && t.ths !== undefined ? { hs: t.ths * 1e12 } : {}),
    };
  }

  private saveProfile(): void {
    const id = this.o.identity?.();
    if (this.scaling.status().active || !id) return;
    const t = this.s.target;
    const tv = targetValue(t);
    const p: TuningProfile = {
      identity: id,
      mode: t.mode,
      ...(tv !== undefined ? { target: tv } : {}),
      volts: this.volts,
      mhz: this.clocks(),
      watts: this.o.board.power()?.watts ?? null,
      hashrateHs: this.expectedHs(),
      tempC: this.o.board.tempC(),
      savedAt: this.clock.wallSeconds(),
    };
    this.memory.unshift(p);
    this.profileSource ??= 'tuned';
    this.profileSavedAt = p.savedAt;
    if (!this.o.store) return;
    const err = this.o.store.save(p);
    this.profileError = err ?? null;
    if (err) this.log.warn({ err }, 'tuning profile not saved');
    else this.log.info({ file: this.o.store.fileOf(id.board) }, 'tuning profile saved');
  }
}
