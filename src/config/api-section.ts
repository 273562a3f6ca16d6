/**
 * The `[api]` section of the agent config: `[api.cgminer]` (+ `[api.cgminer.write]`) and `[api.http]`,
 * mapped onto the API's options (src/api/api-options.ts, docs/api.md). Types and ranges are checked
 * here with line numbers; the address rules and the write token are checked by `resolveApiOptions`,
 * whose errors are reported against this section's lines.
 */
import type { ApiOptionsInput } from '../api/api-options.js';
import { bool, int, list, optional, section, str, table, withDefault, type Infer } from './schema.js';

const rule = str({ maxLength: 64, patternHint: 'an address or subnet such as 192.168.1.0/24' });
const hostStr = str({ maxLength: 255, patternHint: 'a host name or address (127.0.0.1, 0.0.0.0, ::1)' });

const write = table({
  enabled: withDefault(bool(), false),
  allow: withDefault(list(rule, { max: 64 }), []),
  token: optional(str({ maxLength: 256 })),
  /** false: an allowed address may write without the token (cgminer's model; docs/api.md). */
  require_token: withDefault(bool(), true),
});

const cgminer = table({
  enabled: withDefault(bool(), true),
  host: withDefault(hostStr, '127.0.0.1'),
  port: withDefault(int(0, 65535), 4028),
  allow: withDefault(list(rule, { max: 64 }), []),
  max_connections: withDefault(int(1, 10_000), 32),
  max_connections_per_address: withDefault(int(1, 10_000), 8),
  max_request_bytes: withDefault(int(16, 1_048_576), 4095),
  idle_timeout_ms: withDefault(int(1, 600_000, { unit: 'ms' }), 5000),
  connection_timeout_ms: withDefault(int(1, 600_000, { unit: 'ms' }), 15_000),
  settle_ms: withDefault(int(1, 60_000, { unit: 'ms' }), 100),
  write: section(write),
});

const http = table({
  enabled: withDefault(bool(), true),
  host: withDefault(hostStr, '127.0.0.1'),
  port: withDefault(int(0, 65535), 4029),
  allow: withDefault(list(rule, { max: 64 }), []),
  max_connections: withDefault(int(1, 10_000), 32),
  max_connections_per_address: withDefault(int(1, 10_000), 8),
  request_timeout_ms: withDefault(int(1, 600_000, { unit: 'ms' }), 10_000),
  /** `/metrics` per-chip series (hashrate, nonces, hardware errors, silent). */
  metrics_per_chip: withDefault(bool(), true),
  idle_timeout_ms: withDefault(int(1, 600_000, { unit: 'ms' }), 5000),
});

export const apiSectionSchema = table({
  cgminer: section(cgminer),
  http: section(http),
});

export function toApiOptionsInput(a: Infer<typeof apiSectionSchema>): ApiOptionsInput {
  const c = a.cgminer;
  return {
    cgminer: {
      enabled: c.enabled,
      host: c.host,
      port: c.port,
      allow: c.allow,
      maxConnections: c.max_connections,
      maxConnectionsPerAddress: c.max_connections_per_address,
      maxRequestBytes: c.max_request_bytes,
      idleTimeoutMs: c.idle_timeout_ms,
      connectionTimeoutMs: c.connection_timeout_ms,
      settleMs: c.settle_ms,
      write: {
        enabled: c.write.enabled,
        allow: c.write.allow,
        requireToken: c.write.require_token,
        ...(c.write.token !== undefined ? { token: c.write.token } : {}),
      },
    },
    http: {
      enabled: a.http.enabled,
      host: a.http.host,
      port: a.http.port,
      allow: a.http.allow,
      maxConnections: a.http.max_connections,
      maxConnectionsPerAddress: a.http.max_connections_per_address,
      requestTimeoutMs: a.http.request_timeout_ms,
      metricsPerChip: a.http.metrics_per_chip,
      idleTimeoutMs: a.http.idle_timeout_ms,
    },
  };
}
