/**
 * Write commands of the local APIs (off unless the config allows them for named addresses with a
 * token): pause and resume go through the board's curtailment path; restart re-powers the board and
 * brings the chains up again; the pool commands edit the config file's pool list and save it
 * (src/agent/settings.ts: atomic, comments kept, refused when the file was edited by hand), then a new
 * pool manager takes over as after SIGHUP (the chains keep running, the old manager drains its shares).
 * A restart therefore runs with the pools as the commands left them.
 */
import type { AgentControl, ControlResult, NewPool } from '../api/agent-control.js';
import { resolvePoolGroups } from '../upstream/pool-config.js';
import type { Agent } from './agent.js';
import { locatePool, poolIds, poolListOf, type ListedGroup, type ListedPool, type PoolList } from './pool-list.js';
import { envLogLevel, saveSettings, type SettingsTarget } from './settings.js';

function failed(err: unknown): ControlResult {
  return { ok: false, code: 'failed', message: err instanceof Error ? err.message : String(err) };
}

/** The agent as the settings path sees it: its config, its file, and SIGHUP's way of applying. */
export function settingsTarget(agent: Agent): SettingsTarget {
  return { config: agent.config, configFile: agent.configFile, apply: (next) => agent.reload(next, envLogLevel()) };
}

/** Saves a pool list; a list the pool manager could not run (no enabled pool in a group) is refused first. */
function savePools(agent: Agent, list: PoolList): ControlResult {
  try {
    resolvePoolGroups(list.groups.map((g) => ({ name: g.name, quota: g.quota, pools: g.pools.map((p) => ({ url: p.url, user: p.user, enabled: p.enabled, ...(p.name ? { name: p.name } : {}) })) })));
  } catch (err) {
    return { ok: false, code: 'last-pool', message: err instanceof Error ? err.message : String(err) };
  }
  const r = saveSettings(settingsTarget(agent), { pools: list });
  if (r.ok) return { ok: true, message: r.message };
  const detail = Object.entries(r.errors).map(([k, v]) => `${k}: ${v}`).join('; ');
  return { ok: false, code: r.status === 400 ? 'invalid' : 'failed', message: detail ? `${r.message} (${detail})` : r.message };
}

export function agentControl(agent: Agent): AgentControl {
  const board = (): typeof agent.rt.board => agent.rt.board;
  const edit = (id: string, change: (list: PoolList, at: { g: number; p: number }) => ControlResult | undefined): ControlResult => {
    const list = poolListOf(agent.config.agent);
    const at = locatePool(list, id);
    if (!at) return { ok: false, code: 'unknown-pool', message: `no pool ${JSON.stringify(id)} in the config file` };
    const refused = change(list, at);
    if (refused) return refused;
    const r = savePools(agent, list);
    return r.ok ? { ...r, poolId: id } : r;
  };
  const entry = (list: PoolList, at: { g: number; p: number }): ListedPool => (list.groups[at.g] as ListedGroup).pools[at.p] as ListedPool;
  return {
    async switchPool(id) {
      if (agent.pools?.currentPool() === id) return { ok: false, code: 'already', message: `${id} is already the active pool` };
      // The pool moves to the front of the first group, enabled; the others keep their order.
      return edit(id, (list, at) => {
        const [p] = (list.groups[at.g] as ListedGroup).pools.splice(at.p, 1) as [ListedPool];
        (list.groups[0] as ListedGroup).pools.unshift({ ...p, enabled: true });
        return undefined;
      });
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
      (list.groups[0] as ListedGroup).pools.push({ url: p.url, user: p.user, enabled: true, ...(p.password !== '' ? { password: p.password } : {}) });
      const r = savePools(agent, list);
      if (!r.ok) return r.code === 'failed' ? r : { ...r, code: 'invalid' };
      const ids = poolIds(agent.config.agent);
      const group0 = [...ids.entries()].filter(([k]) => k.startsWith('0:')).sort((a, b) => Number(a[0].slice(2)) - Number(b[0].slice(2)));
      return { ...r, poolId: group0[group0.length - 1]?.[1] ?? p.url };
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
