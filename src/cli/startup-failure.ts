/**
 * One human line for each way `asic-agent run` (and `demo`) can fail to start: it names the cause and the
 * fix. The structured record still goes to the log; this line is what a person at a terminal or in
 * `journalctl -u asic-agent` reads first.
 */
import { ApiListenError } from '../api/local-api.js';

export interface StartupHints {
  /** How the user changes each API port here (config key, or a command-line flag for the demo). */
  cgminerPort?: string;
  httpPort?: string;
}

const DEFAULT_HINTS: Required<StartupHints> = {
  cgminerPort: '[api.cgminer] port in the config',
  httpPort: '[api.http] port in the config',
};

export function explainStartupFailure(err: unknown, hints: StartupHints = {}): string {
  const h = { ...DEFAULT_HINTS, ...hints };
  if (err instanceof ApiListenError) {
    const what = err.server === 'cgminer' ? 'the cgminer API' : 'the HTTP API';
    const fix = err.server === 'cgminer' ? h.cgminerPort : h.httpPort;
    if (err.code === 'EADDRINUSE') {
      return `port ${err.port} on ${err.host} is already in use, so ${what} cannot listen there (another asic-agent running?): change ${fix} (0 picks a free port), or stop the other program`;
    }
    if (err.code === 'EACCES') return `${what} may not listen on port ${err.port} (ports below 1024 need root): change ${fix}`;
    if (err.code === 'EADDRNOTAVAIL')
      return `${what} cannot listen on ${err.host}: that address is not on this machine; change the host in the config's [api] section`;
    return err.message;
  }
  const name = err instanceof Error ? err.name : '';
  const msg = err instanceof Error ? err.message : String(err);
  // Errors whose message already names cause and fix (pty support, I2C/GPIO/UART devices, simulators).
  if (['PtyError', 'SimChainError', 'I2cError', 'GpioError', 'GpioUnavailableError', 'DeviceMissingError', 'SimOnlyError'].includes(name)) return msg;
  return `${name ? `${name}: ` : ''}${msg}`;
}
