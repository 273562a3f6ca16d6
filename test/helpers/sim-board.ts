/**
 * Test helpers for simulated boards on a ManualClock: build a runtime from the shipped sim-bm1370
 * board-config (with overrides), and advance simulated time in small steps, letting the board's async
 * work (all simulated I2C resolves in microtasks) finish after each step. Nothing sleeps.
 */
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../src/clock.js';
import { loadRunConfig, type RunConfig } from '../../src/config/run-config.js';
import { createBoardRuntime, type BoardRuntime } from '../../src/board/runtime.js';
import type { SimBoard } from '../../workshop/sim/sim-board.js';
import { simulatedBoard } from '../../workshop/sim/simulated-parts.js';
import type { SimFault } from '../../src/config/sim-faults.js';

export const SIM_BOARD_FILE = fileURLToPath(new URL('../../board-configs/sim-bm1370.toml', import.meta.url));

export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Advances `ms` of simulated time in `stepMs` steps, flushing async work after each. */
export async function advance(clock: ManualClock, ms: number, stepMs = 50, onStep?: () => void): Promise<void> {
  const end = clock.now() + ms;
  while (clock.now() < end) {
    clock.advance(Math.min(stepMs, end - clock.now()));
    await flush();
    await flush();
    onStep?.();
  }
}

/** Advances until `pred()` holds (checked after every step) or `maxMs` passes; returns the time it held, or undefined. */
export async function advanceUntil(clock: ManualClock, pred: () => boolean, maxMs: number, stepMs = 50): Promise<number | undefined> {
  const end = clock.now() + maxMs;
  while (clock.now() < end) {
    if (pred()) return clock.now();
    clock.advance(stepMs);
    await flush();
    await flush();
  }
  return pred() ? clock.now() : undefined;
}

export function simRunConfig(patch: (c: RunConfig) => RunConfig = (c) => c): RunConfig {
  return patch(loadRunConfig(SIM_BOARD_FILE));
}

export interface SimHarness {
  clock: ManualClock;
  rt: BoardRuntime<SimBoard>;
}

/** A started simulated board on a ManualClock (power-up complete, phase running). */
export async function startedSimBoard(
  patch?: (c: RunConfig) => RunConfig,
  faults: SimFault[] = [],
  start = true,
  clock = new ManualClock(),
): Promise<SimHarness> {
  const rt = await createBoardRuntime(simRunConfig(patch), { clock, simFaults: faults, simulated: simulatedBoard });
  if (start) {
    const starting = rt.board.start();
    let done = false;
    void starting.then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    await advanceUntil(clock, () => done, 10_000, 50);
    await starting;
  }
  return { clock, rt };
}
