/**
 * Values a person still has to fill in. The installer's first config (no --config given) names no board
 * and no pool: each such value is a string starting with "FILL IN", followed by what to put there. The
 * agent refuses to start on such a file and `check-config` lists every one with its line, instead of the
 * service mining on a simulated board to example pools.
 */
import { ConfigError } from './config-error.js';
import type { ConfigIssue } from './schema.js';
import type { TomlDocument } from './toml-file.js';
import { indexPath, keyPath, lineOf } from './toml-lines.js';

export const PLACEHOLDER = 'FILL IN';

function walk(value: unknown, key: string, out: { key: string; text: string }[]): void {
  if (typeof value === 'string') {
    if (value.startsWith(PLACEHOLDER)) out.push({ key, text: value.slice(PLACEHOLDER.length).replace(/^[:\s]+/, '') });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, indexPath(key, i), out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walk(v, keyPath(key, k), out);
  }
}

/** Throws a ConfigError naming every value still to be filled in, with its line. */
export function rejectPlaceholders(doc: TomlDocument): void {
  const found: { key: string; text: string }[] = [];
  walk(doc.data, '', found);
  if (found.length === 0) return;
  const issues: ConfigIssue[] = found.map((f) => ({ key: f.key, line: lineOf(doc.lines, f.key), message: `not filled in yet${f.text ? `: ${f.text}` : ''}` }));
  throw new ConfigError(doc.file, issues);
}
