/**
 * Write commands of the local APIs (off unless the config allows them for named addresses with a
 * token): pause, resume and restart are the board's commands (src/agent/board-commands.ts: refused while
 * the thermal policy says no, rate-limited; none can clear a fault). The pool commands edit the config
 * file's pool list and save it (src/agent/settings.ts: checked by the config schema and its limits,
 * atomic, comments kept, refused when the file was edited by hand), then apply it as SIGHUP does: on the
 * running pool manager (PoolManager.setGroups: unchanged pools keep their sessions and in-flight shares,
 * issue 21 D6). A restart therefore runs with the pools as the commands left them. An added pool gets a
 * name of its own (pool<N>): ids never come from URLs, which may carry credentials (issue 21 D2).
 */
import type { AgentControl, ControlResult, NewPool } from '../api/agent-control.js';
import { freePoolName, resolvePoolGroups, type PoolGroupConfig } from '../upstream/pool-config.js';
import type { Agent } from './agent.js';
import { boardCommands, type BoardCommands } from './board-commands.js';
import { locatePool, poolListOf, type ListedGroup, type ListedPool, type PoolList } from './pool-list.js';
import { envLogLevel, saveSettings, type SettingsTarget } from './settings.js';

/** The agent as the settings path sees it: its config, its file, and SIGHUP's way of applying. */
export function settingsTarget(agent: Agent, switchTo?: string): SettingsTarget {
  return { config: agent.config, configFile: agent.configFile, apply: (next) => agent.reload(next, envLogLevel(), switchTo) };
}

/** The pool list as the pool manager's groups (names, enabled flags), for checks before saving. */
function groupsOfList(list: PoolList): PoolGroupConfig[] {
  return list.groups.map((g) => ({
    name: g.name,
    quota: g.quota,
    pools: g.pools.map((p) => ({ url: p.url, user: p.user, enabled: p.enabled, ...(p.name ? { name: p.name } : {}) })),
  }));
}

/** Saves a pool list; a list the pool manager could not run (no enabled pool in a group) is refused first. */
function savePools(agent: Agent, list: PoolList, switchTo?: string): ControlResult {
  try {
    resolvePoolGroups(groupsOfList(list));
  } catch (err) {
    return { ok: false, code: 'last-pool', message: err instanceof Error ? err.message : String(err) };
  }
  const r = saveSettings(settingsTarget(agent, switchTo), { pools: list });
  if (r.ok) return { ok: true, message: r.message };
  const detail = Object.entries(r.errors)
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ');
  return { ok: false, code: r.status === 400 ? 'invalid' : 'failed', message: detail ? `${r.message} (${detail})` : r.message };
}

export function agentControl(agent: Agent): AgentControl {
  const board = (): typeof agent.rt.board => agent.rt.board;
  const edit = (id: string, change: (list: PoolList, at: { g: number; p: number }) => ControlResult | undefined, switchTo?: string): ControlResult => {
    const list = poolListOf(agent.config.agent);
    const at = locatePool(list, id);
    if (!at) return { ok: false, code: 'unknown-pool', message: `no pool ${JSON.stringify(id)} in the config file` };
    const refused = change(list, at);
    if (refused) return refused;
    const r = savePools(agent, list, switchTo);
    return r.ok ? { ...r, poolId: id } : r;
  };
  const entry = (list: PoolList, at: { g: number; p: number }): ListedPool => (list.groups[at.g] as ListedGroup).pools[at.p] as ListedPool;
  return {
    async switchPool(id) {
      if (agent.pools?.currentPool() === id) return { ok: false, code: 'already', message: `${id} is already the active pool` };
      // The pool moves to the front of the first group, enabled; the others keep their order.
      return edit(
        id,
        (list, at) => {
          const [p] = (list.groups[at.g] as ListedGroup).pools.splice(at.p, 1) as [ListedPool];
          (list.groups[0] as ListedGroup).pools.unshift({ ...p, enabled: true });
          return undefined;
        },
        id,
      );
    },
    async enablePool(id) {
      return edit(id, (list, at) => {
        const e = entry(list, at);
        if (e.enabled) return { ok: false, code: 'already', message: `${id} is already enabled` };
        e.enabled = true;
        return undefined;
      });
    },
    async disablePool(id) {
      return edit(id, (list, at) => {
        const e = entry(list, at);
        if (!e.enabled) return { ok: false, code: 'already', message: `${id} is already disabled` };
        e.enabled = false;
        return undefined;
      });
    },
    async addPool(p: NewPool) {
      const list = poolListOf(agent.config.agent);
      if (list.groups.length === 0) list.groups.push({ name: 'default', quota: 1, pools: [] });
      // A name of its own: the id is never the URL (issue 21 D2). The schema checks the rest, its
      // limits included (at most 32 pools in a list, issue 21 D6), when the file is saved.
      const name = freePoolName(groupsOfList(list));
      (list.groups[0] as ListedGroup).pools.push({ name, url: p.url, user: p.user, enabled: true, ...(p.password !== '' ? { password: p.password } : {}) });
      const r = savePools(agent, list);
      if (!r.ok) return r.code === 'failed' ? r : { ...r, code: 'invalid' };
      return { ...r, poolId: name };
    },
    async removePool(id) {
      if (agent.pools?.currentPool() === id) return { ok: false, code: 'active-pool', message: `${id} is the active pool; switch away first` };
      return edit(id, (list, at) => {
        if (list.groups.reduce((n, x) => n + x.pools.length, 0) <= 1) return { ok: false, code: 'last-pool', message: 'cannot remove the last pool' };
        const g = list.groups[at.g] as ListedGroup;
        g.pools.splice(at.p, 1);
        if (g.pools.length === 0) list.groups.splice(at.g, 1);
        return undefined;
      });
    },
    ...curtailment(agent, boardCommands(board)),
  };
}

/**
 * The board's pause and resume, with the autotuner told (it keeps what it learnt and puts every chip back
 * at its clock after the resume). A board curtailed from the config (`[tuning] paused`) was never powered
 * up: resuming starts it.
 */
function curtailment(agent: Agent, cmds: BoardCommands): BoardCommands {
  return {
    ...cmds,
    async pause() {
      const r = await cmds.pause();
      if (r.ok) agent.tuning?.setPaused(true);
      return r;
    },
    async resume() {
      if (agent.tuning?.isPaused && agent.rt.board.getPhase() === 'idle') {
        try {
          await agent.setCurtailed(false);
          return { ok: true, message: 'resumed' };
        } catch (err) {
          return { ok: false, code: 'failed', message: err instanceof Error ? err.message : String(err) };
        }
      }
      const r = await cmds.resume();
      if (r.ok) agent.tuning?.setPaused(false);
      return r;
    },
  };
}
