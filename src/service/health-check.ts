/**
 * Is the agent that runs now the one we expect, and is it mining? Used by `asic-agent upgrade` after a
 * restart: the runtime file (src/service/runtime-file.ts) names the process, its version and its API
 * addresses; the HTTP API's /api/status says whether the board is up, a chain hashes with verified
 * nonces and a pool is in use; the cgminer API, when on, must answer too.
 */
import { connect } from 'node:net';
import { basename } from 'node:path';
import type { StatusView } from '../api/http-views.js';
import { readRuntimeInfo, type RuntimeInfo } from './runtime-file.js';

export interface HealthExpectation {
  /** The folder under PREFIX/versions the process must run from. */
  versionDir: string;
  version: string;
  /** PIDs that must not count (the process before the restart). */
  notPids: number[];
}

export type Health = { ok: true; info: RuntimeInfo; status: StatusView } | { ok: false; reason: string };

/** The verdict on one /api/status answer: undefined when healthy, else why not. */
export function miningProblem(s: StatusView, version: string): string | undefined {
  if (s.firmware?.version !== version) return `the API reports version ${String(s.firmware?.version)}, not ${version}`;
  if (s.board?.state !== 'running') return `the board is ${String(s.board?.state)}${s.board?.reason ? ` (${s.board.reason})` : ''}`;
  const chains = Array.isArray(s.chains) ? s.chains : [];
  if (!chains.some((c) => c.state === 'running')) return `no chain is running (${chains.map((c) => `${c.id}: ${c.state}`).join(', ') || 'none'})`;
  if (!(s.validNonces > 0)) return 'no verified nonce from the chips yet';
  if (!s.pool) return 'no pool in use';
  if (s.pool.status !== 'alive') return `the pool in use (${s.pool.id}) is ${s.pool.status}`;
  return undefined;
}

function cgminerAnswers(hostPort: string, timeoutMs: number): Promise<string | undefined> {
  const i = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(hostPort.slice(i + 1));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = connect(port, host, () => s.write('{"command":"version"}'));
    s.setTimeout(timeoutMs, () => {
      s.destroy();
      resolve(`the cgminer API at ${hostPort} did not answer`);
    });
    s.on('data', (b: Buffer) => chunks.push(b));
    s.on('error', (err) => resolve(`the cgminer API at ${hostPort}: ${err.message}`));
    s.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').replace(/\0$/, '');
      try {
        const reply = JSON.parse(text) as { STATUS?: { STATUS?: string }[] };
        resolve(reply.STATUS?.[0]?.STATUS === 'S' ? undefined : `the cgminer API at ${hostPort} answered ${text.slice(0, 120)}`);
      } catch {
        resolve(`the cgminer API at ${hostPort} answered something that is not JSON`);
      }
    });
  });
}

/** One look at the agent behind `runDir`. */
export async function checkHealth(runDir: string, want: HealthExpectation, timeoutMs = 3000): Promise<Health> {
  const info = readRuntimeInfo(runDir);
  if (!info) return { ok: false, reason: `no agent has written ${runDir}/agent.json yet` };
  if (want.notPids.includes(info.pid) || basename(info.root) !== want.versionDir) {
    return { ok: false, reason: `the running agent is still the old one (pid ${info.pid}, ${basename(info.root)})` };
  }
  if (!info.http) return { ok: false, reason: 'the HTTP API is off ([api.http] enabled = false): nothing to check the health with' };
  let status: StatusView;
  try {
    const r = await fetch(`http://${info.http}/api/status`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!r.ok) return { ok: false, reason: `GET /api/status answered ${r.status}` };
    status = (await r.json()) as StatusView;
  } catch (err) {
    return { ok: false, reason: `GET http://${info.http}/api/status: ${err instanceof Error ? err.message : String(err)}` };
  }
  const problem = miningProblem(status, want.version);
  if (problem) return { ok: false, reason: problem };
  if (info.cgminer) {
    const cg = await cgminerAnswers(info.cgminer, timeoutMs);
    if (cg) return { ok: false, reason: cg };
  }
  return { ok: true, info, status };
}

/** Looks again every `everyMs` until healthy or `timeoutMs` has passed; the last reason on failure. */
export async function waitHealthy(runDir: string, want: HealthExpectation, timeoutMs: number, everyMs = 1000): Promise<Health> {
  const end = Date.now() + timeoutMs;
  let last: Health = { ok: false, reason: 'not checked' };
  for (;;) {
    last = await checkHealth(runDir, want);
    if (last.ok || Date.now() >= end) return last;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
