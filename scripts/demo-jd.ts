/**
 * `npm run demo:jd [-- --seconds S]`: the Job Declaration story in one command, every part in its own
 * process on 127.0.0.1:
 *
 *   1. `asic-agent lab template-provider`: the miner's own node, templates from real block 227836.
 *   2. `asic-agent lab jds --censor-txid <one of its transactions>`: a pool that censors it.
 *   3. `asic-agent lab jds`: an honest pool.
 *   4. The agent on the simulated board sim-bm1370 (2 chains x 4 BM1370, each chain simulated in its
 *      own process behind a pseudo-terminal), with a `[job_declaration]` table listing both pools,
 *      `on_censorship = "next-pool"`, run as `asic-agent run --config` like any agent.
 *
 * The agent declares its template to the first pool, is refused, logs `censorship-alarm` (pool,
 * template id, error), falls back to the honest pool, and its status records show it mining there with
 * shares accepted. Its JSON log is printed as it comes; exit code 0 when all of that happened.
 * `--seconds S` (default 20): how long it runs; `--until-done`: stop as soon as the story is told
 * (at most S seconds); `--board NAME`: another simulated board-config.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadLabBlocks } from '../workshop/lab/block-data.js';
import { templateBlocks } from '../workshop/lab/template-data.js';
import { toHex } from '../src/work/bytes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'bin', 'asic-agent.js');
const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '20' }, board: { type: 'string', default: 'sim-bm1370' }, 'until-done': { type: 'boolean', default: false } },
});
const seconds = Number(values.seconds);
if (!(seconds > 0)) {
  console.error('--seconds must be a positive number');
  process.exit(2);
}

function say(msg: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ module: 'demo', ...extra, msg }));
}

interface Lab {
  name: string;
  child: ChildProcess;
  urls: string[];
  last: () => string | undefined;
}

function lab(name: string, args: string[], labels: string[]): Promise<Lab> {
  const child = spawn(process.execPath, [BIN, 'lab', ...args], {
    env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const urls: (string | undefined)[] = labels.map(() => undefined);
    const t = setTimeout(() => reject(new Error(`lab ${args[0] ?? ''} did not start: ${lines.join('\n')}`)), 30_000);
    createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on('line', (l) => {
      lines.push(l);
      if (l.startsWith('declaration refused') || l.startsWith('block ')) say('lab server says', { server: args[0], line: l });
      labels.forEach((label, i) => {
        if (l.startsWith(`lab ${label}: `)) urls[i] = l.slice(label.length + 6);
      });
      if (urls.every((u) => u !== undefined)) {
        clearTimeout(t);
        resolve({ name, child, urls: urls as string[], last: () => lines.at(-1) });
      }
    });
  });
}

/** How a child ended: its exit code, or the signal that killed it. */
function ended(child: ChildProcess): number | string | null {
  return child.exitCode ?? child.signalCode;
}

/** SIGINT, then SIGKILL if it is still there after `graceMs`; resolves with how it ended. */
async function stop(child: ChildProcess, graceMs = 30_000): Promise<number | string | null> {
  if (ended(child) !== null) return ended(child);
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGINT');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(t);
  return ended(child);
}

const blocks = loadLabBlocks();
if (!blocks.real) {
  console.error("demo:jd needs the real block data in ../shared/vectors (set ASIC_AGENT_VECTORS): the censored transaction is one of block 227836's.");
  process.exit(1);
}
const censoredTxid = templateBlocks(blocks)[0]?.txids[3];
if (!censoredTxid) throw new Error('the lab blocks have no fourth transaction to censor');
const censored = toHex(censoredTxid.slice().reverse());
// About two shares a second from the simulated board (2 chains x 200 kH/s).
const difficulty = '0.00005';

const dir = mkdtempSync(join(tmpdir(), 'asic-agent-demo-jd-'));
const labs: Lab[] = [];
let agent: ChildProcess | undefined;
let stopping = false;
let onStory = (): void => undefined;
const seen = { alarm: false, fallback: false, acceptedOnFallback: false, statusAfter: 0, accepted: 0 };
let code = 1;
try {
  const tp = await lab(
    'template-provider',
    ['template-provider', '--port', '0', '--prev-hash-interval', '60', '--template-interval', '5'],
    ['template-provider'],
  );
  labs.push(tp);
  const bad = await lab(
    'censoring-pool',
    ['jds', '--port', '0', '--pool-port', '0', '--difficulty', difficulty, '--share-batch-size', '1', '--censor-txid', censored],
    ['jds', 'pool'],
  );
  labs.push(bad);
  const good = await lab('honest-pool', ['jds', '--port', '0', '--pool-port', '0', '--difficulty', difficulty, '--share-batch-size', '1'], ['jds', 'pool']);
  labs.push(good);
  say('lab servers up: the first pool censors one transaction of block 227836', { censored_txid: censored, template_provider: tp.urls[0] });

  const agentToml = join(dir, 'agent.toml');
  const jd = [
    '[job_declaration]',
    `template_provider = ${JSON.stringify(tp.urls[0])}`,
    'mode = "full-template"',
    'on_censorship = "next-pool"',
    'network = "mainnet"',
    'payout_address = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"',
    '',
    '[[job_declaration.pool]]',
    'name = "censoring-pool"',
    `url = ${JSON.stringify(bad.urls[1])}`,
    `jds_url = ${JSON.stringify(bad.urls[0])}`,
    'user = "demo.board"',
    '',
    '[[job_declaration.pool]]',
    'name = "honest-pool"',
    `url = ${JSON.stringify(good.urls[1])}`,
    `jds_url = ${JSON.stringify(good.urls[0])}`,
    'user = "demo.board"',
    '',
  ].join('\n');
  // One config file: the board, the status interval, the APIs off (the demo may run beside `npm start`),
  // and the [job_declaration] table.
  writeFileSync(
    agentToml,
    [
      'version = 1',
      '[board]',
      `config = ${JSON.stringify(values.board)}`,
      '[log]',
      'status_interval_s = 2',
      '[api.cgminer]',
      'enabled = false',
      '[api.http]',
      'enabled = false',
      '',
      jd,
    ].join('\n'),
  );
  say('agent config written', { agent_config: agentToml, job_declaration: jd });

  const child = spawn(process.execPath, [join(root, 'bin', 'asic-agent.js'), 'run', '--config', agentToml], {
    cwd: root,
    env: {
      ...process.env,
      ASIC_AGENT_LOG_FORMAT: 'json',
      ASIC_AGENT_LOG_LEVEL: process.env.ASIC_AGENT_LOG_LEVEL === 'silent' ? 'info' : (process.env.ASIC_AGENT_LOG_LEVEL ?? 'info'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  agent = child;
  child.once('exit', (c, sig) => {
    if (!stopping) say('the agent process ended on its own', { code: c, signal: sig });
  });
  createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on('line', (l) => {
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(l) as Record<string, unknown>;
    } catch {
      console.log(l);
      return;
    }
    // The story's records; the rest of the agent's log stays out of the way.
    const story =
      r.msg === 'censorship-alarm' ||
      r.msg === 'job declaration fallback' ||
      r.msg === 'custom job accepted by the pool' ||
      r.msg === 'status' ||
      r.msg === 'board safe' ||
      (typeof r.level === 'number' && r.level >= 50);
    if (story) console.log(l);
    if (r.msg === 'censorship-alarm') seen.alarm = true;
    if (r.msg === 'job declaration fallback' && r.to === 'honest-pool') seen.fallback = true;
    if (r.msg === 'custom job accepted by the pool' && r.pool === 'honest-pool') seen.acceptedOnFallback = true;
    if (r.msg === 'status' && seen.fallback) {
      seen.statusAfter++;
      seen.accepted = typeof r.accepted === 'number' ? r.accepted : 0;
      if (seen.alarm && seen.acceptedOnFallback && seen.statusAfter >= 2 && seen.accepted > 0) onStory();
    }
  });
  // Until the time is up, or Ctrl-C (everything is then stopped in order below), or with --until-done
  // as soon as the story has been told (two status records after the fallback, shares accepted).
  await new Promise<void>((r) => {
    const t = setTimeout(r, seconds * 1000);
    if (values['until-done']) {
      onStory = (): void => {
        clearTimeout(t);
        r();
      };
    }
    const early = (): void => {
      clearTimeout(t);
      r();
    };
    process.once('SIGINT', early);
    process.once('SIGTERM', early);
  });
  stopping = true;
  const agentCode = await stop(child);
  const ok = seen.alarm && seen.fallback && seen.acceptedOnFallback && seen.statusAfter > 0 && seen.accepted > 0 && agentCode === 0;
  say(ok ? 'demo: censorship detected, fallback to the honest pool, shares accepted there' : 'demo: the story did not complete', {
    ...seen,
    agent_exit: agentCode,
  });
  code = ok ? 0 : 1;
} finally {
  if (agent) await stop(agent);
  for (const l of labs.reverse()) {
    await stop(l.child);
    const last = l.last();
    if (last?.startsWith('{')) say('lab server counters', { server: l.name, counters: JSON.parse(last) as unknown });
  }
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
