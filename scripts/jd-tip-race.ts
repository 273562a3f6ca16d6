/**
 * `node --import tsx scripts/jd-tip-race.ts [--blocks 5] [--lag-ms 2000]`: Job Declaration against a
 * pool whose node lags the miner's, then against one that censors (issue 14 defect 4).
 *
 * Phase 1: a lab Template Provider (the miner's node, at a tiny network difficulty so that the simulated
 * board finds blocks), a lab JDS + pool whose own node follows it `lag-ms` behind, an honest second pair,
 * and the agent on sim-bm1370 declaring to the first. Each block the miner finds moves its node at once
 * and the pool's node `lag-ms` later: the JDS answers `stale-chain-tip` until then. Runs until the node
 * accepted `blocks` blocks. Expected: no censorship alarm, no fallback.
 * Phase 2: the same with a pool that censors one transaction of the template (its node lagging too).
 * Expected: exactly one alarm, within 5 s of the agent's first declaration to it, naming the transaction.
 * Prints one JSON summary line per phase; exit code 0 when both hold.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LabJdsPool } from '../workshop/lab/jds.js';
import { TemplateProvider } from '../workshop/lab/template-provider.js';
import { toHex } from '../src/work/bytes.js';
import { startAgent, writeConfigs, type LogRecord } from './lib/sim-agent-run.js';

const { values } = parseArgs({ options: { blocks: { type: 'string', default: '5' }, 'lag-ms': { type: 'string', default: '2000' } } });
const blocks = Number(values.blocks);
const lagMs = Number(values['lag-ms']);
const say = (msg: string, extra: Record<string, unknown> = {}): void => console.log(JSON.stringify({ module: 'jd-tip-race', ...extra, msg }));

// 2 chains × 100 kH/s: a block about every 20 s at this network difficulty, shares about twice a second.
const chainHashrate = 100_000;
const networkDifficulty = (2 * chainHashrate * 20) / 2 ** 32;
const shareDifficulty = (2 * chainHashrate) / 2 / 2 ** 32;

function jdToml(tpUrl: string, pairs: { name: string; p: LabJdsPool }[]): string[] {
  const out = [
    '[job_declaration]',
    `template_provider = ${JSON.stringify(tpUrl)}`,
    'mode = "full-template"',
    'on_censorship = "next-pool"',
    'payout_address = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"',
  ];
  for (const { name, p } of pairs)
    out.push(
      '[[job_declaration.pool]]',
      `name = ${JSON.stringify(name)}`,
      `url = ${JSON.stringify(p.poolUrl)}`,
      `jds_url = ${JSON.stringify(p.jdsUrl)}`,
      'user = "tip.race"',
    );
  return out;
}

const count = (rs: LogRecord[], msg: string): number => rs.filter((r) => r.msg === msg).length;

let ok = true;
const dir = mkdtempSync(join(tmpdir(), 'asic-jd-tip-race-'));
const tp = new TemplateProvider({ port: 0, prevHashIntervalSeconds: 0, templateIntervalSeconds: 10, networkDifficulty });
await tp.start();
try {
  // ---- Phase 1: a lagging node, blocks found by the miner ----
  const lagging = new LabJdsPool({ port: 0, poolPort: 0, difficulty: shareDifficulty, node: { follow: tp, lagMs } });
  const honest = new LabJdsPool({ port: 0, poolPort: 0, difficulty: shareDifficulty });
  await lagging.start();
  await honest.start();
  let found = 0;
  const blockDone = new Promise<void>((resolve) =>
    tp.on('block', (b) => {
      found++;
      say('block accepted by the own node', { height: b.height, hash: b.hash, found });
      if (found >= blocks) resolve();
    }),
  );
  const agent = startAgent(
    writeConfigs(
      dir,
      { hashrate: chainHashrate, noncesPerS: 60 },
      jdToml(tp.url, [
        { name: 'lagging', p: lagging },
        { name: 'honest', p: honest },
      ]),
    ),
  );
  const t0 = Date.now();
  await blockDone;
  const minutes = (Date.now() - t0) / 60_000;
  const rs = agent.records;
  const alarms = count(rs, 'censorship-alarm');
  const fallbacks = count(rs, 'job declaration fallback');
  const staleTipRetries = count(rs, 'pool on another chain tip: declaring again on its new tip');
  const last = rs.filter((r) => r.msg === 'status').at(-1);
  await agent.stop();
  const ls = lagging.stats();
  const phase1 = alarms === 0 && fallbacks === 0;
  ok &&= phase1;
  say(phase1 ? 'phase 1 done: no alarm on a lagging node' : 'phase 1 FAILED', {
    blocks: found,
    minutes: Number(minutes.toFixed(1)),
    nodeLagMs: lagMs,
    censorshipAlarms: alarms,
    fallbacks,
    pairFailures: count(rs, 'jd-pair-failed'),
    staleTipRetries,
    jdsStaleChainTip: ls.jds.declareRefused['stale-chain-tip'] ?? 0,
    poolStaleChainTip: ls.pool.customJobsRefused['stale-chain-tip'] ?? 0,
    customJobsAccepted: ls.pool.customJobsAccepted,
    poolAccepted: ls.pool.accepted,
    poolRejected: ls.pool.rejected,
    agent: last
      ? { pool: last.pool, mode: last.mode, accepted: last.accepted, rejected: last.rejected, stale: last.stale, lost: last.lost, blocks: last.blocks }
      : null,
  });
  await lagging.stop();

  // ---- Phase 2: a censoring pool (its node lagging too) ----
  const victim = tp.currentRound.templates[0]?.txids[1];
  if (!victim) throw new Error('no transaction to censor');
  const censor = new LabJdsPool({ port: 0, poolPort: 0, difficulty: shareDifficulty, censorTxids: [victim], node: { follow: tp, lagMs } });
  await censor.start();
  const agent2 = startAgent(
    writeConfigs(
      dir,
      { hashrate: chainHashrate, noncesPerS: 60 },
      jdToml(tp.url, [
        { name: 'censor', p: censor },
        { name: 'honest', p: honest },
      ]),
    ),
  );
  const firstJob = await agent2.waitFor(
    (r) => r.msg === 'mining our template (optimistic, declaration under way)' && r.pool === 'censor',
    'a job declared to the censoring pool',
  );
  const alarm = await agent2.waitFor((r) => r.msg === 'censorship-alarm', 'the censorship alarm', 60_000);
  const ms = Number(alarm.time) - Number(firstJob.time);
  // Keep mining on the fallback for a while: no more alarms may follow.
  await agent2.waitFor((r) => r.msg === 'custom job accepted by the pool' && r.pool === 'honest', 'custom job accepted on the honest pool');
  await agent2.waitFor((r) => r.msg === 'status' && Number(r.time) > Number(alarm.time) + 20_000, 'twenty more seconds of status', 60_000);
  const alarms2 = agent2.records.filter((r) => r.msg === 'censorship-alarm');
  await agent2.stop();
  const display = toHex(victim.slice().reverse());
  const phase2 = alarms2.length === 1 && ms <= 5000 && Array.isArray(alarm.txids) && (alarm.txids as string[]).includes(display);
  ok &&= phase2;
  say(phase2 ? 'phase 2 done: one alarm for the censoring pool' : 'phase 2 FAILED', {
    alarms: alarms2.length,
    msFromDeclarationToAlarm: ms,
    alarm: { pool: alarm.pool, template_id: alarm.template_id, code: alarm.code, txids: alarm.txids, action: alarm.action },
    censoredTxid: display,
  });
  await censor.stop();
  await honest.stop();
} finally {
  await tp.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
