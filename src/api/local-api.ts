/**
 * Starts the local APIs the config enables (cgminer TCP API and HTTP API) over one snapshot provider and
 * one control, and logs one record `msg: "api listening"` with `cgminer` and `http` as `host:port` (or
 * null when off). A non-loopback bind is logged as a warning while cgminer write access is on; a
 * read-only exposure is logged as info.
 */
import { systemClock, type Clock } from '../clock.js';
import { logger, type Logger } from '../log.js';
import type { AgentControl } from './agent-control.js';
import { hostPort, isLoopbackHost } from './address-allow.js';
import type { ApiOptions } from './api-options.js';
import { CgminerServer } from './cgminer-server.js';
import { HttpApiServer, type HttpServerDeps } from './http-server.js';
import { ProcessMetrics } from './process-metrics.js';
import type { SnapshotProvider } from './snapshot.js';

/** A local API server could not listen (port taken, address not on this machine, no permission). */
export class ApiListenError extends Error {
  override readonly name = 'ApiListenError';
  constructor(
    readonly server: 'cgminer' | 'http',
    readonly host: string,
    readonly port: number,
    readonly code: string | undefined,
    cause: unknown,
  ) {
    super(
      `${server === 'cgminer' ? 'cgminer API' : 'HTTP API'} cannot listen on ${hostPort(host, port)}: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

async function listenOrExplain(
  server: 'cgminer' | 'http',
  host: string,
  port: number,
  listen: () => Promise<{ host: string; port: number }>,
): Promise<{ host: string; port: number }> {
  try {
    return await listen();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ApiListenError(server, host, port, typeof code === 'string' ? code : undefined, err);
  }
}

export interface LocalApiDeps {
  snapshot: SnapshotProvider;
  control: AgentControl;
  /** Extra HTTP routes (the web dashboard); see HttpServerDeps.routes. */
  httpRoutes?: HttpServerDeps['routes'];
  clock?: Clock;
  log?: Logger;
}

export interface LocalApi {
  readonly cgminer?: CgminerServer;
  readonly http?: HttpApiServer;
  /** `host:port` of each server that is listening. */
  readonly addresses: { cgminer: string | null; http: string | null };
  close(): Promise<void>;
}

export async function startLocalApi(options: ApiOptions, deps: LocalApiDeps): Promise<LocalApi> {
  const log = deps.log ?? logger('api');
  const clock = deps.clock ?? systemClock;
  const c = options.cgminer;
  const h = options.http;
  let cgminer: CgminerServer | undefined;
  let http: HttpApiServer | undefined;
  let proc: ProcessMetrics | undefined;
  const addresses: { cgminer: string | null; http: string | null } = { cgminer: null, http: null };
  try {
    if (c.enabled) {
      cgminer = new CgminerServer(c, { snapshot: deps.snapshot, control: deps.control, clock, log: logger('api.cgminer') });
      const srv = cgminer;
      const a = await listenOrExplain('cgminer', c.host, c.port, () => srv.listen());
      addresses.cgminer = hostPort(a.host, a.port);
      if (!isLoopbackHost(c.host)) {
        const where = { cgminer: addresses.cgminer, allow: c.allow, writeAllow: c.write.allow };
        if (c.write.enabled && c.write.requireToken === false)
          log.warn(
            where,
            'cgminer API with address-only write access listens on a non-loopback address: anyone on the allow-list (or who can spoof an address on it) can switch pools and restart, no token asked',
          );
        else if (c.write.enabled)
          log.warn(
            where,
            'cgminer API with write access listens on a non-loopback address: anyone on the allow-list with the token can switch pools and restart',
          );
        else log.info(where, 'cgminer API listens on a non-loopback address (read-only)');
      }
    }
    if (h.enabled) {
      const cg = cgminer;
      const pm = (proc = new ProcessMetrics());
      http = new HttpApiServer(h, {
        snapshot: deps.snapshot,
        ...(cg ? { apiMetrics: () => cg.counters() } : {}),
        metricsOptions: () => ({ perChip: h.metricsPerChip, process: pm.read() }),
        ...(deps.httpRoutes ? { routes: deps.httpRoutes } : {}),
        log: logger('api.http'),
      });
      const srv = http;
      const a = await listenOrExplain('http', h.host, h.port, () => srv.listen());
      addresses.http = hostPort(a.host, a.port);
      if (!isLoopbackHost(h.host)) log.info({ http: addresses.http, allow: h.allow }, 'HTTP API listens on a non-loopback address (read-only)');
    }
  } catch (err) {
    await cgminer?.close();
    await http?.close();
    proc?.close();
    throw err;
  }
  log.info({ cgminer: addresses.cgminer, http: addresses.http, write: c.enabled && c.write.enabled }, 'api listening');
  return {
    ...(cgminer ? { cgminer } : {}),
    ...(http ? { http } : {}),
    addresses,
    async close() {
      await Promise.all([cgminer?.close(), http?.close()]);
      proc?.close();
    },
  };
}
