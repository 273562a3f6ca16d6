/**
 * The agent's own costs (issue "The agent", benchmark section):
 *   job_switch_*   SetNewPrevHash leaving the pool's socket -> a new job frame written on every one of
 *                  4 chains (lab SV2 pool over loopback TCP with Noise, real client, pool manager,
 *                  scheduler, BM13xx drivers on in-memory UARTs). Goal p99 < 1 ms.
 *   share_path_*   a nonce reply parsed by the driver -> SubmitSharesExtended written to the socket
 *                  (verification, share path, pool manager, client encode + encrypt). Goal p99 < 0.5 ms.
 *   agent_cpu_pct, agent_rss_mb   the real agent process with 4 simulated chains replaying 2000 valid
 *                  nonces/s each (simulators in their own processes). Goals < 10 % of a core, < 80 MB.
 *   bm1397_starvation_pct   share of time BM1397 chips (real hash rates, accounted by the simulator)
 *                  held exhausted work. Goal < 0.1 %.
 *   s19_*          3 chains × 30,000 nonces/s through the real pty path into driver, scheduler, nonce
 *                  check and share path (s19-nonce-path.ts). Goal < 20 % of one core, 0 dropped;
 *                  s19_us_per_nonce goal < 2 (work generation included).
 */
import { Socket } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect, type Server } from 'node:net';
import type { FamilyName } from '../../drivers/asic/bm13xx/family.js';
import type { ChainSim, SimChainConfig } from '../../workshop/sim/bm13xx/chain-sim.js';
import { systemClock } from '../../src/clock.js';
import { Sv2Pool } from '../../workshop/lab/sv2-pool.js';
import { logger } from '../../src/log.js';
import type { MiningChain } from '../../src/mining/mining-chain.js';
import { inProcessChain } from '../../test/helpers/in-process-chain.js';
import { MiningStats } from '../../src/mining/mining-stats.js';
import { Scheduler } from '../../src/mining/scheduler.js';
import { SharePath } from '../../src/mining/share-path.js';
import { PoolManager } from '../../src/upstream/pools.js';
import { upstreamFactory } from '../../src/upstream/upstream-factory.js';
import { startAgentProcess } from '../../test/helpers/agent-process.js';
import { fromHex } from '../../src/work/bytes.js';
import { percentiles, type Bench } from './bench.js';
import { s19NoncePath } from './s19-nonce-path.js';
import { buildScratch, procStat, writeSimAgentConfig } from './compiled-agent.js';
import { poolProcess } from './lab-pool-process.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = logger('bench');

/** Forwards a TCP connection and timestamps every chunk sent towards the client. */
async function proxy(target: number): Promise<{ port: number; toClient: number[]; server: Server }> {
  const toClient: number[] = [];
  const server = createServer((c) => {
    const up = connect(target, '127.0.0.1');
    up.on('data', (b) => {
      toClient.push(performance.now());
      c.write(b);
    });
    c.on('data', (b) => up.write(b));
    c.on('close', () => up.destroy());
    up.on('close', () => c.destroy());
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { port: typeof a === 'object' && a ? a.port : 0, toClient, server };
}

interface Rig {
  /** Times a clean job (new prev hash) reached the scheduler. */
  switches: number[];
  stats: MiningStats;
  pools: PoolManager;
  scheduler: Scheduler;
  jobWrites: number[][];
  /** Involuntary context switches of this process so far, at each client read / after each switch. */
  clientReadCsw: number[];
  switchCsw: number[];
  nonceTimes: number[];
  toClient: number[];
  clientReads: number[];
  close(): Promise<void>;
}

/** An agent in this process: lab pool -> proxy -> SV2 client -> pool manager -> scheduler -> 4 chains. */
async function rig(o: { chains: number; family: FamilyName; poolDifficulty: number; prevHashInterval: number; sim: Partial<SimChainConfig> }): Promise<Rig> {
  const pool = await poolProcess(['--difficulty', String(o.poolDifficulty), '--prev-hash-interval', String(o.prevHashInterval), '--ack-flush-ms', '200']);
  const port = Number(/:(\d+)\//.exec(pool.url)?.[1]);
  const px = await proxy(port);
  const url = pool.url.replace(`:${port}/`, `:${px.port}/`);
  const stats = new MiningStats(systemClock);
  // "Read from the socket": when the client's socket delivers bytes to JavaScript.
  const clientReads: number[] = [];
  const clientReadCsw: number[] = [];
  // getrusage(2): a switch during which the kernel took the CPU away from this process is told apart.
  const csw = (): number => process.resourceUsage().involuntaryContextSwitches;
  const emit = Socket.prototype.emit;
  Socket.prototype.emit = function (this: Socket, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'data' && this.remotePort === px.port) {
      clientReads.push(performance.now());
      clientReadCsw.push(csw());
    }
    return emit.apply(this, [event, ...args] as Parameters<Socket['emit']>);
  } as Socket['emit'];
  const jobWrites: number[][] = [];
  const nonceTimes: number[] = [];
  const chains: MiningChain[] = [];
  const closers: (() => Promise<void>)[] = [];
  for (let i = 0; i < o.chains; i++) {
    const writes: number[] = [];
    jobWrites.push(writes);
    const c = await inProcessChain({
      index: i,
      family: o.family,
      chips: 4,
      sim: { hashrate: 1000, ...o.sim },
      simTicketDifficulty: o.sim.mode === 'replay' ? 2 ** -32 : 2 ** -20,
      before: (host, driver) => {
        const write = host.write.bind(host);
        host.write = (b: Uint8Array): Promise<void> => {
          if (b[2] === 0x21) writes.push(performance.now()); // job frame header (docs/bm13xx.md "Job frames")
          return write(b);
        };
        // Registered before the scheduler's: the time the nonce reply was parsed.
        driver.on('nonce', (r) => nonceTimes.push(r.at));
      },
    });
    chains.push(c.driver);
    closers.push(c.close);
  }
  const pools = new PoolManager({
    groups: [{ name: 'g', pools: [{ name: 'lab', url, user: 'bench', channel: 'extended' }] }],
    factory: upstreamFactory({ clock: systemClock, nominalHashrate: 1e9 }),
    clock: systemClock,
  });
  const shares: SharePath = new SharePath({ stats, log, submit: (s) => pools.submit(s) });
  const scheduler: Scheduler = new Scheduler({ chains, clock: systemClock, log, stats, shares });
  const switches: number[] = [];
  const switchCsw: number[] = [];
  pools.on('job', (j) => {
    if (j.clean) switches.push(performance.now());
    // setJob writes every chain's frame before it returns.
    scheduler.setJob(j);
    if (j.clean) switchCsw.push(csw());
  });
  pools.start();
  for (let i = 0; i < 200 && !pools.currentJob(); i++) await sleep(25);
  return {
    switches,
    stats,
    pools,
    scheduler,
    jobWrites,
    clientReadCsw,
    switchCsw,
    nonceTimes,
    toClient: px.toClient,
    clientReads,
    close: async () => {
      Socket.prototype.emit = emit;
      scheduler.stop();
      await pools.stop();
      for (const c of closers) await c();
      await pool.stop();
      px.server.close();
    },
  };
}

interface SwitchFigures {
  p50: number;
  p99: number;
  max: number;
  n: number;
  /** The same over switches during which the kernel did not preempt this process. */
  running: { p50: number; p99: number; max: number; n: number };
}

async function jobSwitch(seconds: number): Promise<SwitchFigures> {
  // A new prev hash every 100 ms from the pool process.
  const r = await rig({ chains: 4, family: 'BM1370', poolDifficulty: 1e6, prevHashInterval: 0.1, sim: {} });
  // Garbage-collection pauses, to tell them apart from the code's own time in the slowest switches.
  const gcs: { start: number; end: number }[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  obs.observe({ entryTypes: ['gc'] });
  try {
    await sleep(seconds * 1000);
  } finally {
    obs.disconnect();
    await r.close();
  }
  const lat: number[] = [];
  const running: number[] = [];
  const before: number[] = [];
  const withGc: number[] = [];
  const split: [number, number, number, string][] = [];
  // Skip the first 3 s of switches: V8 runs the generated SHA-256 code (hundreds of kB of straight-line
  // code) in its interpreter for the first second or two, until TurboFan has compiled it (about 1 ms per
  // merkle root then, 0.02 ms after). A daemon's latency is that of its steady state.
  const from = (r.switches[0] ?? 0) + 3000;
  for (const [k, ts] of r.switches.entries()) {
    if (ts < from) continue;
    // The read that carried SetNewPrevHash: the last one the client's socket delivered before the switch.
    let read = -1;
    r.clientReads.forEach((t, i) => {
      if (t <= ts) read = i;
    });
    const firsts = r.jobWrites.map((w) => w.findIndex((t) => t >= ts));
    if (read < 0 || firsts.some((i) => i < 0)) continue;
    const t0 = r.clientReads[read] as number;
    const times = firsts.map((i, c) => r.jobWrites[c]?.[i] as number);
    const t1 = Math.max(...times);
    const preempted = (r.switchCsw[k] as number) > (r.clientReadCsw[read] as number);
    lat.push(t1 - t0);
    if (!preempted) running.push(t1 - t0);
    before.push(ts - t0);
    if (gcs.some((g) => g.start < t1 && g.end > t0)) withGc.push(t1 - t0);
    split.push([t1 - t0, ts - t0, t1 - ts, preempted ? 'preempted' : 'running']);
  }
  if (process.env.BENCH_DETAIL) {
    console.log('socket read -> job event', percentiles(before));
    console.log(
      'slowest',
      lat
        .slice()
        .sort((x, y) => y - x)
        .slice(0, 8)
        .map((x) => x.toFixed(2))
        .join(' '),
    );
    console.log(
      'slowest split (total, read->job event, job event->frames)',
      split
        .sort((x, y) => y[0] - x[0])
        .slice(0, 6)
        .map((x) => x.map((v) => (typeof v === 'number' ? v.toFixed(2) : v)).join('/'))
        .join('  '),
    );
    console.log(
      'switches overlapping a GC pause',
      withGc
        .sort((x, y) => y - x)
        .map((x) => x.toFixed(2))
        .join(' '),
    );
  }
  return { ...percentiles(lat), n: lat.length, running: { ...percentiles(running), n: running.length } };
}

async function sharePath(seconds: number): Promise<{ p50: number; p99: number; max: number; n: number }> {
  // Replayed nonces are all valid; at pool difficulty 2^-32 every one is a share.
  const r = await rig({ chains: 1, family: 'BM1370', poolDifficulty: 2 ** -32, prevHashInterval: 0, sim: { mode: 'replay', replayNoncesPerSecond: 300 } });
  const writes: number[] = [];
  const orig = Socket.prototype.write;
  Socket.prototype.write = function (this: Socket, ...args: Parameters<Socket['write']>): boolean {
    writes.push(performance.now());
    return orig.apply(this, args);
  } as Socket['write'];
  try {
    await sleep(1000); // warm-up
    r.nonceTimes.length = 0;
    writes.length = 0;
    await sleep(seconds * 1000);
  } finally {
    Socket.prototype.write = orig;
    await r.close();
  }
  const lat: number[] = [];
  let w = 0;
  for (const t0 of r.nonceTimes) {
    while (w < writes.length && (writes[w] as number) < t0) w++;
    if (w < writes.length) lat.push((writes[w] as number) - t0);
  }
  return { ...percentiles(lat), n: lat.length };
}

async function agentProcess(seconds: number): Promise<{ cpuPct: number; rssMb: number; noncesPerS: number; sharesPerS: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-agent-'));
  const built = buildScratch();
  // Pool difficulty 2^-19 against replayed nonces of ticket difficulty 2^-32: about one share per second
  // for the board, still several times what a pool's vardiff aims for (a share every few seconds per
  // connection). agent_shares_per_s reports the rate measured.
  const pool = new Sv2Pool({ port: 0, difficulty: 2 ** -19, prevHashIntervalSeconds: 0, ackFlushMs: 500 });
  const { url } = await pool.start();
  writeSimAgentConfig(dir, url);
  // The compiled agent (its chain simulators run from the same compiled tree, in their own processes).
  // Node flags as the systemd unit starts it (scripts/systemd/asic-agent.service).
  const agent = startAgentProcess(
    ['run', '--config', join(dir, 'agent.toml')],
    { ASIC_AGENT_LOG_LEVEL: 'info', ASIC_AGENT_FROM_SOURCE: '0', NODE_OPTIONS: `--max-semi-space-size=1 ${process.env.BENCH_AGENT_NODE_OPTIONS ?? ''}`.trim() },
    join(built, 'bin', 'asic-agent.js'),
  );
  try {
    await agent.waitFor((r) => r.msg === 'hashing', 'hashing', 60_000);
    await sleep(5000); // warm-up: JIT, first jobs
    const pid = agent.child.pid as number;
    const a = procStat(pid);
    const n0 = Number(agent.records.filter((r) => r.msg === 'status').at(-1)?.valid_nonces ?? 0);
    const s0 = Number(agent.records.filter((r) => r.msg === 'status').at(-1)?.accepted ?? 0);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const b = procStat(pid);
    const n1 = Number(agent.records.filter((r) => r.msg === 'status').at(-1)?.valid_nonces ?? 0);
    const s1 = Number(agent.records.filter((r) => r.msg === 'status').at(-1)?.accepted ?? 0);
    const dt = (performance.now() - t0) / 1000;
    const ticks = 100; // USER_HZ on Linux
    return { cpuPct: ((b.cpuTicks - a.cpuTicks) / ticks / dt) * 100, rssMb: b.rssMb, noncesPerS: (n1 - n0) / dt, sharesPerS: (s1 - s0) / dt };
  } finally {
    await agent.stop('SIGTERM');
    await pool.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(built, { recursive: true, force: true });
  }
}

async function starvationRun(seconds: number): Promise<{ pct: number; chips: number }> {
  const stats = new MiningStats(systemClock);
  const sims: ChainSim[] = [];
  const chains: MiningChain[] = [];
  const closers: (() => Promise<void>)[] = [];
  for (let i = 0; i < 2; i++) {
    const c = await inProcessChain({ index: i, family: 'BM1397', chips: 4, sim: { hashrate: 1000 }, simTicketDifficulty: 2 ** -20 });
    sims.push(c.sim);
    chains.push(c.driver);
    closers.push(c.close);
  }
  const shares = new SharePath({ stats, log, submit: async () => ({ status: 'accepted' }) });
  const scheduler = new Scheduler({ chains, clock: systemClock, log, stats, shares });
  scheduler.setJob({
    id: '1',
    source: { poolId: 'bench', protocol: 'sv2' },
    upstream: { id: 'bench', submit: async () => ({ status: 'accepted' }) },
    prevHash: new Uint8Array(32).fill(1),
    version: 0x20000000,
    versionMask: 0x1fffe000,
    nbits: 0x1d00ffff,
    ntime: Math.floor(Date.now() / 1000),
    ntimeRolling: true,
    target: 1n,
    clean: true,
    receivedAt: systemClock.now(),
    work: {
      kind: 'coinbase',
      coinbasePrefix: fromHex('01000000' + '01' + '00'.repeat(32) + 'ffffffff' + '0c' + '03a08601'),
      coinbaseSuffix: fromHex('ffffffff' + '01' + '0000000000000000' + '0151' + '00000000'),
      extranonceSize: 8,
      merkleBranch: [],
    },
  });
  const before = sims.map((s) => s.stats().starvedMs);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const elapsed = performance.now() - t0;
  const starved = sims.reduce((a, s, i) => a + s.stats().starvedMs - (before[i] as number), 0);
  const chips = sims.reduce((a, s) => a + s.chips.length, 0);
  scheduler.stop();
  for (const c of closers) await c();
  return { pct: (starved / (chips * elapsed)) * 100, chips };
}

const bench: Bench = {
  name: 'agent',
  async run({ quick }) {
    const js = await jobSwitch(quick ? 4 : 20);
    const sp = await sharePath(quick ? 3 : 10);
    const st = await starvationRun(quick ? 3 : 10);
    const ap = await agentProcess(quick ? 8 : 20);
    const s19 = await s19NoncePath(quick ? 5 : 15);
    return {
      job_switch_p50_ms: Number(js.p50.toFixed(3)),
      job_switch_p99_ms: Number(js.p99.toFixed(3)),
      job_switch_chains: 4,
      job_switch_samples: js.n,
      job_switch_running_p50_ms: Number(js.running.p50.toFixed(3)),
      job_switch_running_p99_ms: Number(js.running.p99.toFixed(3)),
      job_switch_preempted: js.n - js.running.n,
      share_path_p50_ms: Number(sp.p50.toFixed(3)),
      share_path_p99_ms: Number(sp.p99.toFixed(3)),
      share_path_samples: sp.n,
      agent_cpu_pct: Number(ap.cpuPct.toFixed(2)),
      agent_rss_mb: Number(ap.rssMb.toFixed(1)),
      agent_nonces_per_s: Math.round(ap.noncesPerS),
      agent_shares_per_s: Number(ap.sharesPerS.toFixed(2)),
      bm1397_starvation_pct: Number(st.pct.toFixed(4)),
      bm1397_chips: st.chips,
      s19_cpu_pct: Number(s19.cpuPct.toFixed(2)),
      s19_cpu_pct_goal: '< 20',
      s19_us_per_nonce: Number(s19.usPerNonce.toFixed(3)),
      s19_us_per_nonce_goal: '< 2',
      s19_nonces_per_s: Math.round(s19.noncesPerS),
      s19_nonces_per_s_target: 90_000,
      s19_units_per_s: Math.round(s19.unitsPerS),
      s19_nonces_sent: s19.sent,
      s19_dropped: s19.dropped,
      s19_not_valid: s19.notValid,
      s19_hw_errors: s19.hwErrors,
      s19_repeated: s19.repeated,
      s19_crc_errors: s19.crcErrors,
    };
  },
};
export default bench;

/** For profiling one figure alone: `node --import tsx scripts/bench/agent.bench.ts job-switch`. */
if (process.argv[1]?.endsWith('agent.bench.ts') && process.argv[2] === 'job-switch') {
  console.log(await jobSwitch(Number(process.argv[3] ?? 5)));
}
/** `… agent.bench.ts s19 [seconds]`: the S19-rate nonce path alone. */
if (process.argv[1]?.endsWith('agent.bench.ts') && process.argv[2] === 's19') {
  console.log(await s19NoncePath(Number(process.argv[3] ?? 10)));
}
/** `… agent.bench.ts agent-process [seconds]`; BENCH_AGENT_NODE_OPTIONS adds V8/node flags allowed in NODE_OPTIONS (e.g. --single-threaded-gc). */
if (process.argv[1]?.endsWith('agent.bench.ts') && process.argv[2] === 'agent-process') {
  console.log(await agentProcess(Number(process.argv[3] ?? 10)));
}
