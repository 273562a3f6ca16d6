/**
 * Logging through pino: JSON lines on stdout (journald under systemd), pretty when stdout is a terminal.
 * Every module logs through `logger('<module>')` so each record carries `module`. Secrets are redacted
 * by key wherever they appear in a record.
 */
import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';
import type { PrettyOptions } from 'pino-pretty';

/** pino-pretty only when a terminal will read the logs: it is not loaded at all under systemd. */
function prettyStream(opts: PrettyOptions): DestinationStream {
  const load = createRequire(import.meta.url)('pino-pretty') as { default?: (o: PrettyOptions) => DestinationStream } & ((o: PrettyOptions) => DestinationStream);
  return (load.default ?? load)(opts);
}

export type { Logger };

/** Keys whose values never reach a log line. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'pass',
  '*.pass',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'authoritySecret',
  '*.authoritySecret',
  'authority_secret',
  '*.authority_secret',
];

export interface LogOptions {
  level?: LevelWithSilent;
  /** 'json' always, 'pretty' always, or 'auto' (pretty when stdout is a TTY). */
  format?: 'json' | 'pretty' | 'auto';
  /** Destination override (tests). */
  destination?: DestinationStream;
}

function makeRoot(opts: LogOptions = {}): Logger {
  const level = opts.level ?? ((process.env.ASIC_AGENT_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info');
  const format = opts.format ?? ((process.env.ASIC_AGENT_LOG_FORMAT as LogOptions['format']) || 'auto');
  const usePretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true && !opts.destination);
  const base = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } };
  if (opts.destination) return pino(base, opts.destination);
  if (usePretty) return pino(base, prettyStream({ colorize: true, sync: true, ignore: 'pid,hostname' }));
  return pino(base, pino.destination({ dest: 1, sync: true }));
}

let root: Logger = makeRoot();

/** Reconfigures the root logger (from the config file or CLI). Existing children keep the old one. */
export function configureLogging(opts: LogOptions): Logger {
  root = makeRoot(opts);
  return root;
}

export function rootLogger(): Logger {
  return root;
}

/** A child logger for one module: `logger('bm13xx.chain')`. */
export function logger(module: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ module, ...bindings });
}

/** Changes the level of the root logger and every child created from it afterwards. */
export function setLogLevel(level: LevelWithSilent): void {
  root.level = level;
}
