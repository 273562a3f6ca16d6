/**
 * The pool sections of the agent config: `[[pool]]` for a single group, or `[[group]]` with
 * `[[group.pool]]` (Braiins OS+ vocabulary) for several groups sharing the hashrate by quota, plus
 * `[pools]` timing. The keys map onto PoolEntry / PoolManagerOptions (src/upstream/pool-config.ts,
 * src/upstream/pools.ts); docs/stratum-v1-and-pools.md describes the semantics.
 */
import { namePools, type PoolEntry, type PoolGroupConfig } from '../upstream/pool-config.js';
import type { PoolManagerOptions } from '../upstream/pools.js';
import { bool, int, list, num, oneOf, optional, str, table, withDefault, type Infer } from './schema.js';

/** Most pools in one group (`[[pool]]` or one `[[group]]`'s `[[group.pool]]`), and most groups: every write path holds to these. */
export const MAX_POOLS_PER_GROUP = 32;
export const MAX_POOL_GROUPS = 16;

const POOL_URL = /^(stratum\+tcp|stratum\+ssl):\/\/[^\s/:]+:\d{1,5}\/?$|^stratum2\+tcp:\/\/[^\s/:]+:\d{1,5}(\/[1-9A-HJ-NP-Za-km-z]{40,60})?\/?$/;

export const poolEntrySchema = table(
  {
    /** Id in logs, stats and the API (default: the URL). */
    name: optional(str({ pattern: /^[A-Za-z0-9_.:-]{1,64}$/, patternHint: 'a name of letters, digits, _ . : -' })),
    url: str({
      pattern: POOL_URL,
      patternHint: 'stratum2+tcp://host:port/AUTHORITY_KEY, stratum+tcp://host:port or stratum+ssl://host:port',
      maxLength: 512,
    }),
    user: str({ maxLength: 255 }),
    password: withDefault(str({ maxLength: 255 }), 'x'),
    /** Lower is tried first (default: order in the file). */
    priority: optional(int(0, 1000)),
    enabled: withDefault(bool(), true),
    /** V2: channel type; extended lets the agent roll extranonce per chain. */
    channel: withDefault(oneOf(['extended', 'standard'] as const), 'extended'),
    /**
     * Ask the pool for version rolling when the chips roll versions (they all do): V2 SetupConnection
     * REQUIRES_VERSION_ROLLING, V1 mining.configure version-rolling. false: never ask (docs/sv2.md).
     */
    version_rolling: withDefault(bool(), true),
    /** V2: accept a URL without an authority key, and only for a loopback or private address. */
    allow_unauthenticated: withDefault(bool(), false),
    /** V2: no Noise encryption (a pool's plain test port); needs allow_unauthenticated. */
    plain: withDefault(bool(), false),
    /** V1: mining.suggest_difficulty after authorize. */
    suggest_difficulty: optional(num(1e-12, 1e15)),
    /** V1: mining.extranonce.subscribe after authorize. */
    extranonce_subscribe: withDefault(bool(), false),
    /** V1: follow client.reconnect to another host/port. */
    follow_redirects: withDefault(bool(), false),
    tls_ca_file: optional(str({ maxLength: 4096 })),
    tls_allow_self_signed: withDefault(bool(), false),
    tls_servername: optional(str({ maxLength: 255 })),
  },
  {
    refine(p, report) {
      const v2 = p.url.startsWith('stratum2+tcp://');
      const hasKey = v2 && /:\d{1,5}\/[1-9A-HJ-NP-Za-km-z]{40,60}\/?$/.test(p.url);
      if (v2 && !hasKey && !p.allow_unauthenticated) {
        report(
          'url',
          'has no authority key; a Stratum V2 pool is authenticated by the key in the URL path (set allow_unauthenticated = true only for a pool on a private network)',
        );
      }
      if (p.plain && !p.allow_unauthenticated) report('plain', 'needs allow_unauthenticated = true (no encryption, no authentication)');
      if (p.plain && hasKey) report('plain', 'cannot be combined with an authority key in the URL');
      if (!v2 && (p.plain || p.allow_unauthenticated)) report(p.plain ? 'plain' : 'allow_unauthenticated', 'applies to stratum2+tcp pools only');
      const port = Number(/:(\d{1,5})(?:\/|$)/.exec(p.url.replace(/^[a-z0-9+]+:\/\//, ''))?.[1] ?? '0');
      if (!(port >= 1 && port <= 65_535)) report('url', `port ${port} is out of range; expected 1 to 65535`);
      if (!p.url.startsWith('stratum+ssl://') && (p.tls_ca_file || p.tls_allow_self_signed || p.tls_servername)) {
        report('url', 'tls_* keys apply to stratum+ssl:// pools only');
      }
    },
  },
);

export const poolGroupSchema = table({
  name: str({ pattern: /^[A-Za-z0-9_.-]{1,64}$/, patternHint: 'a group name of letters, digits, _ . -' }),
  /** Relative share of hashrate (time) this group gets. */
  quota: withDefault(num(0.001, 1e6), 1),
  pool: list(poolEntrySchema, { min: 1, max: MAX_POOLS_PER_GROUP }),
});

/** [pools]: the manager's timing, in seconds. */
export const poolsTimingSchema = table({
  connect_timeout: withDefault(num(1, 3600, { unit: 's' }), 30),
  no_job_timeout: withDefault(num(5, 3600, { unit: 's' }), 120),
  reject_run: withDefault(int(1, 10_000), 10),
  failback: withDefault(num(0, 86_400, { unit: 's' }), 60),
  quota_slice: withDefault(num(1, 86_400, { unit: 's' }), 60),
  drain: withDefault(num(0, 3600, { unit: 's' }), 15),
  /** With no work (no usable pool) this long, the chains are parked: chips held in reset or at their lowest clock. */
  idle_after: withDefault(num(0, 3600, { unit: 's' }), 10),
  standby: withDefault(int(0, 8), 1),
});

export const poolListSchema = optional(list(poolEntrySchema, { min: 1, max: MAX_POOLS_PER_GROUP }));
export const poolGroupListSchema = optional(list(poolGroupSchema, { min: 1, max: MAX_POOL_GROUPS }));

type PoolEntryConfig = Infer<typeof poolEntrySchema>;

export function toPoolEntry(p: PoolEntryConfig): PoolEntry {
  const e: PoolEntry = {
    url: p.url,
    user: p.user,
    password: p.password,
    enabled: p.enabled,
    channel: p.channel,
    versionRolling: p.version_rolling,
    allowUnauthenticated: p.allow_unauthenticated,
    plain: p.plain,
    extranonceSubscribe: p.extranonce_subscribe,
    followRedirects: p.follow_redirects,
  };
  if (p.name !== undefined) e.name = p.name;
  if (p.priority !== undefined) e.priority = p.priority;
  if (p.suggest_difficulty !== undefined) e.suggestDifficulty = p.suggest_difficulty;
  if (p.tls_ca_file !== undefined || p.tls_allow_self_signed || p.tls_servername !== undefined) {
    e.tls = {
      ...(p.tls_ca_file !== undefined ? { caFile: p.tls_ca_file } : {}),
      ...(p.tls_allow_self_signed ? { allowSelfSigned: true } : {}),
      ...(p.tls_servername !== undefined ? { servername: p.tls_servername } : {}),
    };
  }
  return e;
}

/**
 * Pool groups from `[[pool]]` (one group named "default") or `[[group]]`, every entry named (its
 * `name`, or `pool<N>` by position in the file), so that ids survive later edits.
 */
export function poolGroupsOf(pools: PoolEntryConfig[] | undefined, groups: Infer<typeof poolGroupSchema>[] | undefined): PoolGroupConfig[] {
  if (groups && groups.length > 0) return namePools(groups.map((g) => ({ name: g.name, quota: g.quota, pools: g.pool.map(toPoolEntry) })));
  if (pools && pools.length > 0) return namePools([{ name: 'default', quota: 1, pools: pools.map(toPoolEntry) }]);
  return [];
}

export function poolManagerTiming(t: Infer<typeof poolsTimingSchema>): Partial<PoolManagerOptions> {
  return {
    connectTimeoutMs: t.connect_timeout * 1000,
    noJobTimeoutMs: t.no_job_timeout * 1000,
    rejectRunLimit: t.reject_run,
    failbackMs: t.failback * 1000,
    quotaSliceMs: t.quota_slice * 1000,
    drainMs: t.drain * 1000,
    standby: t.standby,
  };
}
