/**
 * How the agent takes a JdUpstream, until its config loader reads `[job_declaration]` itself:
 *
 * - `jdClients(cfg)`: the agent's upstream constructors (src/upstream/upstream-factory.ts CLIENTS) with
 *   one difference: the pool entry named `jd` (any `stratum2+tcp://` URL passes the pool schema; use
 *   the Template Provider's) becomes the JdUpstream built from `cfg`, with that entry's id, so the pool
 *   manager routes its shares back to it. `Agent` / `runAgent` take such a table (`clients`).
 * - `censorshipAlarmsForApi(up, toWall)`: the JdUpstream's alarms as the local APIs show them
 *   (`AgentSnapshot.alarms`, kind `censorship`), for `buildSnapshot(agent, [source])`.
 */
import type { Alarm } from '../../api/snapshot.js';
import { CLIENTS, type UpstreamConstructor } from '../upstream-factory.js';
import type { Upstream } from '../upstream.js';
import { createJdUpstream, type JobDeclarationConfig } from './jd-options.js';
import type { JdUpstream } from './jd-upstream.js';

/** The pool entry name that stands for the Job Declaration upstream. */
export const JD_POOL_NAME = 'jd';

export interface JdClientsOptions {
  /** Pool entry name (default 'jd'). */
  poolName?: string;
  /** Told about each JdUpstream built (the agent wires its alarms into the API). */
  onCreate?: (up: JdUpstream) => void;
}

export function jdClients(cfg: JobDeclarationConfig, o: JdClientsOptions = {}): Record<string, UpstreamConstructor> {
  const name = o.poolName ?? JD_POOL_NAME;
  const sv2 = CLIENTS['stratum2+tcp'] as UpstreamConstructor;
  return {
    ...CLIENTS,
    'stratum2+tcp': (pool, ctx): Upstream => {
      if (pool.name !== name) return sv2(pool, ctx);
      const up = createJdUpstream(cfg, { clock: ctx.clock, nominalHashrate: ctx.nominalHashrate, id: pool.id });
      o.onCreate?.(up);
      return up;
    },
  };
}

/** Censorship alarms for the API: active while the agent is not mining for the pool that refused. */
export function censorshipAlarmsForApi(up: JdUpstream, toWall: (monotonicMs: number) => number): Alarm[] {
  const st = up.stats().jd;
  return st.alarms.map((a) => ({
    kind: 'censorship',
    severity: 'warning',
    message: `${a.pool} refused template ${a.templateId} (${a.kind}, ${a.code}${a.txids.length > 0 ? `, transactions ${a.txids.join(', ')}` : ''}): ${a.error}; ${a.action}`,
    at: toWall(a.at),
    active: st.mining !== a.pool,
    pool: a.pool,
    templateId: a.templateId,
    error: a.error,
    code: a.code,
    txids: a.txids,
  }));
}
