/**
 * `npm run demo:jd [-- --seconds S]`: the Job Declaration story in one command.
 *
 *   1. `asic-agent lab template-provider`: the miner's own node, templates from real block 227836.
 *   2. `asic-agent lab jds --censor-txid <one of its transactions>`: a pool that censors it.
 *   3. `asic-agent lab jds`: an honest pool.
 *   4. The miner: a simulated BM1370 board (simulator -> memory UART -> real driver -> scheduler ->
 *      nonce verifier -> share path) mining for a JdUpstream built from a [job_declaration] table,
 *      with `on_censorship = "next-pool"`.
 * The miner declares its template to the first pool, is refused, logs `censorship-alarm` (pool,
 * template id, error), falls back to the honest pool, and its status records show it mining there
 * with shares accepted. Exit code 0 when all of that happened.
 *
 * Until `asic-agent run` takes a [job_declaration] table, step 4 runs in this process with the agent's
 * own modules; once it does, this script should start `asic-agent run --config <the table below>`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'smol-toml';
import { Bm13xxChain } from '../drivers/asic/bm13xx/chain.js';
import { FAST_TIMING } from '../drivers/asic/bm13xx/chain-options.js';
import { ChainSim } from '../drivers/sim/bm13xx/chain-sim.js';
import { createMemoryUartPair } from '../drivers/transport/memory-uart.js';
import { systemClock } from '../src/clock.js';
import { logger } from '../src/log.js';
import { Bm13xxMiningChain, type AgentDriverWork } from '../src/mining/bm13xx-mining-chain.js';
import { MiningStats } from '../src/mining/mining-stats.js';
import { Scheduler } from '../src/mining/scheduler.js';
import { SharePath } from '../src/mining/share-path.js';
import { createJdUpstream, parseJobDeclarationTable } from '../src/upstream/jd/jd-options.js';
import { loadLabBlocks } from '../src/lab/block-data.js';
import { templateBlocks } from '../src/lab/template-data.js';
import { toHex } from '../src/work/bytes.js';

const BIN = fileURLToPath(new URL('../bin/asic-agent.js', import.meta.url));
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' } } });
const seconds = Number(values.seconds);
const log = logger('demo');

interface Lab {
  child: ChildProcess;
  urls: string[];
  last: () => string | undefined;
}

function lab(args: string[], labels: string[]): Promise<Lab> {
  const child = spawn(process.execPath, [BIN, 'lab', ...args], { env: { ...process.env, ASIC_AGENT_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const urls: (string | undefined)[] = labels.map(() => undefined);
    const t = setTimeout(() => reject(new Error(`lab ${args[0] ?? ''} did not start: ${lines.join('\n')}`)), 30_000);
    createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on('line', (l) => {
      lines.push(l);
      if (l.startsWith('declaration refused') || l.startsWith('block ')) log.info({ server: args[0], line: l }, 'lab server says');
      labels.forEach((label, i) => {
        if (l.startsWith(`lab ${label}: `)) urls[i] = l.slice(label.length + 6);
      });
      if (urls.every((u) => u !== undefined)) {
        clearTimeout(t);
        resolve({ child, urls: urls as string[], last: () => lines.at(-1) });
      }
    });
  });
}

async function stopLab(l: Lab): Promise<unknown> {
  const done = new Promise((r) => l.child.once('close', r));
  l.child.kill('SIGINT');
  await done;
  try {
    return JSON.parse(l.last() ?? 'null') as unknown;
  } catch {
    return null;
  }
}

const blocks = loadLabBlocks();
if (!blocks.real) {
  console.error('demo:jd needs the real block data in ../shared/vectors (set ASIC_AGENT_VECTORS): the censored transaction is one of block 227836\'s.');
  process.exit(1);
}
const victim = (templateBlocks(blocks)[0]?.txids[3] as Uint8Array).slice().reverse();
const censored = toHex(victim);

const tp = await lab(['template-provider', '--port', '0', '--prev-hash-interval', '60', '--template-interval', '5'], ['template-provider']);
const bad = await lab(['jds', '--port', '0', '--pool-port', '0', '--difficulty', '0.00001', '--share-batch-size', '1', '--censor-txid', censored], ['jds', 'pool']);
const good = await lab(['jds', '--port', '0', '--pool-port', '0', '--difficulty', '0.00001', '--share-batch-size', '1'], ['jds', 'pool']);

const toml = `
[job_declaration]
template_provider = "${tp.urls[0]}"
mode = "full-template"
on_censorship = "next-pool"
network = "mainnet"
payout_address = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"

[[job_declaration.pool]]
name = "censoring-pool"
url = "${bad.urls[1]}"
jds_url = "${bad.urls[0]}"
user = "demo.board"

[[job_declaration.pool]]
name = "honest-pool"
url = "${good.urls[1]}"
jds_url = "${good.urls[0]}"
user = "demo.board"
`;
log.info({ censored_txid: censored }, 'lab servers up: the first pool censors this transaction of block 227836');
console.log(toml);

const cfg = parseJobDeclarationTable((parse(toml) as { job_declaration: unknown }).job_declaration);
const up = createJdUpstream(cfg, { clock: systemClock, nominalHashrate: 1e6 });

const [host, dev] = createMemoryUartPair();
await dev.open();
const sim = new ChainSim({ family: 'BM1370', chips: 4, hashrate: 200_000, simTicketDifficulty: 2 ** -26 });
sim.attach(dev);
sim.start();
const driver = new Bm13xxChain<AgentDriverWork>(host, { family: 'BM1370', expectedChips: 4, simTicketDifficulty: 2 ** -26, timing: FAST_TIMING, name: 'sim-bm1370' });
const chain = new Bm13xxMiningChain(0, driver, await driver.bringUp(), logger('mining'));
const stats = new MiningStats(systemClock);
const shares: SharePath = new SharePath({ stats, log: logger('mining'), submit: (s) => up.submit(s), staleReason: (s) => sched.staleReason(s), onBlock: (s) => void up.propagateBlock(s) });
const sched: Scheduler = new Scheduler({ chains: [chain], clock: systemClock, log: logger('mining'), stats, shares });
up.on('job', (j) => sched.setJob(j));

const status = logger('status');
const report = (): void => {
  const s = up.stats();
  status.info({ upstream: up.id, mining: s.jd.mining, accepted: s.accepted, lost: s.lost, lost_refused_job: s.jd.lostRefused, custom_jobs_accepted: s.jd.customJobsAccepted, censorship_alarms: s.jd.censorshipAlarms, hw_errors: stats.hwErrors }, 'status');
};
const timer = setInterval(report, 2000);
up.start();
await new Promise((r) => setTimeout(r, seconds * 1000));
clearInterval(timer);
report();
sched.stop();
sim.stop();
await driver.close();
sim.detach();
await dev.close();
const final = up.stats();
await up.stop();
const badStats = await stopLab(bad);
const goodStats = await stopLab(good);
await stopLab(tp);
const ok = final.jd.censorshipAlarms >= 1 && final.jd.mining === 'honest-pool' && final.accepted > 0;
log.info({ alarms: final.jd.alarms, switches: final.jd.switches, accepted: final.accepted, censoring_pool: badStats, honest_pool: goodStats }, ok ? 'demo: censorship detected, fallback to the honest pool, shares accepted' : 'demo: the story did not complete');
process.exit(ok ? 0 : 1);
