/**
 * The Job Declaration upstream's censorship alarms as the local APIs show them (`AgentSnapshot.alarms`,
 * kind `censorship`): the agent is where the upstream layer and the API meet, so the conversion lives
 * here, not in src/upstream.
 */
import type { Alarm } from '../api/snapshot.js';
import type { JdUpstream } from '../upstream/jd/jd-upstream.js';

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
