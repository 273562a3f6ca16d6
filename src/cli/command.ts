/** A CLI subcommand: `asic-agent <name> [args]`. `run` returns the process exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** True when the command dispatches to subcommands that print their own --help (lab). */
  subcommands?: boolean;
  run(argv: string[]): Promise<number>;
}

/** A usage error: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The usage error an exception stands for, if any: ours, or node:util parseArgs refusing an option
 * (ERR_PARSE_ARGS_UNKNOWN_OPTION and friends), which is the user's typo, not a crash.
 */
export function asUsageError(err: unknown): UsageError | undefined {
  if (err instanceof UsageError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_') && err instanceof Error) return new UsageError(err.message);
  return undefined;
}
