/**
 * `[dashboard]`: the web page the HTTP API serves (docs/dashboard.md). Reading follows `[api.http]`'s
 * address and allow-list; changing settings needs the password whose scrypt hash is stored here
 * (`asic-agent password --config FILE` writes it). Without it the page is read-only.
 */
import { bool, int, optional, str, table, withDefault } from './schema.js';

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64 (src/dashboard/password.ts). */
export const HASHED_PASSWORD = /^scrypt\$\d{1,8}\$\d{1,3}\$\d{1,3}\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/;

export const dashboardSchema = table({
  /** Serve the page (and the settings API) on the HTTP API's address. */
  enabled: withDefault(bool(), true),
  /** The settings password, as its scrypt hash; absent = nobody can change settings from the network. */
  hashed_password: optional(str({ pattern: HASHED_PASSWORD, patternHint: 'a hash written by `asic-agent password` (scrypt$N$r$p$salt$hash)', maxLength: 512 })),
  /** A login session ends after this long without a request. */
  session_idle_minutes: withDefault(int(1, 10_080, { unit: 'min' }), 60),
});
