/**
 * Every way the process can end goes through the board's safe state (architecture principle 4):
 * - SIGTERM, SIGINT: safe stop, cool-down, exit 0;
 * - SIGHUP: reload the config; a valid one applies its limits and log level without stopping; a broken
 *   one is refused with its errors at warning priority and the running config stays in force, mining
 *   goes on (the convention of nginx and of systemd's ExecReload=, whose pre-check `check-config` is);
 *   in a terminal, a SIGHUP that comes with the terminal's hangup is a stop instead;
 * - an uncaught exception or an unhandled rejection: logged, safe stop, exit 1;
 * - a second signal while stopping: once the board is safe (only the cool-down wait is left), the wait
 *   is skipped and the fans stay at the safe duty; before that, the synchronous emergency stop; exit at once;
 * - anything that still reaches process 'exit' (someone called process.exit) without the safe state:
 *   the synchronous emergency stop, which only needs sync GPIO and I2C writes.
 * A hard deadline bounds the whole shutdown, so a wedged bus cannot keep the process alive forever.
 */
import { flushLogsSync, type Logger } from '../log.js';
import { ConfigError } from '../config/config-error.js';
import type { Board, SafeStateReason } from './board.js';

/** What the guard tells the service manager (src/service/service-notifier.ts; absent outside systemd). */
export interface GuardNotifier {
  reloading(): void;
  ready(status: string): void;
  stopping(status: string): void;
}

type Handler = (...args: unknown[]) => void;

/** The part of `process` the guard uses (a fake in unit tests). */
export interface ProcessLike {
  on(event: string, fn: Handler): unknown;
  off(event: string, fn: Handler): unknown;
}

export interface ExitGuardOptions {
  board: Board;
  log: Logger;
  /** Re-reads the config for SIGHUP and applies it; throws (ConfigError or anything) when it is unusable. */
  reload?: () => void | Promise<void>;
  /** Called with the exit code once the board is safe. */
  exit: (code: number) => void;
  /** Upper bound for a shutdown, ms. */
  hardTimeoutMs: number;
  /** True when a SIGHUP means the controlling terminal went away rather than "reload" (interactive runs). */
  terminalGone?: () => boolean;
  proc?: ProcessLike;
  notify?: GuardNotifier;
}

export interface ExitGuard {
  /** Resolves with the exit code once the board is shut down. */
  done: Promise<number>;
  /** Ends the process through the safe state (a normal stop). */
  finish(reason: SafeStateReason, detail: string, code: number): void;
  uninstall(): void;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export function installExitGuard(o: ExitGuardOptions): ExitGuard {
  const proc: ProcessLike = o.proc ?? process;
  let finishing = false;
  /** The code the first stop request asked for. */
  let exitCode = 0;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => {
    resolveDone = r;
  });
  const handlers: [string, Handler][] = [];
  const on = (event: string, fn: Handler): void => {
    handlers.push([event, fn]);
    proc.on(event, fn);
  };
  const uninstall = (): void => {
    for (const [e, fn] of handlers) proc.off(e, fn);
    handlers.length = 0;
  };

  const finish = (reason: SafeStateReason, detail: string, code: number): void => {
    if (finishing) {
      if (o.board.isSafe()) {
        // The safe state is reached and only the cool-down wait remains: a person asked to skip it.
        o.log.info({ reason, controlC: o.board.controlTemperature() }, 'cool-down skipped');
        uninstall();
        o.exit(exitCode);
        resolveDone(exitCode);
        return;
      }
      o.log.error({ reason, detail }, 'second request to stop while stopping: emergency stop');
      o.board.emergencyStopSync(reason);
      uninstall();
      o.exit(code === 0 ? 1 : code);
      resolveDone(code === 0 ? 1 : code);
      return;
    }
    exitCode = code;
    finishing = true;
    o.log.info({ reason, detail }, 'stopping');
    o.notify?.stopping(`stopping (${reason}): safe state, then cool-down`);
    const hard = setTimeout(() => {
      o.log.error({ reason, timeoutMs: o.hardTimeoutMs }, 'shutdown took too long: emergency stop');
      o.board.emergencyStopSync(reason);
      uninstall();
      o.exit(1);
      resolveDone(1);
    }, o.hardTimeoutMs);
    o.board
      .shutdown(reason, detail)
      .then(
        () => code,
        (err: unknown) => {
          o.log.error({ err: describe(err) }, 'shutdown failed: emergency stop');
          o.board.emergencyStopSync(reason);
          return 1;
        },
      )
      .then((c) => {
        clearTimeout(hard);
        uninstall();
        o.exit(c);
        resolveDone(c);
      });
  };

  on('SIGTERM', () => finish('sigterm', 'SIGTERM received', 0));
  on('SIGINT', () => finish('sigint', 'SIGINT received', 0));
  on('SIGHUP', () => {
    if (finishing) return;
    if (o.terminalGone?.() === true) {
      // Not a reload request: the terminal the agent runs in has closed (its hangup). An agent left
      // running without its terminal is one nobody watches: stop it as Ctrl-C would.
      finish('sigterm', 'the terminal closed (SIGHUP)', 0);
      return;
    }
    o.log.info('SIGHUP: reloading the config');
    o.notify?.reloading();
    Promise.resolve()
      .then(() => o.reload?.())
      .then(
        () => {
          o.log.info('config reloaded');
          o.notify?.ready('config reloaded');
        },
        (err: unknown) => {
          // Refused, not fatal: the board keeps running on the config it was started or last reloaded
          // with, which is still in force and still what the API shows.
          const errors = err instanceof ConfigError ? err.message.split('\n') : [describe(err)];
          o.log.warn({ errors }, 'SIGHUP: the new config is refused; the running config stays in force');
          o.notify?.ready(`new config refused (${errors.length} error${errors.length === 1 ? '' : 's'}); running on the previous one`);
        },
      );
  });
  on('uncaughtException', (err) => {
    o.log.fatal({ err: describe(err), stack: err instanceof Error ? err.stack : undefined }, 'uncaught exception');
    finish('uncaught-exception', describe(err), 1);
  });
  on('unhandledRejection', (reason) => {
    o.log.fatal({ err: describe(reason), stack: reason instanceof Error ? reason.stack : undefined }, 'unhandled rejection');
    finish('unhandled-rejection', describe(reason), 1);
  });
  on('exit', () => {
    o.board.emergencyStopSync('exit');
    // Logs are written asynchronously (src/log.ts): what the emergency stop just logged goes out now.
    flushLogsSync();
  });

  return { done, finish, uninstall };
}
