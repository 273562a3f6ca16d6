/**
 * Pool groups as the agent's config describes them (Braiins' `[[group]]` / `[[group.pool]]` vocabulary,
 * docs/stratum-v1-and-pools.md "Pool manager"): groups share the hashrate by `quota`; inside a group, pools
 * are tried in priority order. Validation here is structural (the TOML schema checks types and unknown keys).
 */

export interface PoolTlsConfig {
  /** PEM CA (or self-signed certificate) that signs the pool's certificate. */
  caFile?: string;
  /** Accept any certificate: lab only. */
  allowSelfSigned?: boolean;
  /** Certificate name to check when it differs from the URL host. */
  servername?: string;
}

export interface PoolEntry {
  /**
   * Stable id for logs, stats and the API. Default: `pool<N>`, N its position among all entries (the
   * agent pins these names when it loads the config, so edits do not renumber). Never derived from the
   * URL, which may carry what should not be shown (issue 21 D2).
   */
  name?: string;
  /** stratum+tcp://, stratum+ssl:// (V1) or stratum2+tcp:// (V2, with the authority key in the path). */
  url: string;
  user: string;
  password?: string;
  /** Lower is tried first. Default: position in the group. */
  priority?: number;
  enabled?: boolean;
  /** V1: mining.suggest_difficulty after authorize (when > 0). */
  suggestDifficulty?: number;
  /** V1: mining.extranonce.subscribe after authorize. */
  extranonceSubscribe?: boolean;
  /** V1: follow client.reconnect to another host/port. */
  followRedirects?: boolean;
  tls?: PoolTlsConfig;
  /** V2: channel type (default extended: the agent rolls extranonce per chain). */
  channel?: 'standard' | 'extended';
  /**
   * Ask the pool for version rolling when the chips roll versions (default true): V2 sends
   * REQUIRES_VERSION_ROLLING in SetupConnection, V1 sends mining.configure version-rolling.
   */
  versionRolling?: boolean;
  /** V2: accept a URL without an authority key, only when the host is loopback or private. */
  allowUnauthenticated?: boolean;
  /** V2: no Noise encryption (a pool's plain test port); needs allowUnauthenticated. */
  plain?: boolean;
  /**
   * Overrides the manager's no-job timeout for this pool (ms; 0 = never). A Job Declaration upstream
   * gets new templates only on new blocks and fee changes, which can be far apart on a quiet chain.
   */
  noJobTimeoutMs?: number;
}

export interface PoolGroupConfig {
  name: string;
  /** Relative share of hashrate (time) this group gets. Default 1. */
  quota?: number;
  pools: PoolEntry[];
}

/** A pool entry with its resolved id and place. */
export interface ResolvedPool extends PoolEntry {
  id: string;
  password: string;
  group: string;
  /** 0 = highest priority within the group. */
  rank: number;
  /** Position of the entry in its group as configured. */
  index: number;
}

export interface ResolvedGroup {
  name: string;
  quota: number;
  pools: ResolvedPool[];
}

export class PoolConfigError extends Error {
  override readonly name = 'PoolConfigError';
}

/** Default names `pool<N>` (N counting every entry, enabled or not, in order), skipping names already taken. */
function defaultNames(groups: readonly PoolGroupConfig[]): string[][] {
  const taken = new Set(groups.flatMap((g) => g.pools.flatMap((p) => (p.name === undefined ? [] : [p.name]))));
  let n = 0;
  return groups.map((g) =>
    g.pools.map((p) => {
      n++;
      if (p.name !== undefined) return p.name;
      let k = n;
      while (taken.has(`pool${k}`)) k++;
      taken.add(`pool${k}`);
      return `pool${k}`;
    }),
  );
}

/** The groups with every unnamed entry given its default name, so that later edits keep the ids. */
export function namePools(groups: readonly PoolGroupConfig[]): PoolGroupConfig[] {
  const names = defaultNames(groups);
  return groups.map((g, gi) => ({ ...g, pools: g.pools.map((p, pi) => ({ ...p, name: names[gi]?.[pi] ?? p.name })) }));
}

/** A name no entry of `groups` has: `pool<N>` with the smallest free N above the entry count. */
export function freePoolName(groups: readonly PoolGroupConfig[]): string {
  const taken = new Set(defaultNames(groups).flat());
  let k = groups.reduce((a, g) => a + g.pools.length, 0) + 1;
  while (taken.has(`pool${k}`)) k++;
  return `pool${k}`;
}

export function resolvePoolGroups(groups: readonly PoolGroupConfig[]): ResolvedGroup[] {
  if (groups.length === 0) throw new PoolConfigError('at least one pool group is required');
  const names = new Set<string>();
  const ids = new Set<string>();
  const defaults = defaultNames(groups);
  const out: ResolvedGroup[] = [];
  for (const [gi, g] of groups.entries()) {
    const where = `group ${JSON.stringify(g.name ?? gi)}`;
    if (typeof g.name !== 'string' || g.name.length === 0) throw new PoolConfigError(`group ${gi}: name is required`);
    if (names.has(g.name)) throw new PoolConfigError(`${where}: duplicate group name`);
    names.add(g.name);
    const quota = g.quota ?? 1;
    if (!Number.isFinite(quota) || quota <= 0) throw new PoolConfigError(`${where}: quota must be a positive number`);
    const enabled = g.pools
      .map((p, i) => ({ p, i }))
      .filter(({ p }) => p.enabled !== false)
      .sort((a, b) => (a.p.priority ?? a.i) - (b.p.priority ?? b.i) || a.i - b.i);
    if (enabled.length === 0) throw new PoolConfigError(`${where}: no enabled pool`);
    const pools: ResolvedPool[] = enabled.map(({ p, i }, rank) => {
      const id = defaults[gi]?.[i] ?? `pool${i + 1}`;
      if (typeof p.url !== 'string' || p.url.length === 0) throw new PoolConfigError(`${where}: pool ${id}: url is required`);
      if (typeof p.user !== 'string' || p.user.length === 0) throw new PoolConfigError(`${where}: pool ${id}: user is required`);
      if (ids.has(id)) throw new PoolConfigError(`${where}: duplicate pool name ${JSON.stringify(id)}`);
      ids.add(id);
      return { ...p, id, password: p.password ?? 'x', group: g.name, rank, index: i };
    });
    out.push({ name: g.name, quota, pools });
  }
  return out;
}
