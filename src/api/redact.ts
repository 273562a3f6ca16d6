/**
 * Secrets never leave through the API (AxeOS once returned the Wi-Fi password: docs/api.md "Security model").
 * The agent hands the API a config already stripped of secrets; this second pass removes, whatever the
 * nesting, the value of every key that names a secret and the password part of any URL.
 */
import { REDACTED, redactUrlCredentials } from '../url-credentials.js';
import type { JsonValue } from './snapshot.js';

export { REDACTED, redactUrlCredentials };

/** Keys (case-insensitive, `_`/`-` ignored) whose values are secrets: by suffix, so `authority_secret`, `apiToken` match too. */
const SECRET_SUFFIXES = ['password', 'passwd', 'pass', 'token', 'secret', 'privatekey', 'secretkey', 'apikey', 'seckey'];

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_.\s]/g, '');
  return SECRET_SUFFIXES.some((s) => k.endsWith(s));
}

export function redactSecrets(value: JsonValue): JsonValue {
  if (typeof value === 'string') return redactUrlCredentials(value);
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === 'object') {
    const out: { [k: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) && v !== null && v !== '' ? REDACTED : redactSecrets(v);
    return out;
  }
  return value;
}
