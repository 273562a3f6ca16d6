/**
 * What the API may ask the agent to do: the write commands of the cgminer API (switchpool, enablepool,
 * disablepool, addpool, removepool, restart) plus pause/resume. The API checks access (allow-listed
 * client address and token) before calling any of these; the agent implements them and answers with a
 * result the API turns into cgminer's STATUS codes. Pools are named by their snapshot id.
 */

/**
 * Why a command was refused:
 *   unknown-pool  no pool with that id;
 *   already       nothing to do (already enabled/disabled/paused/running);
 *   last-pool     it would leave no enabled pool;
 *   active-pool   the pool is in use and cannot be removed now;
 *   invalid       bad arguments (e.g. an addpool URL the agent cannot use);
 *   unsupported   the agent does not offer this command;
 *   failed        anything else (message says what).
 */
export type ControlErrorCode = 'unknown-pool' | 'already' | 'last-pool' | 'active-pool' | 'invalid' | 'unsupported' | 'failed';

export type ControlResult = { ok: true; message?: string; poolId?: string } | { ok: false; code: ControlErrorCode; message: string };

export interface NewPool {
  url: string;
  user: string;
  password: string;
}

export interface AgentControl {
  switchPool(poolId: string): Promise<ControlResult>;
  enablePool(poolId: string): Promise<ControlResult>;
  disablePool(poolId: string): Promise<ControlResult>;
  /** `poolId` of the result is the new pool's id. */
  addPool(pool: NewPool): Promise<ControlResult>;
  removePool(poolId: string): Promise<ControlResult>;
  /** Called after the reply has been sent (cgminer replies RESTART first, then restarts). */
  restart(): Promise<ControlResult>;
  /** Why a restart would be refused now, or undefined; asked before the RESTART reply so the client reads the reason. */
  restartRefusal?(): string | undefined;
  /** Stops hashing through the board's pause path (fans keep cooling); not a process exit. */
  pause(): Promise<ControlResult>;
  resume(): Promise<ControlResult>;
}

/** A control that refuses everything: for a read-only agent, or before the agent is ready. */
export const readOnlyControl: AgentControl = {
  switchPool: async () => unsupported(),
  enablePool: async () => unsupported(),
  disablePool: async () => unsupported(),
  addPool: async () => unsupported(),
  removePool: async () => unsupported(),
  restart: async () => unsupported(),
  pause: async () => unsupported(),
  resume: async () => unsupported(),
};

function unsupported(): ControlResult {
  return { ok: false, code: 'unsupported', message: 'not supported by this agent' };
}
