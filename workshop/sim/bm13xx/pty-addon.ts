/**
 * Loads the pseudo-terminal addon (native/pty, built by `npm ci` through node-gyp). It is a dev
 * dependency of the workshop (simulators and tests), never installed on a miner. When it is missing or
 * the platform cannot make ptys, PtyError carries one line that names the cause and the fix.
 */
import { createRequire } from 'node:module';

export class PtyError extends Error {
  override readonly name = 'PtyError';
}

export interface PtyHandles {
  masterFd: number;
  slaveFd: number;
  path: string;
}

export interface PtyAddon {
  openPty(): PtyHandles;
  termiosBaud(fd: number): { input: number; output: number };
}

let cached: PtyAddon | undefined;

export function ptyAddon(): PtyAddon {
  if (cached) return cached;
  if (process.platform === 'win32') throw new PtyError('pseudo-terminals are not available on Windows: the simulated chains need Linux or macOS');
  try {
    cached = createRequire(import.meta.url)('@asic-agent/pty') as PtyAddon;
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    if (e.code === 'EPTYADDON') throw new PtyError(String(e.message));
    if (e.code === 'MODULE_NOT_FOUND') {
      throw new PtyError('pseudo-terminal support is not installed (@asic-agent/pty): run `npm ci` (it builds the addon with python3, make and a C compiler)');
    }
    throw new PtyError(`pseudo-terminal support failed to load: ${String(e.message ?? err)}`);
  }
  return cached;
}

/** A new pty pair, or PtyError with one human line (for example when /dev/pts is not mounted). */
export function openPtyHandles(): PtyHandles {
  const addon = ptyAddon();
  try {
    return addon.openPty();
  } catch (err) {
    throw new PtyError(`cannot create a pseudo-terminal (${err instanceof Error ? err.message : String(err)}): is /dev/pts mounted and /dev/ptmx present?`);
  }
}
