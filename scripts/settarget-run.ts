/**
 * `node --import tsx scripts/settarget-run.ts [--minutes 10] [--every 20]`: the agent on the simulated
 * board (sim-bm1370: 2 chains × 4 BM1370) mines to the lab SV2 pool for `minutes` while the pool
 * changes the share target (SetTarget) every `every` seconds, in both directions (×8 easier, then ×8
 * harder, ...), sends a new job on the same prev hash every 5 s and a new prev hash every 60 s. The lab
 * pool judges each share by the target its job was activated with (sv2-spec 5.3.21), as a real pool
 * does. Prints one JSON line per minute and a summary; exit code 0 when the pool rejected no share.
 * (Issue 14 defect 1: this run had rejected shares before jobs carried their own target.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Sv2Pool } from '../workshop/lab/sv2-pool.js';
import { startAgent, writeConfigs, type LogRecord } from './lib/sim-agent-run.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, every: { type: 'string', default: '20' } } });
const minutes = Number(values.minutes);
const every = Number(values.every);
if (!(minutes > 0) || !(every > 0)) {
  console.error('--minutes and --every must be positive numbers');
  process.exit(2);
}
const say = (msg: string, extra: Record<string, unknown> = {}): void => console.log(JSON.stringify({ module: 'settarget-run', ...extra, msg }));

// 2 chains × 100 kH/s: about 1.5 shares/s at the hard target, 12/s at the easy one.
const chainHashrate = 100_000;
const hard = (2 * chainHashrate) / 1.5 / 2 ** 32;
const easy = hard / 8;

const dir = mkdtempSync(join(tmpdir(), 'asic-settarget-'));
const pool = new Sv2Pool({ port: 0, difficulty: hard, prevHashIntervalSeconds: 60, jobIntervalSeconds: 5, shareBatchSize: 5, ackFlushMs: 500 });
const { url } = await pool.start();
let last: LogRecord | undefined;
const agent = startAgent(
  writeConfigs(dir, { hashrate: chainHashrate, noncesPerS: 60 }, ['[[pool]]', 'name = "lab"', `url = ${JSON.stringify(url)}`, 'user = "settarget.run"']),
  (r) => {
    if (r.msg === 'status') last = r;
  },
);
const outcomes = { accepted: 0, rejected: 0, accBelowHard: 0, accBelowHardAfterHarder: 0 };
let lastHarderAt = 0;
pool.on('share', (e) => {
  if (!e.ok) {
    outcomes.rejected++;
    say('share rejected by the pool', { code: e.code, detail: e.detail, jobId: e.jobId });
    return;
  }
  outcomes.accepted++;
  if ((e.difficulty ?? 0) < hard) {
    outcomes.accBelowHard++;
    // A share below the hard target accepted after the target went hard: an old job's easier target kept.
    if (lastHarderAt > 0 && Date.now() - lastHarderAt < every * 1000 && (e.jobDifficulty ?? 0) < hard) outcomes.accBelowHardAfterHarder++;
  }
});
let code = 1;
try {
  await agent.waitFor((r) => r.msg === 'hashing', 'hashing');
  const t0 = Date.now();
  say('mining; SetTarget every few seconds in both directions', { url, minutes, every, hardDifficulty: hard, easyDifficulty: easy });
  let changes = 0;
  let isHard = true;
  const timer = setInterval(() => {
    isHard = !isHard;
    pool.core.setDifficulty(isHard ? hard : easy);
    if (isHard) lastHarderAt = Date.now();
    changes++;
  }, every * 1000);
  const report = setInterval(() => {
    say('minute', {
      elapsed_s: Math.round((Date.now() - t0) / 1000),
      setTargets: changes,
      pool: { accepted: outcomes.accepted, rejected: pool.stats().rejected },
      agent: last ? { accepted: last.accepted, rejected: last.rejected, stale: last.stale, lost: last.lost, hashrate_hs: last.hashrate_hs } : null,
    });
  }, 60_000);
  await new Promise((r) => setTimeout(r, minutes * 60_000));
  clearInterval(timer);
  clearInterval(report);
  const ps = pool.stats();
  const rejected = Object.values(ps.rejected).reduce((a, b) => a + b, 0);
  code = rejected === 0 && ps.accepted > 0 ? 0 : 1;
  say(code === 0 ? 'done: no share rejected' : 'done: shares were rejected', {
    minutes,
    setTargets: changes,
    poolAccepted: ps.accepted,
    poolRejected: ps.rejected,
    acceptedBelowHardTarget: outcomes.accBelowHard,
    acceptedOnEasierOldJobsAfterHarderSetTarget: outcomes.accBelowHardAfterHarder,
    agent: last
      ? { accepted: last.accepted, rejected: last.rejected, stale: last.stale, lost: last.lost, shares_found: last.shares_found, in_flight: last.in_flight }
      : null,
  });
} finally {
  await agent.stop();
  await pool.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
