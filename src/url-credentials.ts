/**
 * Credentials in URLs (`scheme://user:secret@host`): never shown, whatever shows a URL (API replies,
 * metrics labels, logs). The config schema already refuses them in pool URLs; this is the second line.
 */

export const REDACTED = '[redacted]';

/** `scheme://user:secret@host` → `scheme://user:[redacted]@host` (anywhere in the string). */
export function redactUrlCredentials(s: string): string {
  return s.replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@/\s]*@/gi, `$1:${REDACTED}@`);
}
