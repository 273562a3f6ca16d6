/**
 * Options of the local APIs: what the `[api]` section of the agent config turns into (docs/api.md lists
 * the TOML keys). Loopback only by default; write commands off by default, and when on they need both
 * an allow-listed client address and the token (open 4028 write access has been used to redirect
 * hashrate: docs/api.md "Security model").
 */
import { addressAllowList, AddressRuleError } from './address-allow.js';

export interface CgminerApiOptions {
  enabled: boolean;
  host: string;
  /** cgminer's default API port. */
  port: number;
  /** Client addresses/subnets allowed to connect at all; empty = anyone who can reach `host`. */
  allow: string[];
  /** Connections served at once; more are closed at accept (cgminer queues 100; we refuse instead). */
  maxConnections: number;
  /** Of those, at most this many from one client address (one client cannot hold every slot). */
  maxConnectionsPerAddress: number;
  /** Largest request accepted. cgminer reads at most TMPBUFSIZ/2-1 = 4095 bytes (api.c). */
  maxRequestBytes: number;
  /** A connection that has not sent a complete request by then is closed. */
  idleTimeoutMs: number;
  /** A connection is closed this long after it was accepted, whatever it is doing (slow readers). */
  connectionTimeoutMs: number;
  /** Quiet time after which a plain-text request without a line end counts as complete. */
  settleMs: number;
  write: WriteAccessOptions;
}

export interface WriteAccessOptions {
  enabled: boolean;
  /** Client addresses/subnets that may use write commands (with the token). Required when enabled. */
  allow: string[];
  /** Shared secret, at least 16 characters from [A-Za-z0-9._~+/=-] (no comma: it leads the parameter). */
  token?: string;
  /**
   * false: an address in `allow` may write without a token, as cgminer's `--api-allow W:` grants it
   * (what pyasic and other standard clients can use). Default true: address and token.
   */
  requireToken?: boolean;
}

export interface HttpApiOptions {
  enabled: boolean;
  host: string;
  port: number;
  /** Client addresses/subnets allowed; empty = anyone who can reach `host`. */
  allow: string[];
  maxConnections: number;
  /** Of those, at most this many from one client address. */
  maxConnectionsPerAddress: number;
  /** Whole-request deadline (headers and all). */
  requestTimeoutMs: number;
  /** `/metrics` carries per-chip series (about 150 kB per scrape at 3 × 126 chips; 16 kB without). */
  metricsPerChip: boolean;
  /** A connection with nothing to do (no request yet, or between keep-alive requests) is closed after this. */
  idleTimeoutMs: number;
}

export interface ApiOptions {
  cgminer: CgminerApiOptions;
  http: HttpApiOptions;
}

export const DEFAULT_CGMINER_PORT = 4028;
export const DEFAULT_HTTP_PORT = 4029;

export function defaultApiOptions(): ApiOptions {
  return {
    cgminer: {
      enabled: true,
      host: '127.0.0.1',
      port: DEFAULT_CGMINER_PORT,
      allow: [],
      maxConnections: 32,
      maxConnectionsPerAddress: 8,
      maxRequestBytes: 4095,
      idleTimeoutMs: 5000,
      connectionTimeoutMs: 15_000,
      settleMs: 100,
      write: { enabled: false, allow: [] },
    },
    http: {
      enabled: true,
      host: '127.0.0.1',
      port: DEFAULT_HTTP_PORT,
      allow: [],
      maxConnections: 32,
      maxConnectionsPerAddress: 8,
      requestTimeoutMs: 10_000,
      metricsPerChip: true,
      idleTimeoutMs: 5000,
    },
  };
}

export type ApiOptionsInput = {
  cgminer?: Partial<Omit<CgminerApiOptions, 'write'>> & { write?: Partial<WriteAccessOptions> };
  http?: Partial<HttpApiOptions>;
};

export class ApiConfigError extends Error {
  override readonly name = 'ApiConfigError';
}

const TOKEN_RE = /^[A-Za-z0-9._~+/=-]{16,256}$/;

/** Defaults filled in and every value checked; throws ApiConfigError naming the key. */
export function resolveApiOptions(input: ApiOptionsInput = {}): ApiOptions {
  const d = defaultApiOptions();
  const c = { ...d.cgminer, ...input.cgminer, write: { ...d.cgminer.write, ...input.cgminer?.write } };
  const h = { ...d.http, ...input.http };
  port('api.cgminer.port', c.port);
  port('api.http.port', h.port);
  host('api.cgminer.host', c.host);
  host('api.http.host', h.host);
  positiveInt('api.cgminer.max_connections', c.maxConnections);
  positiveInt('api.cgminer.max_request_bytes', c.maxRequestBytes);
  positiveInt('api.cgminer.idle_timeout_ms', c.idleTimeoutMs);
  positiveInt('api.cgminer.connection_timeout_ms', c.connectionTimeoutMs);
  positiveInt('api.cgminer.settle_ms', c.settleMs);
  positiveInt('api.http.max_connections', h.maxConnections);
  positiveInt('api.cgminer.max_connections_per_address', c.maxConnectionsPerAddress);
  positiveInt('api.http.max_connections_per_address', h.maxConnectionsPerAddress);
  positiveInt('api.http.idle_timeout_ms', h.idleTimeoutMs);
  positiveInt('api.http.request_timeout_ms', h.requestTimeoutMs);
  rules('api.cgminer.allow', c.allow);
  rules('api.cgminer.write.allow', c.write.allow);
  rules('api.http.allow', h.allow);
  if (c.write.enabled) {
    if (c.write.allow.length === 0) throw new ApiConfigError('api.cgminer.write.allow: write access needs at least one allowed client address or subnet');
    if (c.write.requireToken !== false && (typeof c.write.token !== 'string' || !TOKEN_RE.test(c.write.token))) {
      throw new ApiConfigError(
        'api.cgminer.write.token: write access needs a token of at least 16 characters from A-Z a-z 0-9 . _ ~ + / = - (or require_token = false for address-only access)',
      );
    }
    if (c.write.token !== undefined && !TOKEN_RE.test(c.write.token)) {
      throw new ApiConfigError('api.cgminer.write.token: a token needs at least 16 characters from A-Z a-z 0-9 . _ ~ + / = -');
    }
  }
  if (c.enabled && h.enabled && c.port === h.port && c.port !== 0 && c.host === h.host)
    throw new ApiConfigError('api.http.port: same address as the cgminer API');
  return { cgminer: c, http: h };
}

function port(key: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) throw new ApiConfigError(`${key}: must be an integer 0..65535`);
}
function host(key: string, v: unknown): void {
  if (typeof v !== 'string' || v.trim() === '') throw new ApiConfigError(`${key}: must be a host name or address`);
}
function positiveInt(key: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ApiConfigError(`${key}: must be a positive integer`);
}
function rules(key: string, v: unknown): void {
  if (!Array.isArray(v)) throw new ApiConfigError(`${key}: must be a list of addresses or subnets`);
  try {
    addressAllowList(v as string[]);
  } catch (err) {
    if (err instanceof AddressRuleError) throw new ApiConfigError(`${key}: ${err.message}`);
    throw err;
  }
}
