/**
 * `npm run soak -- --minutes N`: the agent as it runs on a miner (`asic-agent run`, its own process) on
 * the simulated board, against the lab SV2 pool, under the conditions of issue 21:
 *   - 1 % of the chains' UART response frames corrupted (chain_faults = "corrupt=0.01");
 *   - the pool drops every connection every 5 minutes;
 *   - the pool changes the share target (SetTarget) every 30 s, up and down;
 *   - the HTTP API (/api/status, /api/pools, /metrics) and the cgminer API polled every 2 s.
 * Every minute it prints the agent's RSS (from /proc) and V8 heap (from its status record) and the
 * shares found / accepted / rejected / stale / lost. It fails (exit 1) when the RSS grows by more than
 * 5 % after the first 5 minutes (median of the last 5 readings against the median of the 5 after the
 * warm-up: one reading moves by a few % with the garbage collector), when shares found do not add up to their outcomes, or when a share was
 * lost for any reason but the pool's own disconnects. `--json FILE` writes every figure.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { configureLogging } from '../src/log.js';
import { loadLabBlocks } from '../workshop/lab/block-data.js';
import { Sv2Pool } from '../workshop/lab/sv2-pool.js';
import { packageRoot } from '../src/package-root.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'disconnect-every-s': { type: 'string', default: '300' },
    'target-every-s': { type: 'string', default: '30' },
    'poll-every-s': { type: 'string', default: '2' },
    json: { type: 'string' },
  },
  strict: true,
});
const minutes = Number(values.minutes);
if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
const disconnectEveryMs = Number(values['disconnect-every-s']) * 1000;
const targetEveryMs = Number(values['target-every-s']) * 1000;
const pollEveryMs = Number(values['poll-every-s']) * 1000;
/** RSS may not grow by more than this after the warm-up (issue 21). */
const RSS_GROWTH_LIMIT = 0.05;
const WARMUP_MINUTES = 5;

type Rec = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

// This process's own records (the lab pool's) only when they matter; the agent logs in its own process.
configureLogging({ level: 'warn', format: 'json' });
const root = packageRoot();
const dir = mkdtempSync(join(tmpdir(), 'asic-agent-soak-'));
// The simulated board with 1 % of its chains' response frames corrupted.
const boardSrc = readFileSync(join(root, 'board-configs/sim-bm1370.toml'), 'utf8');
const board = boardSrc.replace(/^# chain_faults = .*$/m, 'chain_faults = "corrupt=0.01"');
if (board === boardSrc) throw new Error('sim-bm1370.toml: the chain_faults line to replace is gone');
writeFileSync(join(dir, 'soak-board.toml'), board.replace(/^name = ".*"$/m, 'name = "sim-bm1370-soak"'));

const chainHashrate = Number(/^chain_hashrate_hs = (\d+)/m.exec(board)?.[1] ?? '200000');
const chains = (board.match(/^\[\[chain\]\]/gm) ?? []).length;
// About one share every 3 s, as the demo (workshop/cli/demo.ts).
const baseDifficulty = (chainHashrate * chains * 3) / 2 ** 32;
const pool = new Sv2Pool({ port: 0, difficulty: baseDifficulty, prevHashIntervalSeconds: 60, shareBatchSize: 10, ackFlushMs: 1000, blocks: loadLabBlocks() });
const { url } = await pool.start();
writeFileSync(
  join(dir, 'agent.toml'),
  [
    'version = 1',
    '[board]',
    `config = ${JSON.stringify(join(dir, 'soak-board.toml'))}`,
    '[log]',
    'status_interval_s = 10',
    '[api.cgminer]',
    'port = 0',
    '[api.http]',
    'port = 0',
    '[[pool]]',
    'name = "lab-sv2"',
    `url = ${JSON.stringify(url)}`,
    'user = "soak.worker"',
    '',
  ].join('\n'),
);

const agent = spawn(process.execPath, [join(root, 'bin/asic-agent.js'), 'run', '--config', join(dir, 'agent.toml')], {
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, ASIC_AGENT_LOG_FORMAT: 'json', ASIC_AGENT_LOG_LEVEL: 'info' },
});
let stderr = '';
agent.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
let last: Rec | undefined;
let apiHttp: string | undefined;
let apiCgminer: string | undefined;
const warnings = new Map<string, number>();
const safeStates: Rec[] = [];
createInterface({ input: agent.stdout }).on('line', (line) => {
  let r: Rec;
  try {
    r = JSON.parse(line) as Rec;
  } catch {
    return;
  }
  if (r.msg === 'status') last = r;
  if (r.msg === 'api listening') {
    apiHttp = String(r.http);
    apiCgminer = String(r.cgminer);
  }
  if (r.msg === 'safe-state') safeStates.push(r);
  if (num(r.level) >= 40) warnings.set(String(r.msg), (warnings.get(String(r.msg)) ?? 0) + 1);
});
const exited = new Promise<number | null>((resolve) => agent.on('exit', (code) => resolve(code)));

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

function cgminer(hostPort: string, request: string): Promise<string> {
  const [host, port] = hostPort.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(Number(port), host, () => s.write(request));
    s.setTimeout(10_000, () => s.destroy(new Error('cgminer API timeout')));
    s.on('data', (b: Buffer) => chunks.push(b));
    s.on('end', () => resolve(Buffer.concat(chunks).toString()));
    s.on('error', reject);
  });
}

const poll = { ok: 0, failed: 0 };
let pollTurn = 0;
async function pollApis(): Promise<void> {
  if (!apiHttp || !apiCgminer) return;
  const paths = ['/api/status', '/api/pools', '/metrics'];
  try {
    const res = await fetch(`http://${apiHttp}${paths[pollTurn++ % paths.length]}`);
    await res.text();
    const reply = await cgminer(apiCgminer, '{"command":"summary+pools"}');
    if (res.ok && reply.includes('"SUMMARY"')) poll.ok++;
    else poll.failed++;
  } catch {
    poll.failed++;
  }
}

const t0 = Date.now();
const minuteRows: Rec[] = [];
let disconnects = 0;
let targetChanges = 0;
const timers = [
  setInterval(() => {
    pool.dropConnections('soak: scheduled disconnect');
    disconnects++;
  }, disconnectEveryMs),
  setInterval(() => {
    // Up, back, down, back: both directions of SetTarget.
    const f = [2, 1, 0.5, 1][targetChanges++ % 4] as number;
    pool.core.setDifficulty(baseDifficulty * f);
  }, targetEveryMs),
  setInterval(() => void pollApis(), pollEveryMs),
];

function row(minute: number): Rec {
  const s = last ?? {};
  const r = {
    minute,
    rssMb: rssMb(agent.pid as number),
    heapMb: num(s.heap_mb),
    statusRssMb: num(s.rss_mb),
    found: num(s.shares_found),
    accepted: num(s.accepted),
    rejected: num(s.rejected),
    stale: num(s.stale),
    lost: num(s.lost),
    inFlight: num(s.in_flight),
    hwErrors: num(s.hw_errors),
    hashrate: num(s.hashrate_hs),
    poolAccepted: pool.stats().accepted,
    disconnects,
    targetChanges,
    apiPolls: poll.ok,
    apiFailures: poll.failed,
  };
  console.log(
    `min ${String(minute).padStart(3)}  rss ${r.rssMb.toFixed(1)} MB  heap ${r.heapMb.toFixed(1)} MB  found ${r.found}  accepted ${r.accepted}  rejected ${r.rejected}  stale ${r.stale}  lost ${r.lost}  hw ${r.hwErrors}  pool-accepted ${r.poolAccepted}  disconnects ${disconnects}  polls ${poll.ok}/${poll.failed} failed`,
  );
  return r;
}

let failure: string | undefined;
try {
  for (let m = 1; m <= minutes; m++) {
    const due = t0 + m * 60_000;
    const code = await Promise.race([exited, new Promise<'tick'>((r) => setTimeout(() => r('tick'), Math.max(0, due - Date.now())))]);
    if (code !== 'tick') throw new Error(`the agent exited (${code}) at minute ${m}; stderr: ${stderr}`);
    minuteRows.push(row(m));
  }
} catch (err) {
  failure = err instanceof Error ? err.message : String(err);
} finally {
  for (const t of timers) clearInterval(t);
}

// Final figures from the running agent, then a clean stop through the safe state.
let pools: { id: string; shares: { reasons: { result: string; reason: string; count: number }[] } }[] = [];
/** Response frames the chains' CRC refused: the 1 % corruption at work. */
let crcErrors: number | undefined;
if (apiHttp && agent.exitCode === null) {
  try {
    pools = ((await (await fetch(`http://${apiHttp}/api/pools`)).json()) as { pools: typeof pools }).pools;
    const chainsNow = ((await (await fetch(`http://${apiHttp}/api/chains`)).json()) as { chains: { crcErrors: number }[] }).chains;
    crcErrors = chainsNow.reduce((a, c) => a + c.crcErrors, 0);
  } catch {
    // reported below as missing reasons
  }
}
const finalStatus = last ?? {};
agent.kill('SIGTERM');
const exitCode = await exited;
await pool.stop();
rmSync(dir, { recursive: true, force: true });

const reasons = pools.flatMap((p) => p.shares.reasons.map((r) => ({ pool: p.id, ...r })));
const lostReasons = reasons.filter((r) => r.result === 'lost');
const unexplainedLost = lostReasons.filter((r) => r.reason !== 'lost-to-disconnect' || disconnects === 0);
const f = finalStatus;
const outcomes = num(f.accepted) + num(f.rejected) + num(f.stale) + num(f.lost) + num(f.in_flight);
const checks: { check: string; ok: boolean; detail: string }[] = [];
checks.push({
  check: 'agent ran to the end and stopped cleanly',
  ok: failure === undefined && exitCode === 0 && safeStates.every((s) => s.reason === 'sigterm'),
  detail: `exit ${exitCode}${failure ? `; ${failure}` : ''}; safe states: ${safeStates.map((s) => s.reason).join(', ')}`,
});
checks.push({
  check: 'shares found = accepted + rejected + stale + lost + in flight',
  ok: num(f.shares_found) === outcomes,
  detail: `${num(f.shares_found)} found, ${outcomes} accounted for`,
});
checks.push({
  check: "no share lost but to the pool's own disconnects",
  ok: unexplainedLost.length === 0,
  detail: lostReasons.map((r) => `${r.count} ${r.reason}`).join(', ') || 'none lost',
});
// Growth is a trend, not one sample: a GC or an allocation burst moves a single reading by a few %.
// The median of the 5 readings after the warm-up is the baseline, the median of the last 5 the end.
const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? (v[(v.length - 1) / 2] as number) : ((v[v.length / 2 - 1] as number) + (v[v.length / 2] as number)) / 2;
};
const afterWarmup = minuteRows.filter((r) => num(r.minute) >= WARMUP_MINUTES).map((r) => num(r.rssMb));
if (afterWarmup.length >= 10) {
  const base = median(afterWarmup.slice(0, 5));
  const end = median(afterWarmup.slice(-5));
  const growth = end / base - 1;
  checks.push({
    check: `RSS growth after minute ${WARMUP_MINUTES} <= ${RSS_GROWTH_LIMIT * 100} %`,
    ok: growth <= RSS_GROWTH_LIMIT,
    detail: `median ${base.toFixed(1)} MB over minutes ${WARMUP_MINUTES}-${WARMUP_MINUTES + 4}, median ${end.toFixed(1)} MB over the last 5 (${(growth * 100).toFixed(1)} %); range ${Math.min(...afterWarmup)}-${Math.max(...afterWarmup)} MB`,
  });
} else {
  checks.push({ check: `RSS growth after minute ${WARMUP_MINUTES}`, ok: true, detail: `not measured: the run needs at least ${WARMUP_MINUTES + 9} minutes` });
}
console.log(
  '\nrejected / stale by reason: ' +
    (reasons
      .filter((r) => r.result !== 'lost')
      .map((r) => `${r.count} ${r.result} ${r.reason}`)
      .join(', ') || 'none'),
);
console.log(`UART response frames refused by CRC (the injected corruption): ${crcErrors ?? 'unknown'}`);
console.log(`warnings logged: ${[...warnings.entries()].map(([m, n]) => `${n} × ${m}`).join('; ') || 'none'}`);
for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}`);
if (values.json)
  writeFileSync(
    values.json,
    JSON.stringify(
      {
        minutes,
        disconnectEveryMs,
        targetEveryMs,
        pollEveryMs,
        rows: minuteRows,
        final: finalStatus,
        crcErrors,
        reasons,
        warnings: Object.fromEntries(warnings),
        checks,
      },
      null,
      2,
    ),
  );
process.exit(checks.every((c) => c.ok) ? 0 : 1);
