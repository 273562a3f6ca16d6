/**
 * The board's write commands as the local APIs offer them (pause, resume, restart): curtailment goes
 * through the board's pause path, restart is a pause then a resume. None of them can clear a fault: a
 * resume or restart is refused, with the reason, while the thermal policy says the board must not be
 * powered (a stop verdict, a temperature missing, a fan failed); a restart is refused within the
 * power-up rate limit (src/board/power-up-gate.ts) and leaves the board running as it was, while a
 * resume within it is kept and happens once the limit allows (Board.resumeWhenAllowed: a curtailment
 * button pressed twice is not lost), the policy asked again then.
 */
import type { ControlResult } from '../api/agent-control.js';
import type { Board } from '../board/board.js';

function failed(err: unknown): ControlResult {
  return { ok: false, code: 'failed', message: err instanceof Error ? err.message : String(err) };
}

export interface BoardCommands {
  pause(): Promise<ControlResult>;
  resume(): Promise<ControlResult>;
  restart(): Promise<ControlResult>;
  /** Why a restart would be refused now (said before the cgminer API replies RESTART), or undefined. */
  restartRefusal(): string | undefined;
}

export function boardCommands(board: Board | (() => Board)): BoardCommands {
  const b = typeof board === 'function' ? board : (): Board => board;
  return {
    async pause() {
      if (b().getPhase() === 'paused') return { ok: false, code: 'already', message: 'already paused' };
      try {
        await b().pause('api');
        return { ok: true, message: 'paused: hashing off, power off, fans ramp down' };
      } catch (err) {
        return failed(err);
      }
    },
    async resume() {
      if (b().getPhase() !== 'paused') return { ok: false, code: 'already', message: `not paused (${b().getPhase()})` };
      try {
        const inMs = await b().resumeWhenAllowed();
        return { ok: true, message: inMs === 0 ? 'resumed' : `resuming in ${Math.ceil(inMs / 1000)} s (at most one power-up per 30 s)` };
      } catch (err) {
        return failed(err);
      }
    },
    async restart() {
      const x = b();
      if (x.getPhase() !== 'running') return { ok: false, code: 'failed', message: `board is ${x.getPhase()}` };
      const refused = x.powerUpRefusal();
      if (refused) return { ok: false, code: 'failed', message: refused.message };
      try {
        await x.pause('restart');
        await x.resume();
        return { ok: true, message: 'restarted: chains re-initialised' };
      } catch (err) {
        return failed(err);
      }
    },
    restartRefusal() {
      const x = b();
      if (x.getPhase() !== 'running') return `board is ${x.getPhase()}`;
      return x.powerUpRefusal()?.message;
    },
  };
}
