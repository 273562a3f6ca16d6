/**
 * $RUNTIME_DIRECTORY/agent.json (systemd's RuntimeDirectory=asic-agent, /run/asic-agent): which process
 * runs, which version, and where its APIs listen (ports may be 0 = chosen by the OS in the config). The
 * upgrade's health check reads it to find and recognise the new version; systemd removes the folder
 * when the service stops.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RUNTIME_FILE = 'agent.json';

export interface RuntimeInfo {
  pid: number;
  version: string;
  /** The package folder the process runs from (PREFIX/versions/<version>-<stamp>). */
  root: string;
  /** host:port, or null when that API is off. */
  http: string | null;
  cgminer: string | null;
  /** Wall-clock ms. */
  startedAt: number;
}

/** The first folder of RUNTIME_DIRECTORY (systemd separates several with ':'). */
export function runtimeDirectory(env: NodeJS.ProcessEnv): string | undefined {
  const d = env.RUNTIME_DIRECTORY?.split(':')[0];
  return d ? d : undefined;
}

export function writeRuntimeInfo(dir: string, info: RuntimeInfo): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${RUNTIME_FILE}.${process.pid}`);
  writeFileSync(tmp, JSON.stringify(info) + '\n');
  // Atomic: a reader sees the old file or the new one, never half of one.
  renameSync(tmp, join(dir, RUNTIME_FILE));
}

export function readRuntimeInfo(dir: string): RuntimeInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(join(dir, RUNTIME_FILE), 'utf8')) as Partial<RuntimeInfo>;
    if (typeof v.pid !== 'number' || typeof v.version !== 'string') return undefined;
    return {
      pid: v.pid,
      version: v.version,
      root: String(v.root ?? ''),
      http: v.http ?? null,
      cgminer: v.cgminer ?? null,
      startedAt: Number(v.startedAt ?? 0),
    };
  } catch {
    return undefined;
  }
}
