/**
 * Stratum V1 pool URLs: `stratum+tcp://host:port` (plain) and `stratum+ssl://host:port` (TLS, as in
 * ESP-Miner's per-pool TLS option, docs/stratum-v1-and-pools.md "URLs"). A port is required: Stratum has no
 * registered port and pools use many (3333, 4444, 443, ...). Credentials never go in the URL.
 */
export class Sv1UrlError extends Error {
  override readonly name = 'Sv1UrlError';
}

export interface Sv1Endpoint {
  tls: boolean;
  host: string;
  port: number;
}

export function parseSv1Url(url: string): Sv1Endpoint {
  const m = /^(stratum\+tcp|stratum\+ssl):\/\/(\[[0-9a-fA-F:.]+\]|[^:/@[\]\s]+):(\d{1,5})\/?$/.exec(url.trim());
  if (!m) {
    if (url.includes('@')) throw new Sv1UrlError('pool URL must not carry credentials; use user/password');
    throw new Sv1UrlError(`not a Stratum V1 URL (expected stratum+tcp://host:port or stratum+ssl://host:port): ${url}`);
  }
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new Sv1UrlError(`port ${port} out of range`);
  const rawHost = m[2] as string;
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  return { tls: m[1] === 'stratum+ssl', host, port };
}

export function formatSv1Url(e: Sv1Endpoint): string {
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  return `${e.tls ? 'stratum+ssl' : 'stratum+tcp'}://${host}:${e.port}`;
}
