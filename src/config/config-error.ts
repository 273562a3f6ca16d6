/** Every problem found in a config file, each with its key and line; the message lists them all. */
import type { ConfigIssue } from './schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(formatIssues(file, issues));
  }
}

/** `file:line: key: message`, one per line, in file order. */
export function formatIssues(file: string, issues: ConfigIssue[]): string {
  return [...issues]
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
    .map((i) => `${file}${i.line === undefined ? '' : `:${i.line}`}: ${i.key === '' ? '' : `${i.key}: `}${i.message}`)
    .join('\n');
}
