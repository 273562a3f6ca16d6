/**
 * Write commands of the local APIs (off unless the config allows them for named addresses with a
 * token): pause and resume go through the board's curtailment path; restart re-powers the board and
 * brings the chains up again. The pool manager has no live reconfiguration yet, so the pool commands
 * answer "unsupported" instead of pretending.
 */
import type { AgentControl, ControlResult } from '../api/agent-control.js';
import type { Agent } from './agent.js';

const unsupported = (what: string): ControlResult => ({ ok: false, code: 'unsupported', message: `${what} is not supported yet: edit the config and restart the agent` });

function failed(err: unknown): ControlResult {
  return { ok: false, code: 'failed', message: err instanceof Error ? err.message : String(err) };
}

export function agentControl(agent: Agent): AgentControl {
  const board = (): typeof agent.rt.board => agent.rt.board;
  return {
    switchPool: async () => unsupported('switchpool'),
    enablePool: async () => unsupported('enablepool'),
    disablePool: async () => unsupported('disablepool'),
    addPool: async () => unsupported('addpool'),
    removePool: async () => unsupported('removepool'),
    async pause() {
      if (board().getPhase() === 'paused') return { ok: false, code: 'already', message: 'already paused' };
      try {
        await board().pause('api');
        return { ok: true, message: 'paused: hashing off, power off, fans ramp down' };
      } catch (err) {
        return failed(err);
      }
    },
    async resume() {
      if (board().getPhase() !== 'paused') return { ok: false, code: 'already', message: `not paused (${board().getPhase()})` };
      try {
        await board().resume();
        return { ok: true, message: 'resumed' };
      } catch (err) {
        return failed(err);
      }
    },
    async restart() {
      const b = board();
      if (b.getPhase() !== 'running') return { ok: false, code: 'failed', message: `board is ${b.getPhase()}` };
      try {
        await b.pause('restart');
        await b.resume();
        return { ok: true, message: 'restarted: chains re-initialised' };
      } catch (err) {
        return failed(err);
      }
    },
  };
}
