/**
 * `asic-agent status [--json] [--url http://127.0.0.1:4029] [--timeout S]`: asks the running agent's HTTP
 * API for /api/status and prints a compact table (or the JSON). Exit 0 when the agent answered, 1 when
 * it did not (with a message that says why: nothing listening, timeout, not an asic-agent API).
 */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from './command.js';
import { DEFAULT_HTTP_PORT } from '../api/api-options.js';
import type { StatusView } from '../api/http-views.js';
import { statusTable } from '../api/status-table.js';

export const DEFAULT_STATUS_URL = `http://127.0.0.1:${DEFAULT_HTTP_PORT}`;

/** Why a fetch failed, in words a miner can act on. */
function explain(err: unknown, url: string, timeoutS: number): string {
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer from ${url} within ${timeoutS} s`;
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  if (code === 'ECONNREFUSED') return `no agent is listening at ${url} (connection refused). Is asic-agent running, with [api.http] enabled on that address?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve the host of ${url}`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${url} is unreachable`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `the connection to ${url} was closed before an answer`;
  return `cannot reach ${url}: ${cause?.message ?? e.message}`;
}

function isStatusView(v: unknown): v is StatusView {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.firmware === 'object' &&
    typeof o.board === 'object' &&
    typeof o.hashrate === 'object' &&
    typeof o.shares === 'object' &&
    Array.isArray(o.chains) &&
    Array.isArray(o.pools)
  );
}

const command: Command = {
  name: 'status',
  summary: 'show the running agent: pool, hashrate, shares, chains, temperatures, fans, alarms',
  usage: `asic-agent status [--json] [--url ${DEFAULT_STATUS_URL}] [--timeout S]`,
  async run(argv) {
    let values: { json?: boolean; url?: string; timeout?: string };
    try {
      ({ values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false }, url: { type: 'string' }, timeout: { type: 'string' } } }));
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    const base = (values.url ?? DEFAULT_STATUS_URL).replace(/\/+$/, '');
    let endpoint: URL;
    try {
      endpoint = new URL(`${base}/api/status`);
    } catch {
      throw new UsageError(`--url must be an http:// URL such as ${DEFAULT_STATUS_URL}`);
    }
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new UsageError('--url must start with http:// or https://');
    const timeoutS = values.timeout === undefined ? 5 : Number(values.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError('--timeout must be a positive number of seconds');

    let body: string;
    try {
      const res = await fetch(endpoint, { signal: AbortSignal.timeout(timeoutS * 1000), headers: { accept: 'application/json' } });
      body = await res.text();
      if (!res.ok) {
        console.error(`asic-agent status: ${base} answered HTTP ${res.status}: ${body.slice(0, 200)}`);
        return 1;
      }
    } catch (err) {
      console.error(`asic-agent status: ${explain(err, base, timeoutS)}`);
      return 1;
    }
    let view: unknown;
    try {
      view = JSON.parse(body);
    } catch {
      view = undefined;
    }
    if (!isStatusView(view)) {
      console.error(`asic-agent status: ${base} does not look like an asic-agent API (no status JSON at /api/status)`);
      return 1;
    }
    console.log(values.json ? JSON.stringify(view, null, 2) : statusTable(view));
    return 0;
  },
};
export default command;
