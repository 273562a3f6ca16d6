/**
 * Job declaration costs on this machine, over loopback with the lab servers in this process:
 * - coinbase_build_per_s: coinbase parts for a template (outputs, BIP141 split, job prefix/suffix);
 * - template_to_job_ms: the lab TP sends a new template -> the chains have a job for it (asynchronous
 *   start: token from stock, coinbase built, job emitted);
 * - job_to_accept_ms: that job -> SetCustomMiningJob.Success (full-template: transaction data from the
 *   TP, DeclareMiningJob with the JDS asking for missing transactions, then SetCustomMiningJob);
 * - fallback_ms: a censoring pool's refusal (alarm) -> the first job for the next pool.
 */
import { TemplateProvider } from '../../workshop/lab/template-provider.js';
import { LabJdsPool } from '../../workshop/lab/jds.js';
import { JdUpstream } from '../../src/upstream/jd/jd-upstream.js';
import { buildLabTemplate, templateBlocks } from '../../workshop/lab/template-data.js';
import { loadLabBlocks } from '../../workshop/lab/block-data.js';
import { buildCoinbaseParts, declaredOutputs, witnessReservedFor } from '../../src/upstream/jd/jd-coinbase.js';
import { labPayoutScript } from '../../workshop/lab/jds.js';
import { percentiles, rate, type Bench } from './bench.js';

function once<T extends unknown[]>(on: (f: (...a: T) => void) => void, off: (f: (...a: T) => void) => void): Promise<T> {
  return new Promise((resolve) => {
    const f = (...a: T): void => {
      off(f);
      resolve(a);
    };
    on(f);
  });
}

const bench: Bench = {
  name: 'jd',
  async run({ quick }) {
    const blocks = loadLabBlocks();
    const src = templateBlocks(blocks)[0];
    if (!src) throw new Error('no template data');
    const tpl = buildLabTemplate(1n, src, src.transactions.length);
    const payout = [{ value: 0n, scriptPubKey: labPayoutScript() }];
    const build = rate(
      (n) => {
        for (let i = 0; i < n; i++) {
          const outputs = declaredOutputs(tpl.valueRemaining, payout, tpl.outputs);
          buildCoinbaseParts(
            {
              version: 2,
              scriptSigPrefix: tpl.coinbasePrefix,
              sequence: tpl.sequence,
              outputs,
              locktime: 0,
              witnessReservedValue: witnessReservedFor(tpl.outputs),
            },
            16,
          );
        }
      },
      { batch: 2000, ms: quick ? 300 : 1000 },
    );

    const tp = new TemplateProvider({ port: 0, prevHashIntervalSeconds: 0, templateIntervalSeconds: 0, blocks });
    await tp.start();
    const honest = new LabJdsPool({ port: 0, poolPort: 0, difficulty: 1, blocks });
    await honest.start();
    const up = new JdUpstream({
      templateProvider: { url: tp.url },
      pairs: [{ name: 'honest', poolUrl: honest.poolUrl, jdsUrl: honest.jdsUrl, user: 'bench' }],
      mode: 'full-template',
      onCensorship: 'next-pool',
      nominalHashrate: 1e12,
      tokensAhead: 4,
    });
    up.start();
    await once<[]>(
      (f) => up.on('declared', f),
      (f) => up.off('declared', f),
    );
    const toJob: number[] = [];
    const toAccept: number[] = [];
    for (let i = 0; i < (quick ? 8 : 30); i++) {
      const t0 = performance.now();
      const job = once<[unknown]>(
        (f) => up.on('job', f),
        (f) => up.off('job', f),
      );
      const acc = once<[unknown]>(
        (f) => up.on('declared', f),
        (f) => up.off('declared', f),
      );
      // A new prev hash every time, so that every template is a fresh declaration.
      tp.newPrevHash();
      await job;
      const t1 = performance.now();
      await acc;
      toJob.push(t1 - t0);
      toAccept.push(performance.now() - t1);
    }
    await up.stop();

    const fallback: number[] = [];
    for (let i = 0; i < (quick ? 3 : 8); i++) {
      const censor = new LabJdsPool({ port: 0, poolPort: 0, difficulty: 1, blocks, censorTxids: [src.txids[0] as Uint8Array] });
      await censor.start();
      const u = new JdUpstream({
        templateProvider: { url: tp.url },
        pairs: [
          { name: 'censor', poolUrl: censor.poolUrl, jdsUrl: censor.jdsUrl, user: 'bench' },
          { name: 'honest', poolUrl: honest.poolUrl, jdsUrl: honest.jdsUrl, user: 'bench' },
        ],
        mode: 'full-template',
        onCensorship: 'next-pool',
        nominalHashrate: 1e12,
      });
      const alarm = once<[unknown]>(
        (f) => u.on('alarm', f),
        (f) => u.off('alarm', f),
      );
      u.start();
      await alarm;
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        const f = (): void => {
          if (u.currentPair()?.name !== 'honest') return;
          u.off('job', f);
          resolve();
        };
        u.on('job', f);
      });
      fallback.push(performance.now() - t0);
      await u.stop();
      await censor.stop();
    }
    await honest.stop();
    await tp.stop();
    const j = percentiles(toJob);
    const a = percentiles(toAccept);
    const f = percentiles(fallback);
    return {
      coinbase_build_per_s: Math.round(build),
      template_to_job_ms_p50: Number(j.p50.toFixed(2)),
      template_to_job_ms_max: Number(j.max.toFixed(2)),
      job_to_accept_ms_p50: Number(a.p50.toFixed(2)),
      job_to_accept_ms_max: Number(a.max.toFixed(2)),
      fallback_ms_p50: Number(f.p50.toFixed(1)),
      fallback_ms_max: Number(f.max.toFixed(1)),
    };
  },
};
export default bench;
