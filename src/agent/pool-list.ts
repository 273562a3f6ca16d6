/**
 * The pools of the config file as one editable list, in the form the file uses: `[[pool]]` (one group)
 * or `[[group]]` with `[[group.pool]]`. The dashboard's pool form, the HTTP settings API and the cgminer
 * write commands (switchpool, enablepool, disablepool, addpool, removepool) all edit this list, and one
 * function turns it into edits of the file's text (src/config/toml-edit.ts), so that every way of
 * changing pools is saved the same way.
 *
 * Each pool remembers where it stood in the file (`from`), so that a kept pool keeps its lines, its
 * comments and the keys the form does not show (channel, TLS, …). Pools are written in the list's order
 * and without `priority` keys: the order on the page is the order of failover.
 */
import type { AgentConfig } from '../config/agent-config.js';
import { poolGroupsOf } from '../config/pool-sections.js';
import type { TableItem, TomlEdit, TomlScalar } from '../config/toml-edit.js';
import { resolvePoolGroups } from '../upstream/pool-config.js';
import { JD_POOL_NAME } from '../upstream/jd/jd-agent.js';
import { withJobDeclaration } from './agent.js';

export interface ListedPool {
  /** Where it was in the file: group index (0 for `[[pool]]`) and index in that group's list. */
  from?: { group: number; index: number };
  name?: string;
  url: string;
  user: string;
  /** A new password; absent keeps the one in the file (new pools then get the default "x"). */
  password?: string;
  enabled: boolean;
  /** Whether the file holds a password for it (the password itself never leaves the agent). */
  hasPassword?: boolean;
  channel?: 'extended' | 'standard';
  /** The API's id of this pool (name, or URL), for reference. */
  id?: string;
}

export interface ListedGroup {
  from?: number;
  name: string;
  quota: number;
  pools: ListedPool[];
}

export interface PoolList {
  /** How the file writes its pools: `[[pool]]`, `[[group]]`, or none yet (a new list is `[[pool]]`). */
  form: 'pool' | 'group';
  groups: ListedGroup[];
}

type RawPool = Record<string, unknown>;

/** The pool list of a config, in failover order within each group. */
export function poolListOf(agent: AgentConfig): PoolList {
  const form: PoolList['form'] = agent.group && agent.group.length > 0 ? 'group' : 'pool';
  const rawGroups =
    form === 'group'
      ? (agent.group ?? []).map((g) => ({ name: g.name, quota: g.quota, pools: g.pool }))
      : [{ name: 'default', quota: 1, pools: agent.pool ?? [] }];
  const ids = poolIds(agent);
  return {
    form,
    groups: rawGroups.map((g, gi) => ({
      from: gi,
      name: g.name,
      quota: g.quota,
      pools: g.pools
        .map((p, i) => ({ p, i }))
        .sort((a, b) => (a.p.priority ?? a.i) - (b.p.priority ?? b.i) || a.i - b.i)
        .map(({ p, i }) => {
          const lp: ListedPool = {
            from: { group: gi, index: i },
            url: p.url,
            user: p.user,
            enabled: p.enabled,
            hasPassword: p.password !== 'x',
            channel: p.channel,
          };
          if (p.name !== undefined) lp.name = p.name;
          const id = ids.get(`${gi}:${i}`);
          if (id !== undefined) lp.id = id;
          return lp;
        }),
    })),
  };
}

/**
 * The id the pool manager and the APIs give each pool of the file (`group:index` → id): the same
 * resolution the agent runs, Job Declaration's own entry included and then left out.
 */
export function poolIds(agent: AgentConfig): Map<string, string> {
  const out = new Map<string, string>();
  const groups = poolGroupsOf(agent.pool, agent.group).map((g) => ({ ...g, pools: g.pools.map((p) => ({ ...p, enabled: true })) }));
  if (groups.length === 0) return out;
  const jd = agent.job_declaration !== undefined;
  const resolved = resolvePoolGroups(withJobDeclaration(groups, agent.job_declaration));
  resolved.forEach((g, gi) => {
    for (const p of g.pools) {
      if (jd && gi === 0 && p.index === 0 && p.id === JD_POOL_NAME) continue;
      out.set(`${gi}:${jd && gi === 0 ? p.index - 1 : p.index}`, p.id);
    }
  });
  return out;
}

/** Where the pool with API id `id` is in the list, if it is a pool of the file. */
export function locatePool(list: PoolList, id: string): { g: number; p: number } | undefined {
  for (let g = 0; g < list.groups.length; g++) {
    const p = (list.groups[g] as ListedGroup).pools.findIndex((x) => x.id === id);
    if (p >= 0) return { g, p };
  }
  return undefined;
}

function poolItem(p: ListedPool, groupFrom: number | undefined, raw: RawPool[][]): TableItem {
  const old = p.from ? raw[p.from.group]?.[p.from.index] : undefined;
  // Only what changed is written: a kept pool keeps its lines (and comments) for everything else.
  const set: Record<string, TomlScalar | undefined> = {};
  const name = p.name === undefined || p.name === '' ? undefined : p.name;
  if (name !== old?.name) set.name = name;
  if (p.url !== old?.url) set.url = p.url;
  if (p.user !== old?.user) set.user = p.user;
  const wasEnabled = old?.enabled !== false;
  if (p.enabled !== wasEnabled) set.enabled = old?.enabled !== undefined ? p.enabled : p.enabled ? undefined : false;
  if (old?.priority !== undefined) set.priority = undefined;
  if (p.password !== undefined && p.password !== '') set.password = p.password;
  const oldChannel = typeof old?.channel === 'string' ? old.channel : 'extended';
  if (p.channel !== undefined && p.channel !== oldChannel) set.channel = p.channel;
  if (old && p.from && p.from.group === groupFrom) return { from: p.from.index, set };
  // A new pool, or one that moved to another group: written anew with every key it had.
  const full: Record<string, TomlScalar | undefined> = {};
  for (const [k, v] of Object.entries(old ?? {})) if (isScalar(v)) full[k] = v;
  for (const [k, v] of Object.entries(set)) full[k] = v;
  return { set: full };
}

function isScalar(v: unknown): v is TomlScalar {
  return (
    typeof v === 'string' ||
    typeof v === 'number' ||
    typeof v === 'boolean' ||
    (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number'))
  );
}

/**
 * The file edits that make the file's pools this list. `raw` is the file's parsed data, for pools that
 * move between groups.
 */
export function poolListEdits(list: PoolList, raw: Record<string, unknown>): TomlEdit[] {
  if (list.form === 'pool') {
    const rawPools = (Array.isArray(raw.pool) ? raw.pool : []) as RawPool[];
    const pools = list.groups.flatMap((g) => g.pools);
    return [
      {
        op: 'tables',
        key: 'pool',
        items: pools.map((p) => poolItem({ ...p, from: p.from ? { group: 0, index: p.from.index } : undefined } as ListedPool, 0, [rawPools])),
      },
    ];
  }
  const rawGroups = (Array.isArray(raw.group) ? raw.group : []) as Record<string, unknown>[];
  const rawPools = rawGroups.map((g) => (Array.isArray(g.pool) ? (g.pool as RawPool[]) : []));
  return [
    {
      op: 'tables',
      key: 'group',
      items: list.groups.map((g) => {
        const item: TableItem = {
          set: { name: g.name, quota: g.quota === 1 ? undefined : g.quota },
          arrays: { pool: g.pools.map((p) => poolItem(p, g.from, rawPools)) },
        };
        if (g.from !== undefined && rawGroups[g.from]) item.from = g.from;
        return item;
      }),
    },
  ];
}
