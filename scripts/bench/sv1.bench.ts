/**
 * Stratum V1 path: a notify line turned into a Job (decode, parameter checks, coinbase check), the lab
 * pool judging a share (coinbase, merkle fold, header hash), and a submit's round trip from the client
 * to the lab pool and back over loopback TCP.
 */
import { Sv1LabPool } from '../../workshop/lab/sv1-pool.js';
import { checkSv1Share, type LabV1Job } from '../../workshop/lab/sv1-share-check.js';
import { labCoinbase, loadLabBlocks } from '../../workshop/lab/block-data.js';
import { Sv1Client } from '../../src/upstream/sv1/client.js';
import { decodeSv1Line, encodeRequest } from '../../src/upstream/sv1/json-rpc.js';
import { jobFromNotify } from '../../src/upstream/sv1/job-from-notify.js';
import { parsePoolMessage } from '../../src/upstream/sv1/pool-messages.js';
import type { Job } from '../../src/upstream/job.js';
import { toHex, u32Hex } from '../../src/work/bytes.js';
import { prevHashToStratumV1 } from '../../src/work/byte-order.js';
import { difficultyToTarget } from '../../src/work/target.js';
import { percentiles, rate, type Bench } from './bench.js';

const bench: Bench = {
  name: 'sv1',
  async run({ quick }) {
    const ms = quick ? 500 : 2000;
    // The deepest real block available (13-hash branch for block 481829).
    const block = loadLabBlocks().blocks.reduce((a, b) => (b.merkleBranch.length > a.merkleBranch.length ? b : a));
    const cb = labCoinbase(block, 8);
    const job: LabV1Job = {
      id: '1',
      prevHashStratum: prevHashToStratumV1(block.prevHash),
      coinb1: cb.prefix,
      coinb2: cb.suffix,
      merkleBranch: block.merkleBranch,
      version: 0x20000000,
      nbits: block.nbits,
      ntime: 1_700_000_000,
    };
    const line = encodeRequest(null, 'mining.notify', [
      job.id,
      toHex(job.prevHashStratum),
      toHex(job.coinb1),
      toHex(job.coinb2),
      job.merkleBranch.map(toHex),
      u32Hex(job.version),
      u32Hex(job.nbits),
      u32Hex(job.ntime),
      true,
    ]).trimEnd();
    const session = {
      poolId: 'b',
      upstream: { id: 'b', submit: async () => ({ status: 'accepted' as const }) },
      extranonce1: Uint8Array.of(1, 2, 3, 4),
      extranonce2Size: 4,
      versionMask: 0x1fffe000,
      target: difficultyToTarget(1),
    };
    let sink = 0;
    const notifyPerS = rate(
      (n) => {
        for (let i = 0; i < n; i++) {
          const m = parsePoolMessage(decodeSv1Line(line));
          if (m.kind === 'notify') sink += jobFromNotify(m.notify, session, i).version;
        }
      },
      { ms, batch: 200 },
    );
    let nonce = 0;
    const checkPerS = rate(
      (n) => {
        for (let i = 0; i < n; i++) {
          const r = checkSv1Share({
            job,
            extranonce1: session.extranonce1,
            extranonce2Size: 4,
            versionMask: 0x1fffe000,
            difficulty: 1,
            submit: { user: 'u', jobId: '1', extranonce2: '00000000', ntime: job.ntime, nonce: nonce++, versionBits: 0x2000 },
          });
          sink += r.ok ? 1 : 0;
        }
      },
      { ms, batch: 200 },
    );

    // Round trips: shares the pool rejects at a huge difficulty take the same path as accepted ones.
    const pool = new Sv1LabPool({ difficulty: 1e12, notifyIntervalMs: 0, cleanIntervalMs: 0 });
    await pool.start();
    const client = new Sv1Client({ id: 'bench', url: pool.url, user: 'bench', password: 'x' });
    const first = new Promise<Job>((resolve) => client.once('job', resolve));
    client.start();
    const j = await first;
    const rtts: number[] = [];
    const n = quick ? 300 : 2000;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await client.submit({
        job: j,
        extranonce: Uint8Array.of(0, 0, 0, i & 0xff),
        ntime: j.ntime,
        nonce: i,
        version: j.version,
        hash: new Uint8Array(32),
        difficulty: 0,
        isBlock: false,
        foundAt: 0,
      });
      rtts.push(performance.now() - t0);
    }
    await client.stop();
    await pool.stop();
    const p = percentiles(rtts);
    if (sink === -1) console.log('');
    return {
      notify_to_job_per_s: Math.round(notifyPerS),
      lab_share_check_per_s: Math.round(checkPerS),
      submit_rtt_p50_ms: Number(p.p50.toFixed(3)),
      submit_rtt_p99_ms: Number(p.p99.toFixed(3)),
    };
  },
};
export default bench;
