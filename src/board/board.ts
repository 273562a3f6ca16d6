/**
 * One hashboard at run time: its lifecycle (power-up, running, paused, safe stop), the thermal loop,
 * and the safe state every exit path ends in. The chains are not driven here: the board holds their
 * reset lines and power, and tells the mining side (a MiningControl the agent attaches) when to start,
 * when to stop hashing and when to lower the frequency. Safety has authority: the policy can stop the
 * board at any moment, in any phase.
 *
 * Phases: idle → starting → running ⇄ paused; any → stopping → safe; safe → starting (restart after
 * an overheat when allowed, or an explicit start()); any → closed (shutdown, process exit).
 *
 * The safe state: mining told to stop, chains held in reset, power-enable off, regulator off, fans at
 * the safe duty until the board is cool, then the minimum. Every stop names its reason, in the board
 * status and in a log record `{ msg: "safe-state", reason, detail, steps }`.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { logger, type Logger } from '../log.js';
import { TypedEmitter } from '../typed-emitter.js';
import type { PowerReading, RegulatorTelemetry } from '../../drivers/i2c/peripheral.js';
import { I2cTimeoutError } from '../../drivers/transport/i2c-bus.js';
import { FanController } from '../thermal/fan-control.js';
import {
  ThermalPolicy,
  type BoardSample,
  type FanSample,
  type PolicyVerdict,
  type PowerLimits,
  type RegulatorSample,
  type SensorSample,
  type StopReason,
  type ThermalLevel,
} from '../thermal/thermal-policy.js';
import type { FanSettings, ThermalLimits } from '../thermal/thermal-settings.js';
import type { BoardParts } from './board-parts.js';
import { PowerUpGate, type PowerUpRefused } from './power-up-gate.js';

export type BoardPhase = 'idle' | 'starting' | 'running' | 'paused' | 'stopping' | 'safe' | 'closed';

/** Why the board stopped: a policy reason, or how the process was asked to end. */
export type SafeStateReason =
  | StopReason
  | 'stop'
  | 'sigterm'
  | 'sigint'
  | 'uncaught-exception'
  | 'unhandled-rejection'
  | 'power-up-failed'
  | 'internal-error'
  | 'exit'
  /** `asic-agent safe-state` after the service ended without its own safe stop (systemd ExecStopPost=). */
  | 'service-failed';

/** The mining side, attached by the agent. Every method must return promptly and never throw for long. */
export interface MiningControl {
  /** Power is good and the reset lines are released: enumerate the chains and start hashing. */
  start(): Promise<void>;
  /** Stop sending work now: the board is about to cut power (or has). */
  stopHashing(reason: string): Promise<void> | void;
  /** Hot: lower the chain frequency by one step. */
  reduceFrequency(): Promise<void> | void;
}

export interface SafeStep {
  step: string;
  ok: boolean;
  error?: string;
}

export interface SafeStateRecord {
  reason: SafeStateReason;
  detail: string;
  /** Clock time the safe state was reached, ms. */
  at: number;
  /** Whether every power-off step succeeded. */
  complete: boolean;
  steps: SafeStep[];
}

export interface BoardStatus {
  name: string;
  phase: BoardPhase;
  level: ThermalLevel;
  /** Why the board last stopped (kept after a restart until the next stop). */
  reason: SafeStateReason | undefined;
  detail: string | undefined;
  /** Clock time the phase began, ms. */
  since: number;
  controlC: number | null;
  vrC: number | null;
  temps: SensorSample[];
  fans: FanSample[];
  regulator: RegulatorTelemetry | null;
  power: PowerReading | null;
  fanDutyPct: number;
  chainsInReset: boolean;
  powerEnabled: boolean;
  regulatorOn: boolean;
}

export interface BoardEvents extends Record<string, unknown[]> {
  state: [BoardStatus];
  sample: [BoardStatus];
  hot: [BoardStatus];
  'safe-state': [SafeStateRecord];
  'chains-released': [];
  'chains-reset': [];
}

export interface BoardOptions {
  clock: Clock;
  limits: ThermalLimits;
  fans: FanSettings;
  power: PowerLimits;
  /** Core volts per domain, and the number of series domains (regulator output = product). */
  coreVoltage: number;
  voltageDomains: number;
  settleMs: number;
  resetHoldMs: number;
  resetReleaseMs: number;
  pollMs: number;
  stepTimeoutMs: number;
  log?: Logger;
}

class StepTimeout extends Error {
  override readonly name = 'StepTimeout';
}

/** A power-up overtaken by a stop: not an error, just abandoned. */
class PowerUpAborted extends Error {
  override readonly name = 'PowerUpAborted';
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Re-sent even when unchanged, in case a controller was reset behind our back. */
const DUTY_REFRESH_MS = 10_000;
/**
 * While a dangerous reading waits for confirmation the board samples again this soon, so that the
 * readings a stop needs (3 by default) still fit well inside a second.
 */
const CONFIRM_RESAMPLE_MS = 100;

export class Board extends TypedEmitter<BoardEvents> {
  private phase: BoardPhase = 'idle';
  private phaseSince: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly policy: ThermalPolicy;
  private readonly fanCtl: FanController;
  private opts: BoardOptions;
  private mining: MiningControl | undefined;
  private loop: TimerHandle | undefined;
  private ticking = false;
  private opened = false;
  private powerGen = 0;
  private stopping: Promise<SafeStateRecord> | undefined;
  private lastSafe: SafeStateRecord | undefined;
  private reason: SafeStateReason | undefined;
  private detail: string | undefined;
  private verdict: PolicyVerdict | undefined;
  private lastSample: BoardSample | undefined;
  private regulatorTelemetry: RegulatorTelemetry | null = null;
  private powerReading: PowerReading | null = null;
  private regulatorCommanded = false;
  private regulatorOnAt = 0;
  /** The TPS546 driver needs init() (it reads VOUT_MODE) before telemetry; that happens at power-up. */
  private regulatorReady = false;
  private chainsHeld = true;
  private powerOn = false;
  private writtenDuty: number | undefined;
  private writtenAt = 0;
  private lastReduceAt: number | undefined;
  private safeAt = 0;
  private resample: TimerHandle | undefined;
  /** The policy's word and the restart rate limit, for every power-up but the policy's own restart. */
  private readonly gate = new PowerUpGate();
  /** A resume waiting for the power-up rate limit (resumeWhenAllowed). */
  private deferredResume: TimerHandle | undefined;

  constructor(
    private readonly parts: BoardParts,
    opts: BoardOptions,
  ) {
    super();
    this.opts = opts;
    this.clock = opts.clock;
    this.log = opts.log ?? logger('board', { board: parts.name });
    this.phaseSince = this.clock.now();
    this.policy = new ThermalPolicy(opts.limits, opts.fans, opts.power, this.clock.now());
    this.fanCtl = new FanController(opts.fans, opts.limits);
  }

  /** The agent's mining side; the board calls it on start, stop and when hot. */
  attachMining(m: MiningControl): void {
    this.mining = m;
  }

  /**
   * New thermal/fan/power limits (SIGHUP reload). Does not stop or restart anything, and resets none of
   * the policy's timers. The fan mode stays as it started: switching into immersion mode at run time
   * would switch the fan checks off under a fan the policy has seen fail.
   */
  configure(limits: ThermalLimits, newFans: FanSettings, power: PowerLimits): void {
    let fans = newFans;
    if (newFans.mode !== this.opts.fans.mode) {
      this.log.warn({ mode: this.opts.fans.mode, asked: newFans.mode }, 'fans.mode changes need a restart of the agent; keeping the current mode');
      fans = { ...newFans, mode: this.opts.fans.mode, minDuty: this.opts.fans.minDuty };
    }
    this.opts = { ...this.opts, limits, fans, power };
    this.policy.configure(limits, fans, power);
    this.fanCtl.configure(fans, limits);
    this.log.info({ limits, fans: { mode: fans.mode, minDuty: fans.minDuty, maxDuty: fans.maxDuty, minFans: fans.minFans } }, 'limits reloaded');
  }

  getPhase(): BoardPhase {
    return this.phase;
  }

  /** Core volts per domain: what the regulator is set to, or will be at the next power-up. */
  coreVoltage(): number {
    return this.opts.coreVoltage;
  }

  /** Whether the board can set its core voltage (a regulator or a trim). */
  hasVoltageControl(): boolean {
    return this.parts.regulator !== undefined || this.parts.trim !== undefined;
  }

  /**
   * A new core voltage (the autotuner's rail; src/tuning). Unpowered, it applies at the next power-up.
   * Powered, the output moves in steps of at most half the VOUT tolerance, the policy's expectation
   * moving before each write, so that no reading taken in between is out of range. The caller keeps it
   * within the board-config's limits.
   */
  async setCoreVoltage(volts: number): Promise<void> {
    const d = this.opts.voltageDomains;
    const reg = this.regulatorCommanded ? this.parts.regulator : undefined;
    const trim = this.powerOn || this.phase === 'running' ? this.parts.trim : undefined;
    if (!reg && !trim) {
      this.opts = { ...this.opts, coreVoltage: volts };
      return;
    }
    const stepPerDomain = Math.max(0.0005, this.opts.power.voutToleranceV / 2 / d);
    let v = this.opts.coreVoltage;
    while (Math.abs(volts - v) > 1e-9) {
      v = volts > v ? Math.min(volts, v + stepPerDomain) : Math.max(volts, v - stepPerDomain);
      this.opts = { ...this.opts, coreVoltage: v };
      const vout = v * d;
      if (reg) await this.step('regulator voltage', () => reg.setVoltage(vout));
      if (trim) await this.step('voltage trim', () => trim.setVoltage(vout));
    }
  }

  lastSafeState(): SafeStateRecord | undefined {
    return this.lastSafe;
  }

  /** True once the safe state is reached and held (chains in reset, power off), closing included. */
  isSafe(): boolean {
    return this.lastSafe !== undefined && (this.phase === 'safe' || this.phase === 'closed');
  }

  /** The temperature the policy controls on, °C (null when no valid reading). */
  controlTemperature(): number | null {
    return this.verdict?.controlC ?? null;
  }

  status(): BoardStatus {
    const v = this.verdict;
    return {
      name: this.parts.name,
      phase: this.phase,
      level: v?.level ?? 'normal',
      reason: this.reason,
      detail: this.detail,
      since: this.phaseSince,
      controlC: v?.controlC ?? null,
      vrC: v?.vrC ?? null,
      temps: this.lastSample?.temps ?? [],
      fans: this.lastSample?.fans ?? [],
      regulator: this.regulatorTelemetry,
      power: this.powerReading,
      fanDutyPct: this.fanCtl.current(),
      chainsInReset: this.chainsHeld,
      powerEnabled: this.powerOn,
      regulatorOn: this.regulatorCommanded,
    };
  }

  private setPhase(p: BoardPhase): void {
    if (p === this.phase) return;
    this.phase = p;
    this.phaseSince = this.clock.now();
    this.log.info({ phase: p, reason: this.reason }, `board ${p}`);
    this.emit('state', this.status());
  }

  /** Runs `op` with the step deadline, so one wedged device cannot stall the loop or a safe stop. */
  private async step<T>(what: string, op: () => Promise<T>): Promise<T> {
    let timer: TimerHandle | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => reject(new StepTimeout(`${what} timed out after ${this.opts.stepTimeoutMs} ms`)), this.opts.stepTimeoutMs);
    });
    try {
      return await Promise.race([op(), deadline]);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  /** Initialises the peripherals and starts the thermal loop (fans run from here on, power stays off). */
  async open(): Promise<void> {
    if (this.opened) return;
    await this.parts.initPeripherals();
    this.opened = true;
    this.loop = this.clock.setInterval(() => void this.tick(), this.opts.pollMs);
    await this.tick();
  }

  /** Power-up: regulator configured and on, wait, release the chains, start mining. */
  async start(): Promise<void> {
    if (this.phase === 'closed') throw new Error('board is closed');
    if (this.phase === 'running' || this.phase === 'starting') return;
    await this.open();
    if (this.phase === 'stopping' && this.stopping) await this.stopping;
    // From a pause, start is a resume: the same rules.
    if (this.phase === 'paused') return this.resume();
    const refused = this.powerUpRefusal();
    if (refused) {
      if (refused.reason !== 'rate-limit') await this.safeStop(refused.reason, refused.detail);
      throw refused;
    }
    await this.powerUp();
  }

  /**
   * Why a power-up asked for now (start, resume, restart) would be refused, or undefined: the thermal
   * policy's own word (a stop verdict, a temperature missing, a fan failed) or the restart rate limit.
   * No command clears what the policy has not seen cleared (issue 21 D1).
   */
  powerUpRefusal(): PowerUpRefused | undefined {
    return this.gate.check(this.clock.now(), this.policy.powerUpBlocker());
  }

  private async powerUp(): Promise<void> {
    const gen = ++this.powerGen;
    const check = (): void => {
      if (gen !== this.powerGen || this.phase !== 'starting') throw new PowerUpAborted('power-up overtaken by a stop');
    };
    this.stopping = undefined;
    // The policy's timers and hot flag carry on: a power-up is no evidence that a fault has gone.
    this.gate.record(this.clock.now());
    this.setPhase('starting');
    const o = this.opts;
    const vout = o.coreVoltage * o.voltageDomains;
    try {
      await this.holdChains();
      check();
      const reg = this.parts.regulator;
      if (reg) {
        const limits = this.parts.regulatorLimits;
        if (!limits) throw new Error('a regulator needs its limits');
        await this.step('regulator init', () => reg.init(limits));
        this.regulatorReady = true;
        check();
        await this.step('regulator voltage', () => reg.setVoltage(vout));
        check();
      }
      if (this.parts.trim) {
        const trim = this.parts.trim;
        await this.step('voltage trim', () => trim.setVoltage(vout));
        check();
      }
      // The flags go up before the writes: a stop that overtakes a write must find them set, so its
      // power-off clears them (power-off always writes, whatever the flags say).
      if (this.parts.powerEnable) {
        this.powerOn = true;
        await this.parts.powerEnable.write(1);
      }
      check();
      if (reg) {
        this.regulatorCommanded = true;
        this.regulatorOnAt = this.clock.now();
        await this.step('regulator on', () => reg.enable());
      }
      this.log.info({ vout, coreVoltage: o.coreVoltage, domains: o.voltageDomains }, 'power on');
      await this.clock.sleep(o.settleMs);
      check();
      if (reg) {
        const tel = await this.step('regulator status', () => reg.read());
        check();
        if (tel.faults.length > 0 || tel.off) {
          await this.safeStop('regulator-fault', `after power-up: ${tel.faults.join(', ') || 'output off'} (STATUS_WORD 0x${tel.status.toString(16)})`);
          return;
        }
      }
      await this.clock.sleep(o.resetHoldMs);
      check();
      for (const l of this.parts.resetLines) await l.write(0);
      this.chainsHeld = false;
      this.emit('chains-released');
      await this.clock.sleep(o.resetReleaseMs);
      check();
      this.setPhase('running');
      const m = this.mining;
      if (m) {
        m.start().catch((err: unknown) => this.log.error({ err: message(err) }, 'mining start failed'));
      }
    } catch (err) {
      if (err instanceof PowerUpAborted) return;
      await this.safeStop('power-up-failed', message(err));
      throw err;
    }
  }

  private async holdChains(): Promise<void> {
    for (const l of this.parts.resetLines) await l.write(1);
    if (!this.chainsHeld) this.emit('chains-reset');
    this.chainsHeld = true;
  }

  /** Curtailment: hashing off, power off, fans ramp down on a timer. `resume()` powers up again. */
  async pause(reason = 'curtailment'): Promise<void> {
    if (this.phase !== 'running' && this.phase !== 'starting') throw new Error(`cannot pause a board that is ${this.phase}`);
    this.powerGen++;
    this.setPhase('paused');
    this.log.info({ reason }, 'pausing');
    const steps = await this.powerOff(`pause (${reason})`);
    const failed = steps.filter((s) => !s.ok);
    if (failed.length > 0) await this.safeStop('internal-error', `pause could not switch power off: ${failed.map((s) => `${s.step}: ${s.error}`).join('; ')}`);
  }

  /** Powers up again after a pause, unless `powerUpRefusal()` says why not (the board then stays paused). */
  async resume(): Promise<void> {
    if (this.phase !== 'paused') throw new Error(`cannot resume a board that is ${this.phase}`);
    const refused = this.powerUpRefusal();
    if (refused) {
      this.log.warn({ reason: refused.reason, detail: refused.detail }, 'resume refused');
      throw refused;
    }
    await this.powerUp();
  }

  /**
   * Resume now, or, when only the power-up rate limit stands in the way, once it allows (a curtailment
   * button pressed twice within 30 s: the second press is kept, not lost). Resolves with how long until
   * the power-up (0: done now). The policy's refusals still throw, and are checked again when the wait
   * ends; a stop or a new pause meanwhile cancels it.
   */
  async resumeWhenAllowed(): Promise<number> {
    if (this.phase !== 'paused') throw new Error(`cannot resume a board that is ${this.phase}`);
    const refused = this.powerUpRefusal();
    if (!refused) {
      await this.powerUp();
      return 0;
    }
    if (refused.reason !== 'rate-limit' || refused.retryInMs === undefined) {
      this.log.warn({ reason: refused.reason, detail: refused.detail }, 'resume refused');
      throw refused;
    }
    this.clock.clearTimeout(this.deferredResume);
    const pausedAt = this.phaseSince;
    this.deferredResume = this.clock.setTimeout(() => {
      this.deferredResume = undefined;
      // Only the pause it was asked for: a stop, or a later pause and resume, cancel it.
      if (this.phase !== 'paused' || this.phaseSince !== pausedAt) return;
      // Asked again, not forced: a timer can come due a little before the limit has passed (Node counts
      // its delay from a cached loop time); then it waits the rest, and the policy is asked once more.
      this.resumeWhenAllowed().catch((err: unknown) => this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'deferred resume refused'));
    }, refused.retryInMs);
    this.log.info({ inMs: Math.round(refused.retryInMs) }, 'resume deferred by the power-up rate limit');
    return refused.retryInMs;
  }

  /** Mining told to stop, chains in reset, power-enable off, regulator off. Each step bounded and logged. */
  private async powerOff(why: string): Promise<SafeStep[]> {
    const steps: SafeStep[] = [];
    const run = async (name: string, op: () => Promise<void> | void): Promise<void> => {
      try {
        await this.step(name, async () => op());
        steps.push({ step: name, ok: true });
      } catch (err) {
        steps.push({ step: name, ok: false, error: message(err) });
      }
    };
    // Ask mining to stop first, without waiting for it: power comes off regardless.
    const m = this.mining;
    const miningDone = m
      ? Promise.resolve()
          .then(() => m.stopHashing(why))
          .then(
            (): SafeStep => ({ step: 'mining stopped', ok: true }),
            (err: unknown): SafeStep => ({ step: 'mining stopped', ok: false, error: message(err) }),
          )
      : undefined;
    if (this.parts.resetLines.length > 0) await run('chains held in reset', () => this.holdChains());
    else this.chainsHeld = true;
    const pe = this.parts.powerEnable;
    if (pe) {
      await run('power-enable off', () => pe.write(0));
      if (steps.at(-1)?.ok) this.powerOn = false;
    }
    const reg = this.parts.regulator;
    if (reg) {
      await run('regulator off', () => reg.disable());
      if (steps.at(-1)?.ok) this.regulatorCommanded = false;
    }
    if (miningDone)
      steps.push(await this.step('mining stopped', () => miningDone).catch((err: unknown) => ({ step: 'mining stopped', ok: false, error: message(err) })));
    return steps;
  }

  /**
   * Stops the board and brings it to the safe state. Idempotent: concurrent and later calls get the
   * first stop's record (their reasons are logged).
   */
  safeStop(reason: SafeStateReason, detail = ''): Promise<SafeStateRecord> {
    if ((this.phase === 'safe' || this.phase === 'closed') && this.lastSafe) return Promise.resolve(this.lastSafe);
    if (this.stopping) {
      if (reason !== this.reason) this.log.warn({ reason, detail, stoppedFor: this.reason }, 'already stopping');
      return this.stopping;
    }
    this.powerGen++;
    this.reason = reason;
    this.detail = detail;
    this.setPhase('stopping');
    this.stopping = this.doSafeStop(reason, detail);
    return this.stopping;
  }

  private async doSafeStop(reason: SafeStateReason, detail: string): Promise<SafeStateRecord> {
    const steps = await this.powerOff(reason);
    const safeDuty = this.fanCtl.safe(false, this.clock.now());
    if (this.parts.fans.length > 0) {
      try {
        await this.writeDuty(safeDuty, true);
        steps.push({ step: `fans at ${safeDuty} %`, ok: true });
      } catch (err) {
        steps.push({ step: `fans at ${safeDuty} %`, ok: false, error: message(err) });
      }
    }
    const rec: SafeStateRecord = {
      reason,
      detail,
      at: this.clock.now(),
      complete: steps.every((s) => s.ok || s.step === 'mining stopped'),
      steps,
    };
    this.lastSafe = rec;
    this.safeAt = rec.at;
    const fault = !['stop', 'sigterm', 'sigint', 'exit'].includes(reason);
    this.log[fault ? 'error' : 'info']({ reason, detail, complete: rec.complete, steps, controlC: this.verdict?.controlC ?? null }, 'safe-state');
    if (this.phase !== 'closed') this.setPhase('safe');
    this.emit('safe-state', rec);
    return rec;
  }

  /** True when at least one chip/board reading is valid and all are at or below `cool`. */
  isCool(): boolean {
    const v = this.verdict;
    if (!v || v.controlC === null) return false;
    return v.controlC <= this.opts.limits.coolC && (v.vrC === null || v.vrC <= Math.max(this.opts.limits.coolC, this.opts.limits.vrHotC - 20));
  }

  /**
   * For process exit: the safe state, then fans at the safe duty until cool (at most
   * `exitCoolTimeoutS`), then the minimum if power is certainly off; then the loop stops and the bus
   * closes. GPIO lines are left driven (an unexported line floats).
   */
  async shutdown(reason: SafeStateReason, detail = ''): Promise<SafeStateRecord> {
    if (this.lastSafe && this.phase === 'safe') this.log.info({ reason, stoppedFor: this.reason }, 'shutting down a board already in the safe state');
    const rec = await this.safeStop(reason, detail);
    const deadline = this.clock.now() + this.opts.fans.exitCoolTimeoutS * 1000;
    if (this.loop !== undefined && !this.isCool() && this.opts.fans.exitCoolTimeoutS > 0) {
      // What the process waits for, said once (a person at a terminal sees it; a second signal skips it).
      this.log.info(
        {
          reason,
          controlC: this.verdict?.controlC ?? null,
          coolC: this.opts.limits.coolC,
          timeoutS: this.opts.fans.exitCoolTimeoutS,
          fanDutyPct: this.fanCtl.current(),
        },
        'cooling down',
      );
      while (!this.isCool() && this.clock.now() < deadline) await this.clock.sleep(this.opts.pollMs);
    }
    this.clock.clearInterval(this.loop);
    this.loop = undefined;
    this.clock.clearTimeout(this.resample);
    this.resample = undefined;
    while (this.ticking) await this.clock.sleep(10);
    const cool = this.isCool();
    let finalDuty = this.fanCtl.current();
    if (this.parts.fans.length > 0 && cool && rec.complete) {
      finalDuty = this.fanCtl.safe(true, this.clock.now());
      try {
        await this.step('fans to minimum', () => this.writeDuty(finalDuty, true));
      } catch (err) {
        this.log.warn({ err: message(err) }, 'could not set the final fan duty');
      }
    }
    this.log.info(
      { reason, cool, fanDutyPct: finalDuty, controlC: this.verdict?.controlC ?? null },
      cool ? 'board closed, cool' : 'board closed, fans left at the safe duty',
    );
    try {
      await this.parts.bus.close();
    } catch {
      // Closing is best effort; the process is ending.
    }
    this.setPhase('closed');
    return rec;
  }

  /**
   * Last resort, synchronous: for process.on('exit') when the async safe stop did not finish. Reset
   * held, power-enable off, regulator off, fans at the safe duty, each best effort.
   */
  emergencyStopSync(reason: SafeStateReason): void {
    if (this.lastSafe && (this.phase === 'safe' || this.phase === 'closed')) return;
    const steps: SafeStep[] = [];
    const run = (name: string, op: () => void): void => {
      try {
        op();
        steps.push({ step: name, ok: true });
      } catch (err) {
        steps.push({ step: name, ok: false, error: message(err) });
      }
    };
    for (const l of this.parts.resetLines) run(`hold ${l.name}`, () => l.writeSync(1));
    const pe = this.parts.powerEnable;
    if (pe) run('power-enable off', () => pe.writeSync(0));
    const reg = this.parts.regulator;
    if (reg) run('regulator off', () => reg.disableSync());
    const duty = this.opts.fans.mode === 'immersion' ? 0 : this.opts.fans.safeDuty;
    for (const f of this.parts.fans) run(`${f.id} at ${duty} %`, () => f.setDutySync(duty));
    this.chainsHeld = true;
    this.powerOn = false;
    this.regulatorCommanded = false;
    const rec: SafeStateRecord = { reason, detail: 'emergency stop on exit', at: this.clock.now(), complete: steps.every((s) => s.ok), steps };
    this.lastSafe = rec;
    this.reason = reason;
    this.phase = 'closed';
    this.log.error({ reason, detail: rec.detail, complete: rec.complete, steps }, 'safe-state');
  }

  private async writeDuty(duty: number, force = false): Promise<void> {
    const now = this.clock.now();
    if (!force && duty === this.writtenDuty && now - this.writtenAt < DUTY_REFRESH_MS) return;
    let failure: unknown;
    for (const f of this.parts.fans) {
      try {
        await this.step(`${f.id} duty`, () => f.setDuty(duty));
      } catch (err) {
        failure = err;
      }
    }
    this.writtenDuty = duty;
    this.writtenAt = now;
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
  }

  /** One round of readings. A bus timeout skips the remaining reads of this round. */
  private async readAll(): Promise<BoardSample> {
    let busDead: string | undefined;
    const read = async <T>(what: string, op: () => Promise<T>): Promise<{ ok: true; v: T } | { ok: false; error: string }> => {
      if (busDead) return { ok: false, error: busDead };
      try {
        return { ok: true, v: await this.step(what, op) };
      } catch (err) {
        if (err instanceof I2cTimeoutError || err instanceof StepTimeout) busDead = `bus unresponsive (${message(err)})`;
        return { ok: false, error: message(err) };
      }
    };
    const temps: SensorSample[] = [];
    for (const s of this.parts.temps) {
      const r = await read(s.id, () => s.read());
      const diode = s.diode ? { diode: true } : {};
      temps.push(r.ok ? { id: s.id, kind: s.kind, ...diode, c: r.v.c, raw: r.v.raw } : { id: s.id, kind: s.kind, ...diode, c: null, error: r.error });
    }
    const duty = this.writtenDuty ?? 0;
    const fans: FanSample[] = [];
    for (const f of this.parts.fans) {
      const r = await read(`${f.id} tach`, () => f.readRpm());
      fans.push(r.ok ? { id: f.id, dutyPct: duty, rpm: r.v } : { id: f.id, dutyPct: duty, rpm: null, error: r.error });
    }
    let regulator: RegulatorSample | undefined;
    const reg = this.parts.regulator;
    if (reg) {
      const r = this.regulatorReady ? await read('regulator telemetry', () => reg.read()) : undefined;
      this.regulatorTelemetry = r?.ok ? r.v : null;
      if (r?.ok) temps.push({ id: `${reg.id}.temperature`, kind: 'vr', c: r.v.tempC });
      regulator = {
        commandedOn: this.regulatorCommanded,
        expectedVout: this.opts.coreVoltage * this.opts.voltageDomains,
        settled: this.regulatorCommanded && this.clock.now() - this.regulatorOnAt >= this.opts.settleMs,
        telemetry: r?.ok ? r.v : null,
        ...(r && !r.ok ? { error: r.error } : {}),
      };
    }
    const pm = this.parts.powerMonitor;
    if (pm) {
      const r = await read('power monitor', () => pm.read());
      this.powerReading = r.ok ? r.v : null;
    }
    const released = this.parts.resetReleasedAt?.();
    return {
      t: this.clock.now(),
      powered: this.regulatorCommanded || this.powerOn,
      temps,
      fans,
      ...(regulator ? { regulator } : {}),
      ...(released !== undefined ? { resetReleasedAt: released } : {}),
    };
  }

  private isStoppedOrStopping(): boolean {
    return this.phase === 'safe' || this.phase === 'closed' || this.phase === 'stopping';
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.phase === 'closed') return;
    this.ticking = true;
    try {
      const sample = await this.readAll();
      this.lastSample = sample;
      const v = this.policy.evaluate(sample);
      const wasHot = this.verdict?.level === 'hot';
      this.verdict = v;
      if (v.confirming && this.resample === undefined) {
        this.resample = this.clock.setTimeout(
          () => {
            this.resample = undefined;
            void this.tick();
          },
          Math.min(CONFIRM_RESAMPLE_MS, this.opts.pollMs),
        );
      }
      const now = this.clock.now();
      const phase = this.phase;
      if (v.stop && (phase === 'running' || phase === 'starting' || phase === 'paused' || phase === 'idle')) {
        if (phase === 'idle') this.log.warn({ reason: v.stop.reason, detail: v.stop.detail }, 'fault while idle');
        await this.safeStop(v.stop.reason, v.stop.detail);
      } else if (phase === 'running' || phase === 'starting') {
        if (v.level === 'hot') {
          if (!wasHot) {
            this.log.warn({ controlC: v.controlC, vrC: v.vrC, hotC: this.opts.limits.hotC }, 'hot: fans to 100 %, reducing frequency');
            this.emit('hot', this.status());
          }
          if (phase === 'running' && (this.lastReduceAt === undefined || !wasHot || now - this.lastReduceAt >= this.opts.limits.hotStepS * 1000)) {
            this.lastReduceAt = now;
            const m = this.mining;
            if (m)
              Promise.resolve()
                .then(() => m.reduceFrequency())
                .catch((err: unknown) => this.log.error({ err: message(err) }, 'reduceFrequency failed'));
          }
        } else if (wasHot) {
          this.log.info({ controlC: v.controlC }, 'no longer hot');
        }
        await this.writeDuty(this.fanCtl.running(v.controlC, v.level === 'hot', now)).catch((err: unknown) =>
          this.log.warn({ err: message(err) }, 'fan write failed'),
        );
      } else if (phase === 'paused') {
        await this.writeDuty(this.fanCtl.paused(v.level === 'hot', now)).catch((err: unknown) => this.log.warn({ err: message(err) }, 'fan write failed'));
      } else if (phase === 'safe' || phase === 'idle') {
        const cool = this.isCool();
        await this.writeDuty(this.fanCtl.safe(cool, now)).catch((err: unknown) => this.log.warn({ err: message(err) }, 'fan write failed'));
        if (
          phase === 'safe' &&
          this.reason === 'overheat' &&
          this.opts.limits.restart &&
          cool &&
          now - this.safeAt >= this.opts.limits.restartDelayS * 1000 &&
          !this.policy.powerUpBlocker()
        ) {
          this.log.info({ controlC: v.controlC, after: Math.round((now - this.safeAt) / 1000) }, 'cool again after an overheat: restarting');
          this.ticking = false;
          this.powerUp().catch((err: unknown) => this.log.error({ err: message(err) }, 'restart failed'));
          return;
        }
      }
      if (this.log.isLevelEnabled('debug')) {
        this.log.debug(
          { phase: this.phase, thermal: v.level, controlC: v.controlC, vrC: v.vrC, fanDutyPct: this.fanCtl.current(), rpm: sample.fans.map((f) => f.rpm) },
          'sample',
        );
      }
      this.emit('sample', this.status());
    } catch (err) {
      this.log.error({ err: message(err) }, 'thermal loop error');
      if (!this.isStoppedOrStopping()) await this.safeStop('internal-error', `thermal loop: ${message(err)}`);
    } finally {
      this.ticking = false;
    }
  }
}
