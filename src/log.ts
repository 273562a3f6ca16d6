/**
 * Logging through pino: JSON lines on stdout (journald under systemd). When stdout is a terminal the same
 * records are rendered for a person (src/terminal-view.ts: a banner, one status line per period, one line
 * per event and per warning); ASIC_AGENT_LOG_FORMAT=pretty shows every record through pino-pretty instead.
 * Under systemd each JSON record starts with its syslog priority `<N>` (src/service/journal-priority.ts).
 * Every module logs through `logger('<module>')` so each record carries `module`. Secrets are redacted
 * by key wherever they appear in a record.
 *
 * Logging never blocks the thermal loop (issue 21 D3): JSON records are written asynchronously, and when
 * the reader (journald under load, a full pipe) falls behind by more than LOG_BUFFER_MAX_BYTES, new
 * records are dropped and counted instead of stalling the event loop; one record later says how many
 * were dropped. At process exit what is buffered is flushed synchronously, for at most a bounded time,
 * so that the last records (the safe state) are not lost.
 */
import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';
import type { PrettyOptions } from 'pino-pretty';
import { terminalView } from './terminal-view.js';
import { isJournalStream, syslogPrefixed } from './service/journal-priority.js';
import { logTail } from './log-tail.js';

/** pino-pretty only when a terminal will read the logs: it is not loaded at all under systemd. */
function prettyStream(opts: PrettyOptions): DestinationStream {
  const load = createRequire(import.meta.url)('pino-pretty') as { default?: (o: PrettyOptions) => DestinationStream } & ((
    o: PrettyOptions,
  ) => DestinationStream);
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
  /** 'json' always, 'pretty' (pino-pretty) always, 'terminal' always, or 'auto' (terminal when stdout is a TTY). */
  format?: 'json' | 'pretty' | 'terminal' | 'auto';
  /** Destination override (tests). */
  destination?: DestinationStream;
  /** Where records go (default stdout); commands whose stdout is their result (probe) log to stderr. */
  stream?: 'stdout' | 'stderr';
}

/** How far the log reader may fall behind before records are dropped: 1 MiB, a few thousand records. */
export const LOG_BUFFER_MAX_BYTES = 1 << 20;
/** At exit, how long the final flush may wait on a reader that does not read. */
const EXIT_FLUSH_RETRIES = 20; // × sonic-boom's 100 ms busy-write pause = 2 s

let dropped = 0;
let dropReportTimer: NodeJS.Timeout | undefined;
let exiting = false;
let exitRetries = 0;
const streams = new Set<ReturnType<typeof pino.destination>>();

/** Records dropped so far because the log reader was too slow. */
export function droppedLogRecords(): number {
  return dropped;
}

/** Writes out what the JSON log streams hold, synchronously and for a bounded time (process exit). */
export function flushLogsSync(): void {
  exiting = true;
  for (const d of streams) {
    try {
      d.flushSync();
    } catch {
      // The reader is gone or stuck; nothing more can be done at exit.
    }
  }
}

/**
 * The production JSON destination on `fd`: asynchronous writes, at most LOG_BUFFER_MAX_BYTES behind,
 * drops counted. Exported for the test that shows the thermal loop keeps its period on a stuck reader.
 */
export function jsonDestination(fd = 1): DestinationStream {
  const dest = pino.destination({
    dest: fd,
    sync: false,
    maxLength: LOG_BUFFER_MAX_BYTES,
    // While running, a busy reader is waited for asynchronously (timers); at exit only briefly.
    retryEAGAIN: () => !exiting || ++exitRetries <= EXIT_FLUSH_RETRIES,
  });
  dest.on('drop', () => {
    dropped++;
    if (dropReportTimer) return;
    const reportFrom = dropped - 1;
    dropReportTimer = setTimeout(() => {
      dropReportTimer = undefined;
      root.warn({ dropped: dropped - reportFrom, droppedTotal: dropped }, 'log records dropped: the log reader is too slow');
    }, 10_000);
    dropReportTimer.unref();
  });
  // A write error (reader gone) must not become an uncaught exception in the middle of a safe stop.
  dest.on('error', () => undefined);
  streams.add(dest);
  return dest;
}

process.on('exit', flushLogsSync);

function makeRoot(opts: LogOptions = {}): Logger {
  const level = opts.level ?? (process.env.ASIC_AGENT_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  const format = opts.format ?? ((process.env.ASIC_AGENT_LOG_FORMAT as LogOptions['format']) || 'auto');
  const base = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } };
  if (opts.destination) return pino(base, tapped(opts.destination));
  const out = opts.stream === 'stderr' ? process.stderr : process.stdout;
  if (format === 'pretty')
    return pino(base, tapped(prettyStream({ colorize: true, sync: true, ignore: 'pid,hostname', destination: opts.stream === 'stderr' ? 2 : 1 })));
  if (format === 'terminal' || (format === 'auto' && out.isTTY === true)) {
    const color = out.isTTY === true && !process.env.NO_COLOR;
    return pino(base, tapped(terminalView({ level, color, write: (t) => out.write(t) })));
  }
  const fd = opts.stream === 'stderr' ? 2 : 1;
  // Asynchronous and bounded (jsonDestination): a slow reader never blocks the thermal loop.
  const dest = tapped(jsonDestination(fd));
  // Under systemd each record carries its syslog priority for journald (`journalctl -p warning`).
  return pino(base, isJournalStream(process.env, fd) ? syslogPrefixed(dest) : dest);
}

/** Every record also goes to the in-memory tail the dashboard's log view reads (src/log-tail.ts). */
function tapped(dest: DestinationStream): DestinationStream {
  const d = dest as DestinationStream & { flushSync?: () => void; flush?: (cb?: () => void) => void };
  return {
    write(line: string) {
      logTail.push(line);
      return d.write(line);
    },
    ...(d.flushSync ? { flushSync: () => d.flushSync?.() } : {}),
    ...(d.flush ? { flush: (cb?: () => void) => d.flush?.(cb) } : {}),
  } as DestinationStream;
}

let root: Logger = makeRoot();

/** Reconfigures the root logger (from the config file or CLI). Existing children keep the old one. */
export function configureLogging(opts: LogOptions): Logger {
  root = makeRoot(opts);
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
