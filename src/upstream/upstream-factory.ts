/**
 * Builds the upstream client for a pool entry from its URL scheme. The agent hands
 * `upstreamFactory({ clock })` to the PoolManager. Each protocol registers its constructor in CLIENTS;
 * Stratum V2 (`stratum2+tcp`) is added where its client lives.
 */
import { systemClock, type Clock } from '../clock.js';
import { PoolConfigError, type ResolvedPool } from './pool-config.js';
import { Sv1Client } from './sv1/client.js';
import type { UpstreamFactory } from './pools.js';
import type { Upstream } from './upstream.js';

export type UpstreamConstructor = (pool: ResolvedPool, clock: Clock) => Upstream;

function sv1(pool: ResolvedPool, clock: Clock): Upstream {
  return new Sv1Client({
    id: pool.id,
    url: pool.url,
    user: pool.user,
    password: pool.password,
    clock,
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
};

export function schemeOf(url: string): string {
  const i = url.indexOf('://');
  return i < 0 ? '' : url.slice(0, i);
}

export function upstreamFactory(opts: { clock?: Clock; clients?: Record<string, UpstreamConstructor> } = {}): UpstreamFactory {
  const clock = opts.clock ?? systemClock;
  const clients = opts.clients ?? CLIENTS;
  return (pool) => {
    const make = clients[schemeOf(pool.url)];
    if (!make) throw new PoolConfigError(`pool ${pool.id}: no client for URL scheme '${schemeOf(pool.url)}' (supported: ${Object.keys(clients).join(', ')})`);
    return make(pool, clock);
  };
}
