/**
 * SV2 pool URLs: `stratum2+tcp://host:port/<authority key base58check>` (the form SRI, proto-fleet and
 * ESP-Miner users pass around; spec 4.7.1 for the key). A URL without a key names an unauthenticated
 * pool, which the client refuses unless the configuration allows it for a private network.
 */
import { decodeAuthorityKey } from './authority-key.js';

export const SV2_SCHEME = 'stratum2+tcp';
/** SRI's example pool port (Noise). */
export const SV2_DEFAULT_PORT = 34254;

export class PoolUrlError extends Error {
  override readonly name = 'PoolUrlError';
}

export interface Sv2PoolUrl {
  host: string;
  port: number;
  /** BIP340 x-only authority key, or null when the URL has none. */
  authorityKey: Uint8Array | null;
  /** The key as written in the URL. */
  authorityKeyText: string | null;
  /** The URL as given, for logs (it carries no secret). */
  text: string;
}

export function parseSv2Url(text: string): Sv2PoolUrl {
  const t = text.trim();
  const m = /^([a-z0-9+.-]+):\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?(?:\/([^?#]*))?$/i.exec(t);
  if (!m) throw new PoolUrlError(`not a pool URL: ${JSON.stringify(t)} (expected ${SV2_SCHEME}://host:port/<authority key>)`);
  const [, scheme, rawHost, rawPort, rawPath] = m;
  if ((scheme as string).toLowerCase() !== SV2_SCHEME) throw new PoolUrlError(`URL scheme must be ${SV2_SCHEME}, got ${scheme}`);
  const host = (rawHost as string).startsWith('[') ? (rawHost as string).slice(1, -1) : (rawHost as string);
  if (host.length === 0) throw new PoolUrlError('pool URL has no host');
  const port = rawPort === undefined ? SV2_DEFAULT_PORT : Number(rawPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PoolUrlError(`pool port ${rawPort} out of range`);
  const keyText = (rawPath ?? '').replace(/\/+$/, '');
  if (keyText.includes('/')) throw new PoolUrlError('pool URL path must be just the authority key');
  const authorityKey = keyText.length > 0 ? decodeAuthorityKey(keyText) : null;
  return { host, port, authorityKey, authorityKeyText: keyText.length > 0 ? keyText : null, text: t };
}

export function formatSv2Url(host: string, port: number, authorityKeyText: string | null): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `${SV2_SCHEME}://${h}:${port}${authorityKeyText ? `/${authorityKeyText}` : ''}`;
}
