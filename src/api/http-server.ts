/**
 * The HTTP API (node:http, no framework), default 127.0.0.1:4029. Read-only:
 *   GET /              index of the endpoints
 *   GET /api/status    compact status (pool, hashrate, shares, chains, temperatures, fans, power, alarms)
 *   GET /api/chains    chains with per-chip figures
 *   GET /api/pools     pools, share counters by reason, recent switches
 *   GET /api/board     board state, temperatures, fans, power, alarms
 *   GET /api/config    the running config, secrets redacted
 *   GET /api/tuning    the autotuner: state, target, rail, each chip's clock (docs/tuning.md)
 *   GET /metrics       Prometheus text format 0.0.4
 * Other paths 404, other methods 405, clients outside `allow` (when set) 403. Limits: maxConnections,
 * at most maxConnectionsPerAddress from one client address, a whole-request timeout checked every
 * second (Node's default check runs every 30 s), an idle timeout per connection, no request bodies.
 * Refused connections are logged summarised per interval, never one line each (issue 21 D3).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../clock.js';
import { logger, type Logger } from '../log.js';
import { LogSummary } from '../log-summary.js';
import { FIRMWARE_NAME, FIRMWARE_VERSION } from '../version.js';
import { addressAllowList, type AddressAllowList } from './address-allow.js';
import { ConnectionCap } from './connection-cap.js';
import type { HttpApiOptions } from './api-options.js';
import { boardView, chainsView, configView, poolsView, statusView, toJson, tuningView } from './http-views.js';
import { PROMETHEUS_CONTENT_TYPE, renderMetrics, type ApiMetrics, type MetricsOptions } from './prometheus.js';
import type { AgentSnapshot, SnapshotProvider } from './snapshot.js';

export interface HttpServerDeps {
  snapshot: SnapshotProvider;
  /** The cgminer server's counters, for /metrics. */
  apiMetrics?: () => ApiMetrics['cgminer'];
  /** Per-chip switch and process figures for `/metrics`. */
  metricsOptions?: () => MetricsOptions;
  /**
   * More routes (the web dashboard, src/dashboard): offered each request first, after the address
   * check; returns true when it has taken the request (it then reads any body itself).
   */
  routes?: (req: http.IncomingMessage, res: http.ServerResponse, path: string) => boolean;
  log?: Logger;
}

type View = (s: AgentSnapshot) => unknown;

const ROUTES = new Map<string, View>([
  ['/api/status', statusView],
  ['/api/chains', chainsView],
  ['/api/pools', poolsView],
  ['/api/board', boardView],
  ['/api/config', configView],
  ['/api/tuning', tuningView],
]);

export const HTTP_ENDPOINTS: readonly string[] = [...ROUTES.keys(), '/metrics'];

export class HttpApiServer {
  private readonly server: http.Server;
  private readonly log: Logger;
  private readonly allow?: AddressAllowList;
  private bound?: { host: string; port: number };
  readonly counters = { requests: 0, errors: 0 };
  /** Connections refused at accept (over maxConnections or over the per-address cap) and closed idle. */
  readonly refusals = { overLimit: 0, overAddressLimit: 0, idle: 0 };
  private readonly cap: ConnectionCap;
  private readonly summary: LogSummary;

  constructor(
    private readonly o: HttpApiOptions,
    private readonly deps: HttpServerDeps,
  ) {
    this.log = deps.log ?? logger('api.http');
    if (o.allow.length > 0) this.allow = addressAllowList(o.allow);
    this.cap = new ConnectionCap(o.maxConnectionsPerAddress);
    this.summary = new LogSummary(this.log, systemClock);
    this.server = http.createServer(
      {
        requestTimeout: o.requestTimeoutMs,
        headersTimeout: Math.min(o.requestTimeoutMs, 60_000),
        keepAliveTimeout: Math.min(5000, o.idleTimeoutMs),
        // Node checks the request and header timeouts on this period (default 30 s): a slowloris would
        // hold its connection that much longer than the configured timeout.
        connectionsCheckingInterval: 1000,
      },
      (req, res) => this.onRequest(req, res),
    );
    this.server.maxConnections = o.maxConnections;
    this.server.on('drop', (d?: { remoteAddress?: string }) => {
      this.refusals.overLimit++;
      this.summary.warn(
        'over-limit',
        { client: d?.remoteAddress, max: o.maxConnections, refused: this.refusals.overLimit },
        'HTTP API connection refused: too many connections',
      );
    });
    this.server.on('connection', (sock) => {
      if (!this.cap.admit(sock)) {
        this.refusals.overAddressLimit++;
        this.summary.warn(
          'over-address-limit',
          { client: sock.remoteAddress, max: this.cap.perAddress, refused: this.refusals.overAddressLimit },
          'HTTP API connection refused: too many connections from one address',
        );
        sock.destroy();
        return;
      }
      // A connection that sends nothing (before its first request or between keep-alive requests) goes.
      sock.setTimeout(o.idleTimeoutMs, () => {
        this.refusals.idle++;
        sock.destroy();
      });
    });
    this.server.maxHeadersCount = 50;
    this.server.on('clientError', (err, socket) => {
      this.log.debug({ err: err.message }, 'HTTP API client error');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host: this.o.host, port: this.o.port }, () => {
        this.server.off('error', onError);
        const a = this.server.address() as AddressInfo;
        this.bound = { host: this.o.host, port: a.port };
        resolve(this.bound);
      });
    });
  }

  address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  close(): Promise<void> {
    this.summary.close();
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private send(res: http.ServerResponse, status: number, body: string, type = 'application/json; charset=utf-8', head = false): void {
    if (status >= 400) this.counters.errors++;
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(head ? undefined : body);
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.counters.requests++;
    const client = req.socket.remoteAddress;
    if (this.allow && !this.allow.allows(client)) {
      this.log.debug({ client }, 'HTTP API request refused: address not allowed');
      return this.send(res, 403, toJson({ error: 'forbidden' }));
    }
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      req.resume();
      return this.send(res, 400, toJson({ error: 'bad request' }));
    }
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    if (this.deps.routes?.(req, res, path)) return;
    // No endpoint takes a body: drain and ignore whatever comes.
    req.resume();
    const view = ROUTES.get(path);
    if (!view && path !== '/metrics' && path !== '/') return this.send(res, 404, toJson({ error: 'not found', endpoints: HTTP_ENDPOINTS }), undefined, head);
    if (method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      return this.send(res, 405, toJson({ error: 'method not allowed' }));
    }
    if (path === '/') return this.send(res, 200, toJson({ name: FIRMWARE_NAME, version: FIRMWARE_VERSION, endpoints: HTTP_ENDPOINTS }), undefined, head);
    let snap: AgentSnapshot;
    try {
      snap = this.deps.snapshot();
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err), path }, 'HTTP API: snapshot failed');
      return this.send(res, 500, toJson({ error: 'snapshot unavailable' }));
    }
    try {
      if (path === '/metrics') {
        const cg = this.deps.apiMetrics?.();
        const body = renderMetrics(snap, { ...(cg ? { cgminer: cg } : {}), http: { ...this.counters } }, this.deps.metricsOptions?.());
        return this.send(res, 200, body, PROMETHEUS_CONTENT_TYPE, head);
      }
      return this.send(res, 200, toJson((view as View)(snap)), undefined, head);
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err), path }, 'HTTP API: view failed');
      return this.send(res, 500, toJson({ error: 'internal error' }));
    }
  }
}
