/**
 * The safety property (issue 21 D1): random sequences of hardware faults (and their clearing) and of
 * every authorised command (pause, resume, restart, start, config reload) against a simulated board on
 * a ManualClock. After every 100 ms of simulated time the simulated hardware itself is checked:
 *   - never powered while the true temperature has been at or above `dangerous` for longer than the
 *     detection latency (sensors working);
 *   - never powered longer than `no_reading_timeout_s` after the sensors were lost;
 *   - never powered for longer than `stuck_timeout_s` + `no_reading_timeout_s` of powered time after the
 *     sensors froze;
 *   - never powered longer than `stall_timeout_s` after a fan stalled.
 * The windows count from the fault, whatever commands came in between: a command may not restart them.
 * Used by test/unit/board/safety-property.test.ts (small) and test/slow (≥ 10 000 sequences).
 */
import fc from 'fast-check';
import { ManualClock } from '../../src/clock.js';
import type { RunConfig } from '../../src/config/run-config.js';
import { createBoardRuntime, type BoardRuntime } from '../../src/board/runtime.js';
import type { SimBoard } from '../../workshop/sim/sim-board.js';
import { simulatedBoard } from '../../workshop/sim/simulated-parts.js';
import { boardCommands } from '../../src/agent/board-commands.js';
import { flush, simRunConfig } from './sim-board.js';

export type SensorFault = 'sensor-loss' | 'sensor-stuck';
export type PhysicalFault = 'fan-stall' | 'overheat' | SensorFault;

export type SafetyAction =
  | { kind: 'wait'; ms: number }
  | { kind: 'inject'; fault: PhysicalFault }
  | { kind: 'clear'; fault: PhysicalFault }
  | { kind: 'command'; command: 'pause' | 'resume' | 'restart' | 'start' | 'reload' };

export interface SafetyScenario {
  /** Board temperature at power-up, °C. */
  startC: number;
  actions: SafetyAction[];
}

const STEP_MS = 100;
/** Poll period + the safe stop + one sample of sensor quantisation. */
const DETECT_SLACK_MS = 1_500;
/** A stalled rotor takes about a second to fall below the stall floor (SimFan: tau 0.3 s from full speed). */
const STALL_SLACK_MS = 2_500;

export function safetyScenario(): fc.Arbitrary<SafetyScenario> {
  const fault = fc.constantFrom<PhysicalFault>('fan-stall', 'overheat', 'sensor-loss', 'sensor-stuck');
  const action: fc.Arbitrary<SafetyAction> = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 100, max: 15_000 }).map((ms): SafetyAction => ({ kind: 'wait', ms })) },
    { weight: 2, arbitrary: fault.map((f): SafetyAction => ({ kind: 'inject', fault: f })) },
    { weight: 1, arbitrary: fault.map((f): SafetyAction => ({ kind: 'clear', fault: f })) },
    {
      weight: 4,
      arbitrary: fc.constantFrom('pause', 'resume', 'restart', 'start', 'reload').map((command): SafetyAction => ({ kind: 'command', command })),
    },
  );
  return fc.record({ startC: fc.integer({ min: 25, max: 72 }), actions: fc.array(action, { minLength: 1, maxLength: 30 }) });
}

let baseConfig: RunConfig | undefined;

/** The sim-bm1370 board with a short stuck timeout, so that a frozen sensor is caught within a sequence. */
function config(): RunConfig {
  baseConfig ??= simRunConfig((c) => ({ ...c, limits: { ...c.limits, stuckTimeoutS: 20 } }));
  return baseConfig;
}

export interface SafetyRun {
  violations: string[];
  /** Simulated ms the board was powered. */
  poweredMs: number;
  commandsAccepted: number;
  commandsRefused: number;
}

class Tracker {
  lostSince: number | undefined;
  stuckPoweredMs: number | undefined;
  stalledSince: number | undefined;
  hotSince: number | undefined;
  violations: string[] = [];
  poweredMs = 0;

  constructor(
    private readonly rt: BoardRuntime<SimBoard>,
    private readonly clock: ManualClock,
  ) {}

  check(stepMs: number): void {
    const sim = this.rt.sim;
    if (!sim) throw new Error('simulated board expected');
    const cfg = this.rt.config;
    const now = this.clock.now();
    const powered = sim.outputVolts() > 0 || sim.resetHeld().some((h) => !h);
    if (powered) this.poweredMs += stepMs;
    if (powered && this.stuckPoweredMs !== undefined) this.stuckPoweredMs += stepMs;
    const dangerous = cfg.limits.dangerousC;
    const blind = this.lostSince !== undefined || this.stuckPoweredMs !== undefined;
    if (sim.thermal.temperatureC >= dangerous + 0.5 && !blind) this.hotSince ??= now;
    else this.hotSince = undefined;
    if (!powered) return;
    const fail = (what: string): void => {
      if (this.violations.length < 5) this.violations.push(`t=${now} ms: ${what} (${this.rt.board.getPhase()})`);
    };
    if (this.hotSince !== undefined && now - this.hotSince > DETECT_SLACK_MS) {
      fail(`powered at ${sim.thermal.temperatureC.toFixed(1)} °C, ${now - this.hotSince} ms above dangerous ${dangerous} °C`);
    }
    if (this.lostSince !== undefined && now - this.lostSince > cfg.limits.noReadingTimeoutS * 1000 + DETECT_SLACK_MS) {
      fail(`powered ${now - this.lostSince} ms after the sensors were lost`);
    }
    if (this.stuckPoweredMs !== undefined && this.stuckPoweredMs > (cfg.limits.stuckTimeoutS + cfg.limits.noReadingTimeoutS) * 1000 + DETECT_SLACK_MS) {
      fail(`powered for ${this.stuckPoweredMs} ms with the sensors frozen`);
    }
    if (this.stalledSince !== undefined && now - this.stalledSince > cfg.fans.stallTimeoutS * 1000 + STALL_SLACK_MS) {
      fail(`powered ${now - this.stalledSince} ms after the fan stalled`);
    }
  }
}

/** Runs one scenario; resolves with what was seen (the caller asserts there are no violations). */
export async function runSafetyScenario(sc: SafetyScenario): Promise<SafetyRun> {
  const clock = new ManualClock();
  const rt = await createBoardRuntime(config(), { clock, simulated: simulatedBoard });
  const sim = rt.sim;
  if (!sim) throw new Error('simulated board expected');
  const board = rt.board;
  const commands = boardCommands(board);
  sim.thermal.temperatureC = sc.startC;
  const tr = new Tracker(rt, clock);
  let accepted = 0;
  let refused = 0;
  const step = async (): Promise<void> => {
    clock.advance(STEP_MS);
    await flush();
    await flush();
    tr.check(STEP_MS);
  };
  const wait = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += STEP_MS) await step();
  };
  const fire = (p: Promise<{ ok: boolean }>): void => {
    void p.then(
      (r) => (r.ok ? accepted++ : refused++),
      () => refused++,
    );
  };
  // Boot: the agent starts the board once, as `run` does.
  fire(board.start().then(() => ({ ok: true })));
  await wait(2_000);
  try {
    for (const a of sc.actions) {
      switch (a.kind) {
        case 'wait':
          await wait(a.ms);
          continue;
        case 'inject':
          // One sensor fault at a time, so that the window the property checks is unambiguous.
          if (a.fault === 'sensor-loss' && tr.stuckPoweredMs !== undefined) break;
          if (a.fault === 'sensor-stuck' && tr.lostSince !== undefined) break;
          sim.inject(a.fault);
          if (a.fault === 'sensor-loss') tr.lostSince ??= clock.now();
          if (a.fault === 'sensor-stuck') tr.stuckPoweredMs ??= 0;
          if (a.fault === 'fan-stall') tr.stalledSince ??= clock.now();
          break;
        case 'clear':
          sim.clear(a.fault);
          if (a.fault === 'sensor-loss') tr.lostSince = undefined;
          if (a.fault === 'sensor-stuck') tr.stuckPoweredMs = undefined;
          if (a.fault === 'fan-stall') tr.stalledSince = undefined;
          break;
        case 'command':
          switch (a.command) {
            case 'pause':
              fire(commands.pause());
              break;
            case 'resume':
              fire(commands.resume());
              break;
            case 'restart':
              fire(commands.restart());
              break;
            case 'start':
              fire(board.start().then(() => ({ ok: true })));
              break;
            case 'reload':
              board.configure(rt.config.limits, rt.config.fans, rt.config.power);
              break;
          }
          break;
      }
      await step();
    }
    // Long enough for every window the property checks to run out.
    await wait((rt.config.limits.stuckTimeoutS + rt.config.limits.noReadingTimeoutS) * 1000 + 5_000);
  } finally {
    rt.close();
    const closing = board.shutdown('exit', 'end of scenario');
    for (let i = 0; i < 200 && board.getPhase() !== 'closed'; i++) {
      clock.advance(1_000);
      await flush();
    }
    await closing.catch(() => undefined);
  }
  return { violations: tr.violations, poweredMs: tr.poweredMs, commandsAccepted: accepted, commandsRefused: refused };
}
