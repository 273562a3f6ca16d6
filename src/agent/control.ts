/**
 * Write commands of the local APIs (off unless the config allows them for named addresses with a
 * token): pause, resume and restart are the board's commands (src/agent/board-commands.ts: refused while
 * the thermal policy says no, rate-limited); the pool commands edit the pool groups in force and apply them to the
 * running pool manager (PoolManager.setGroups: unchanged pools keep their sessions and shares; an added
 * pool is checked by the config schema, within its limits). Pool edits last until the
 * agent restarts: the config file stays as the miner wrote it (like Braiins OS's 4028 writes).
 */
import type { AgentControl, ControlResult, NewPool } from '../api/agent-control.js';
import { MAX_POOLS_PER_GROUP, poolEntryFromFields } from '../config/pool-sections.js';
import { freePoolName, resolvePoolGroups, type PoolEntry, type PoolGroupConfig } from '../upstream/pool-config.js';
import type { Agent } from './agent.js';
import { boardCommands } from './board-commands.js';

/**
 * Where pool `id` sits in the groups (ids as the pool manager and the API name them). Disabled entries
 * are resolved too, so that enablepool can find them.
 */
function locate(groups: PoolGroupConfig[], id: string): { g: number; p: number } | undefined {
  const resolved = resolvePoolGroups(groups.map((g) => ({ ...g, pools: g.pools.map((p) => ({ ...p, enabled: true })) })));
  for (let g = 0; g < resolved.length; g++) {
    const hit = resolved[g]?.pools.find((rp) => rp.id === id);
    if (hit) return { g, p: hit.index };
  }
  return undefined;
}

const copy = (groups: PoolGroupConfig[]): PoolGroupConfig[] => groups.map((g) => ({ ...g, pools: g.pools.map((p) => ({ ...p })) }));

export function agentControl(agent: Agent): AgentControl {
  const board = (): typeof agent.rt.board => agent.rt.board;
  const edit = (id: string, change: (groups: PoolGroupConfig[], at: { g: number; p: number }) => ControlResult | undefined, switchTo?: string): ControlResult => {
    const groups = copy(agent.groups);
    const at = locate(groups, id);
    if (!at) return { ok: false, code: 'unknown-pool', message: `no pool ${JSON.stringify(id)}` };
    const refused = change(groups, at);
    if (refused) return refused;
    try {
      resolvePoolGroups(groups);
    } catch (err) {
      return { ok: false, code: 'last-pool', message: err instanceof Error ? err.message : String(err) };
    }
    agent.applyPoolGroups(groups, switchTo);
    return { ok: true, poolId: id };
  };
  return {
    async switchPool(id) {
      if (agent.pools?.currentPool() === id) return { ok: false, code: 'already', message: `${id} is already the active pool` };
      // The pool moves to the front of the first group, enabled; the others keep their order.
      return edit(id, (groups, at) => {
        const [entry] = (groups[at.g] as PoolGroupConfig).pools.splice(at.p, 1) as [PoolEntry];
        const first = groups[0] as PoolGroupConfig;
        first.pools.forEach((p, i) => (p.priority = i + 1));
        first.pools.unshift({ ...entry, enabled: true, priority: 0 });
        return undefined;
      }, id);
    },
    async enablePool(id) {
      return edit(id, (groups, at) => {
        const e = (groups[at.g] as PoolGroupConfig).pools[at.p] as PoolEntry;
        if (e.enabled !== false) return { ok: false, code: 'already', message: `${id} is already enabled` };
        e.enabled = true;
        return undefined;
      });
    },
    async disablePool(id) {
      return edit(id, (groups, at) => {
        const e = (groups[at.g] as PoolGroupConfig).pools[at.p] as PoolEntry;
        if (e.enabled === false) return { ok: false, code: 'already', message: `${id} is already disabled` };
        e.enabled = false;
        return undefined;
      });
    },
    async addPool(p: NewPool) {
      const groups = copy(agent.groups);
      if (groups.length === 0) groups.push({ name: 'default', pools: [] });
      const first = groups[0] as PoolGroupConfig;
      // The config schema's rules and limits, as for a [[pool]] table (issue 21 D2, D6).
      if (first.pools.length >= MAX_POOLS_PER_GROUP) {
        return { ok: false, code: 'invalid', message: `${first.name} already has ${first.pools.length} pools, the most a group may have (${MAX_POOLS_PER_GROUP})` };
      }
      let entry: PoolEntry;
      try {
        entry = { ...poolEntryFromFields({ url: p.url, user: p.user, password: p.password }), name: freePoolName(groups) };
      } catch (err) {
        return { ok: false, code: 'invalid', message: err instanceof Error ? err.message : String(err) };
      }
      first.pools.push(entry);
      try {
        resolvePoolGroups(groups);
        agent.applyPoolGroups(groups);
        return { ok: true, poolId: entry.name as string, message: 'added (until restart; the config file is unchanged)' };
      } catch (err) {
        return { ok: false, code: 'invalid', message: err instanceof Error ? err.message : String(err) };
      }
    },
    async removePool(id) {
      if (agent.pools?.currentPool() === id) return { ok: false, code: 'active-pool', message: `${id} is the active pool; switch away first` };
      return edit(id, (groups, at) => {
        const g = groups[at.g] as PoolGroupConfig;
        if (groups.reduce((n, x) => n + x.pools.length, 0) <= 1) return { ok: false, code: 'last-pool', message: 'cannot remove the last pool' };
        g.pools.splice(at.p, 1);
        if (g.pools.length === 0) groups.splice(at.g, 1);
        return undefined;
      });
    },
    ...boardCommands(board),
  };
}
