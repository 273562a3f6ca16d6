/**
 * Telling systemd how the agent is doing (sd_notify(3)): READY=1 once the board is up, WATCHDOG=1 from
 * the event loop, RELOADING=1 / READY=1 around a reload, STOPPING=1 on the way out, STATUS= for
 * `systemctl status`.
 *
 * The protocol is one datagram of `KEY=VALUE` lines to the AF_UNIX SOCK_DGRAM socket named by
 * $NOTIFY_SOCKET. Node has no unix datagram sockets, so the datagram is sent by systemd's own
 * `systemd-notify` (part of the systemd package, so present wherever there is a NOTIFY_SOCKET to talk
 * to): no native dependency and nothing to build. systemd accepts a message from a child of the main
 * process only with `NotifyAccess=all` (the unit sets it), and finds the unit of a sender by its PID, so
 * the sender must still be alive when PID 1 reads the datagram: since systemd 246 `systemd-notify` waits
 * for that (sd_notify_barrier) unless told `--no-block`, and we never tell it that. README "Dependencies"
 * says why this beat a native addon.
 *
 * Outside systemd (no NOTIFY_SOCKET) every method is a no-op.
 */
import { spawn } from 'node:child_process';
import type { Logger } from '../log.js';

export interface ServiceNotifier {
  /** Whether a service manager is listening (NOTIFY_SOCKET set). */
  readonly active: boolean;
  /** The watchdog period systemd asked for (WATCHDOG_USEC), ms, or undefined when it is off. */
  readonly watchdogMs: number | undefined;
  ready(status: string): void;
  status(text: string): void;
  reloading(): void;
  stopping(status: string): void;
  /** Starts sending WATCHDOG=1 every half period from the event loop (sd_watchdog_enabled(3)). */
  startWatchdog(): void;
  stopWatchdog(): void;
  /** Resolves when every message handed to systemd-notify so far has been sent (tests, exit). */
  flush(): Promise<void>;
}

export interface NotifierOptions {
  env?: NodeJS.ProcessEnv;
  pid?: number;
  log?: Logger;
  /** The sender (tests point it at another binary); default `systemd-notify` from PATH. */
  command?: string;
}

/** CLOCK_MONOTONIC in µs: libuv's hrtime reads CLOCK_MONOTONIC on Linux, as RELOADING=1 wants. */
function monotonicUsec(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}

/**
 * WATCHDOG_USEC applies to us only when WATCHDOG_PID is unset or our PID (sd_watchdog_enabled(3)): a
 * child that inherited the environment must not ping for its parent.
 */
export function watchdogPeriodMs(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return usec / 1000;
}

export function serviceNotifier(o: NotifierOptions = {}): ServiceNotifier {
  const env = o.env ?? process.env;
  const socket = env.NOTIFY_SOCKET;
  const active = socket !== undefined && socket !== '';
  const watchdogMs = active ? watchdogPeriodMs(env, o.pid ?? process.pid) : undefined;
  const command = o.command ?? 'systemd-notify';
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;

  // One sender at a time, in the order asked: each datagram comes from its own `systemd-notify`
  // process, and two processes started together reach the socket in whichever order the scheduler
  // runs them. On a loaded machine a READY=1 that ends a reload then overtook its RELOADING=1, and
  // systemd would wait for a READY=1 that had already come (sd_notify(3): RELOADING=1 … READY=1).
  let chain: Promise<void> = Promise.resolve();
  // A watchdog ping already waiting is enough: a slow sender must not build a queue of them.
  let pingQueued = false;

  const spawnOnce = (args: string[]): Promise<void> =>
    new Promise<void>((resolve) => {
      // No shell; the environment (NOTIFY_SOCKET) is inherited. stdio ignored: it would interleave with
      // the JSON log on stdout.
      const child = spawn(command, args, { stdio: 'ignore' });
      const done = (ok: boolean, why?: string): void => {
        if (!ok && failures++ < 3) o.log?.warn({ command, args, why }, 'systemd-notify failed');
        resolve();
      };
      child.once('error', (err) => done(false, err.message));
      child.once('exit', (code, signal) => done(code === 0, code === 0 ? undefined : `exit ${code ?? signal}`));
    });

  const send = (args: string[]): void => {
    if (!active) return;
    const ping = args.length === 1 && args[0] === 'WATCHDOG=1';
    if (ping && pingQueued) return;
    if (ping) pingQueued = true;
    chain = chain.then(() => {
      if (ping) pingQueued = false;
      return spawnOnce(args);
    });
  };

  return {
    active,
    watchdogMs,
    ready: (status) => send(['--ready', `--status=${status}`]),
    status: (text) => send([`--status=${text}`]),
    reloading: () => send(['RELOADING=1', `MONOTONIC_USEC=${monotonicUsec()}`, '--status=reloading the config']),
    stopping: (status) => send(['STOPPING=1', `--status=${status}`]),
    startWatchdog() {
      if (watchdogMs === undefined || timer) return;
      send(['WATCHDOG=1']);
      // Half the period, as sd_watchdog_enabled(3) advises. Unref'd: the pings must never be what keeps an
      // ending process alive, and a stalled loop sends none (which is the point).
      timer = setInterval(() => send(['WATCHDOG=1']), Math.max(100, watchdogMs / 2));
      timer.unref();
    },
    stopWatchdog() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    async flush() {
      // Until nothing more was queued meanwhile (the chain's tail is the last notification asked for).
      let tail: Promise<void>;
      do {
        tail = chain;
        await tail;
      } while (tail !== chain);
    },
  };
}
