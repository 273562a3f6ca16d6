// Bad input from the peers of the Job Declarator client is an expected event: a Template Provider
// sending templates that do not parse or naming templates it never sent, a JDS asking for
// transactions that were not declared, a pair that cannot be reached. Counted, logged, recovered.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createServer } from 'node:net';
import { ManualClock } from '../../src/clock.js';
import { logger } from '../../src/log.js';
import { LabSv2Listener, type LabConnection } from '../../workshop/lab/lab-sv2-listener.js';
import { SV2_PROTOCOL_VERSION, Sv2SubProtocol } from '../../src/upstream/sv2/messages/common.js';
import { buildLabTemplate, templateBlocks } from '../../workshop/lab/template-data.js';
import { loadLabBlocks } from '../../workshop/lab/block-data.js';
import { serializeOutputs } from '../../src/work/tx-outputs.js';
import { bigIntToU256Le } from '../../src/work/target.js';
import { waitFor } from '../helpers/wait.js';
import { captureLogs, jdUpstream, pairOf, startJds, startTp } from '../helpers/jd-lab.js';

const src = templateBlocks(loadLabBlocks())[0];
if (!src) throw new Error('no template block');

function newTemplate(id: bigint, outputs: Uint8Array, count: number) {
  const t = buildLabTemplate(id, src as NonNullable<typeof src>, 4);
  return {
    type: 'NewTemplate' as const,
    templateId: id,
    futureTemplate: true,
    version: t.version,
    coinbaseTxVersion: t.coinbaseTxVersion,
    coinbasePrefix: t.coinbasePrefix,
    coinbaseTxInputSequence: t.sequence,
    coinbaseTxValueRemaining: t.valueRemaining,
    coinbaseTxOutputsCount: count,
    coinbaseTxOutputs: outputs,
    coinbaseTxLocktime: t.locktime,
    merklePath: t.merklePath,
  };
}

test('a template provider that sends garbage: counted, no work from it; a good template after it is mined', async () => {
  const good = buildLabTemplate(3n, src, 4);
  const tp = new LabSv2Listener({
    protocol: Sv2SubProtocol.TemplateDistribution,
    clock: new ManualClock(0, Math.floor(Date.now() / 1000)),
    log: logger('test.tp'),
  });
  let sessions = 0;
  tp.on('setup', (c) => c.send({ type: 'SetupConnectionSuccess', usedVersion: SV2_PROTOCOL_VERSION, flags: 0 }));
  tp.on('message', (c: LabConnection, m) => {
    if (m.type !== 'CoinbaseOutputConstraints') return;
    sessions++;
    const prev = {
      type: 'SetNewPrevHashTdp' as const,
      prevHash: new Uint8Array(32).fill(2),
      headerTimestamp: Math.floor(Date.now() / 1000),
      nbits: 0x1d00ffff,
      target: bigIntToU256Le(1n << 200n),
    };
    if (sessions === 1) {
      // Outputs that do not parse, then a prev hash naming a template that was never sent.
      c.send(newTemplate(1n, Uint8Array.of(1, 2, 3), 1));
      c.send({ ...prev, templateId: 1n });
      return;
    }
    c.send(newTemplate(3n, serializeOutputs(good.outputs), good.outputs.length));
    c.send({ ...prev, templateId: 3n });
  });
  await tp.start();
  const jds = await startJds();
  const up = jdUpstream({ url: tp.url }, { pairs: [pairOf('lab', jds)] });
  try {
    up.start();
    await waitFor(() => up.currentJob() !== undefined, 'a job from the good template');
    const st = up.stats().jd.templateProvider;
    assert.ok(st.protocolErrors >= 2, `protocol errors ${st.protocolErrors}`);
    assert.equal(sessions, 2, 'the bad session was dropped and a new one started');
    assert.equal(up.currentJob()?.id.startsWith('3.'), true);
  } finally {
    await up.stop();
    await jds.stop();
    await tp.stop();
  }
});

test('a pair that cannot be reached is a failed pair: the next one takes over after pair_ready_timeout', async () => {
  // A port with nothing behind it.
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const tp = await startTp();
  const honest = await startJds();
  const clock = new ManualClock(0, Math.floor(Date.now() / 1000));
  const logs = captureLogs();
  const key = honest.poolUrl.split('/').pop() as string;
  const up = jdUpstream(tp, {
    clock,
    pairReadyTimeoutMs: 10_000,
    pairs: [
      { name: 'gone', poolUrl: `stratum2+tcp://127.0.0.1:${port}/${key}`, jdsUrl: `stratum2+tcp://127.0.0.1:${port}/${key}`, user: 'x' },
      pairOf('honest', honest),
    ],
  });
  logs.restore();
  try {
    up.start();
    await waitFor(() => up.stats().jd.templates >= 1, 'a template');
    assert.equal(up.currentJob(), undefined, 'nothing to mine for a pair that is not there');
    clock.advance(10_000);
    await waitFor(() => up.stats().jd.customJobsAccepted >= 1, 'the honest pair took over');
    const st = up.stats();
    assert.equal(st.jd.pairFailures, 1);
    assert.equal(st.jd.censorshipAlarms, 0, 'an unreachable pool is a failure, not censorship');
    assert.ok(logs.records.some((r) => r.msg === 'jd-pair-failed' && r.pool === 'gone'));
  } finally {
    await up.stop();
    await Promise.all([honest.stop(), tp.stop()]);
  }
});
