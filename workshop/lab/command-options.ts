/**
 * Option parsing shared by the `asic-agent lab …` commands: a bad value is a UsageError that names the
 * option and says what it must be, so the command prints it with its usage.
 */
import { UsageError } from '../../src/cli/command.js';
import { parseAuthoritySecret } from '../../src/upstream/sv2/authority-key.js';

/** A numeric option: undefined when absent, otherwise a finite number that passes `check`. */
export function numberOption(name: string, v: string | undefined, check: (x: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || !check(x)) throw new UsageError(`--${name} must be ${what}`);
  return x;
}

/** `--authority-secret`: undefined when absent, the parsed secret, or a UsageError with the parser's reason. */
export function authoritySecretOption(v: string | undefined): Uint8Array | undefined {
  if (v === undefined) return undefined;
  try {
    return parseAuthoritySecret(v);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}
