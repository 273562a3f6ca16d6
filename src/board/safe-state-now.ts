/**
 * The safe state driven by a process that is not the agent. systemd runs `asic-agent safe-state`
 * (ExecStopPost=) whenever the service ended without a clean exit: killed by the watchdog after its
 * event loop stalled, SIGKILL at the stop timeout, a crash of Node itself. None of those lets the agent
 * run its own safe stop, and the board's outputs outlive the process: sysfs GPIO lines stay exported and
 * driven, the regulator keeps its last OPERATION, the fan controller its last PWM duty. So a fresh
 * process opens the same parts and drives them, synchronously and each step on its own:
 * chains held in reset and power-enable off (the lines are opened already driven that way), regulator
 * OPERATION off, fans at the safe duty (docs/deploy.md "6. When the agent dies: what keeps the board safe").
 */
import type { GpioOpener } from '../../drivers/transport/gpio-line.js';
import type { I2cBus } from '../../drivers/transport/i2c-bus.js';
import { systemClock, type Clock } from '../clock.js';
import type { RunConfig } from '../config/run-config.js';
import { Board, type SafeStateRecord } from './board.js';
import { openBoardParts } from './board-parts.js';
import { boardOptions } from './runtime.js';

export async function safeStateNow(cfg: RunConfig, bus: I2cBus, openGpio: GpioOpener, clock: Clock = systemClock): Promise<SafeStateRecord> {
  const parts = await openBoardParts(cfg.board, bus, openGpio);
  const board = new Board(parts, boardOptions(cfg, clock));
  board.emergencyStopSync('service-failed');
  const rec = board.lastSafeState();
  if (!rec) throw new Error('the emergency stop left no record');
  return rec;
}
