/**
 * How the agent takes a JdUpstream, until its config loader reads `[job_declaration]` itself:
 *
 * - `jdClients(cfg)`: the agent's upstream constructors (src/upstream/upstream-factory.ts CLIENTS) with
 *   one difference: the pool entry named `jd` (any `stratum2+tcp://` URL passes the pool schema; use
 *   the Template Provider's) becomes the JdUpstream built from `cfg`, with that entry's id, so the pool
 *   manager routes its shares back to it. `Agent` / `runAgent` take such a table (`clients`).
 *
 * The JdUpstream's alarms reach the local APIs through the agent (src/agent/censorship-alarms.ts): the
 * upstream layer does not know the API's types.
 */
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
