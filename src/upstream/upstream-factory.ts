/**
 * Builds the upstream client for a pool entry from its URL scheme. The agent hands
 * `upstreamFactory({ clock, nominalHashrate })` to the PoolManager. Each protocol registers its
 * constructor in CLIENTS.
 */
import { systemClock, type Clock } from '../clock.js';
import { PoolConfigError, type ResolvedPool } from './pool-config.js';
import { Sv1Client } from './sv1/client.js';
import { Sv2MiningClient } from './sv2/mining-client.js';
import type { UpstreamFactory } from './pools.js';
import type { Upstream } from './upstream.js';

/** What a client may need from the agent besides its pool entry. */
export interface UpstreamContext {
  clock: Clock;
  /** The board's nominal hashrate, H/s (SV2 channels announce it). */
  nominalHashrate: number;
  /**
   * The chips roll version bits (in-chip rolling, or BM1397's midstates): the upstream asks the pool
   * for version rolling, and an SV2 standard channel with a fixed version is unusable (docs/sv2.md).
   */
  chipsRollVersions: boolean;
}

export type UpstreamConstructor = (pool: ResolvedPool, ctx: UpstreamContext) => Upstream;

function sv2(pool: ResolvedPool, ctx: UpstreamContext): Upstream {
  return new Sv2MiningClient({
    id: pool.id,
    url: pool.url,
    user: pool.user,
    password: pool.password,
    channel: pool.channel ?? 'extended',
    nominalHashrate: ctx.nominalHashrate,
    clock: ctx.clock,
    requireVersionRolling: ctx.chipsRollVersions && pool.versionRolling !== false,
    chipsRollVersions: ctx.chipsRollVersions,
    ...(pool.allowUnauthenticated !== undefined ? { allowUnauthenticated: pool.allowUnauthenticated } : {}),
    ...(pool.plain !== undefined ? { plain: pool.plain } : {}),
  });
}

function sv1(pool: ResolvedPool, { clock, chipsRollVersions }: UpstreamContext): Upstream {
  return new Sv1Client({
    id: pool.id,
    url: pool.url,
    user: pool.user,
    password: pool.password,
    clock,
    ...(!chipsRollVersions || pool.versionRolling === false ? { versionRolling: false as const } : {}),
    ...(pool.suggestDifficulty !== undefined ? { suggestDifficulty: pool.suggestDifficulty } : {}),
    ...(pool.extranonceSubscribe !== undefined ? { extranonceSubscribe: pool.extranonceSubscribe } : {}),
    ...(pool.followRedirects !== undefined ? { followRedirects: pool.followRedirects } : {}),
    ...(pool.tls ? { tls: pool.tls } : {}),
  });
}

/** URL scheme -> client constructor. */
export const CLIENTS: Record<string, UpstreamConstructor> = {
  'stratum+tcp': sv1,
  'stratum+ssl': sv1,
  'stratum2+tcp': sv2,
};

export function schemeOf(url: string): string {
  const i = url.indexOf('://');
  return i < 0 ? '' : url.slice(0, i);
}

export function upstreamFactory(
  opts: { clock?: Clock; nominalHashrate?: number; chipsRollVersions?: boolean; clients?: Record<string, UpstreamConstructor> } = {},
): UpstreamFactory {
  // Every BM13xx family rolls versions (in-chip, or BM1397's four midstates): asking is the default.
  const ctx: UpstreamContext = {
    clock: opts.clock ?? systemClock,
    nominalHashrate: opts.nominalHashrate ?? 1e12,
    chipsRollVersions: opts.chipsRollVersions ?? true,
  };
  const clients = opts.clients ?? CLIENTS;
  return (pool) => {
    const make = clients[schemeOf(pool.url)];
    if (!make) throw new PoolConfigError(`pool ${pool.id}: no client for URL scheme '${schemeOf(pool.url)}' (supported: ${Object.keys(clients).join(', ')})`);
    return make(pool, ctx);
  };
}
