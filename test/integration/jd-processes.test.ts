// The whole job declaration flow across processes on 127.0.0.1: `asic-agent lab template-provider`,
// a censoring `asic-agent lab jds --censor-txid` and an honest `asic-agent lab jds` run as their own
// processes; in this process a simulated BM13xx board (simulator -> memory UART -> real driver ->
// scheduler -> nonce verifier -> share path) mines for the JdUpstream. The censoring pool refuses the
// template, the alarm goes up, the board mines on the honest pool, whose own counters (printed when it
// stops) show the shares accepted.
// jd-demo.test.ts tells the same story with the real agent process (scripts/demo-jd.ts).
import assert from 'node:assert/strict';
import { Bm13xxChain } from '../../drivers/asic/bm13xx/chain.js';
import { FAST_TIMING } from '../../drivers/asic/bm13xx/chain-options.js';
import { ChainSim } from '../../workshop/sim/bm13xx/chain-sim.js';
import { createMemoryUartPair } from '../../drivers/transport/memory-uart.js';
import { systemClock } from '../../src/clock.js';
import { logger } from '../../src/log.js';
import { MiningStats } from '../../src/mining/mining-stats.js';
import { Scheduler } from '../../src/mining/scheduler.js';
import { SharePath } from '../../src/mining/share-path.js';
import type { CensorshipAlarm } from '../../src/upstream/jd/censorship-alarm.js';
import { waitFor } from '../helpers/wait.js';
import { vectorTest } from '../helpers/vectors.js';
import { jdUpstream, ShareLedger, spawnLab } from '../helpers/jd-lab.js';

/** The fourth transaction after the coinbase of real block 227836 (txid, display order): in every lab template. */
const CENSORED = '7c798f8585f16a7f1d427c7287aace531247f419eeba3df15c0f3aaec5a14755';
const URL_RE = (what: string): RegExp => new RegExp(`^lab ${what}: (stratum2\\+tcp://\\S+)$`);

vectorTest('across processes: lab TP + censoring lab JDS/pool + honest lab JDS/pool, a simulated board mining for the JdUpstream', async (t) => {
  const tp = await spawnLab(['template-provider', '--port', '0', '--prev-hash-interval', '0', '--template-interval', '2'], [URL_RE('template-provider')]);
  t.after(() => tp.proc.stop().catch(() => undefined));
  const censor = await spawnLab(
    ['jds', '--port', '0', '--pool-port', '0', '--difficulty', '0.00001', '--share-batch-size', '1', '--censor-txid', CENSORED],
    [URL_RE('jds'), URL_RE('pool')],
  );
  t.after(() => censor.proc.stop().catch(() => undefined));
  const honest = await spawnLab(
    ['jds', '--port', '0', '--pool-port', '0', '--difficulty', '0.00001', '--share-batch-size', '1'],
    [URL_RE('jds'), URL_RE('pool')],
  );
  t.after(() => honest.proc.stop().catch(() => undefined));

  const up = jdUpstream(
    { url: tp.captures[0] as string },
    {
      pairs: [
        { name: 'censor', jdsUrl: censor.captures[0] as string, poolUrl: censor.captures[1] as string, user: 'lab.board' },
        { name: 'honest', jdsUrl: honest.captures[0] as string, poolUrl: honest.captures[1] as string, user: 'lab.board' },
      ],
    },
  );
  const alarms: CensorshipAlarm[] = [];
  up.on('alarm', (a) => alarms.push(a));

  // One simulated BM1370 chain behind the real driver and the agent's scheduler.
  const [host, dev] = createMemoryUartPair();
  await dev.open();
  const sim = new ChainSim({ family: 'BM1370', chips: 4, hashrate: 200_000, simTicketDifficulty: 2 ** -26 });
  sim.attach(dev);
  sim.start();
  const chain = new Bm13xxChain(host, { family: 'BM1370', expectedChips: 4, timing: FAST_TIMING, name: 'sim' });
  // The simulated chips report at the sim-only ticket.
  chain.useChipFigures({ ticketDifficulty: 2 ** -26 });
  await chain.bringUp();
  const stats = new MiningStats(systemClock);
  const ledger = new ShareLedger();
  const shares: SharePath = new SharePath({
    stats,
    log: logger('test'),
    submit: (s) => {
      const p = up.submit(s);
      ledger.track(up.currentPair()?.name ?? 'solo', p);
      return p;
    },
  });
  const sched: Scheduler = new Scheduler({ chains: [chain], clock: systemClock, log: logger('test'), stats, shares });
  up.on('job', (j) => sched.setJob(j));
  try {
    up.start();
    await waitFor(() => (ledger.byPool.honest?.accepted ?? 0) >= 3, 'shares from the board accepted on the honest pool', 60_000);
  } finally {
    sched.stop();
    sim.stop();
    await chain.close();
    sim.detach();
    await dev.close();
  }
  await waitFor(() => ledger.pending === 0, 'every share answered');
  const st = up.stats();
  await up.stop();
  const hs = (await honest.proc.stop()) as { pool: { accepted: number; customJobsAccepted: number }; jds: { declared: number } };
  const cs = (await censor.proc.stop()) as { jds: { declareRefused: Record<string, number>; censored: number } };
  const ts = (await tp.proc.stop()) as { connections: number; txDataServed: number };

  assert.equal(alarms[0]?.pool, 'censor');
  assert.equal(alarms[0]?.kind, 'declare-refused');
  assert.match(alarms[0]?.error ?? '', new RegExp(CENSORED));
  assert.equal(st.jd.mining, 'honest');
  assert.ok(
    censor.proc.lines.some((l) => l.startsWith('declaration refused: invalid-job')),
    'the censoring JDS printed its refusal',
  );
  // Every template declared to the censoring JDS was refused: usually one, two when the TP's next template
  // (every 2 s) was declared before the first refusal came back. The agent saw at least the first (a later
  // one may still be on the wire when it leaves the pair).
  const refused = cs.jds.declareRefused['invalid-job'] ?? 0;
  assert.ok(refused >= 1 && refused <= 2, `refusals: ${refused}`);
  assert.ok(st.jd.declareRefused >= 1 && st.jd.declareRefused <= refused);
  assert.ok(cs.jds.censored >= 1);
  assert.ok(hs.jds.declared >= 1);
  assert.ok(hs.pool.customJobsAccepted >= 1);
  assert.equal(hs.pool.accepted, ledger.byPool.honest?.accepted, 'the honest pool counted what we were told');
  assert.ok(ts.txDataServed >= 2, 'the TP served transaction data for both declarations');
  assert.equal(st.accepted + st.rejected + st.stale + st.lost, ledger.submitted);
});
