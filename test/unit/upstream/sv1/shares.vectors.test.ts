// The four real shares of stratum-v1-shares.json, through the V1 job path: notify line → Job →
// share header → hash meets the difficulty; the submit our client would send equals the real one; the
// lab pool's independent check accepts it; and the CPU miner finds the real nonce.
import assert from 'node:assert/strict';
import { decodeSv1Line, type Sv1Request } from '../../../../src/upstream/sv1/json-rpc.js';
import { parseNotify } from '../../../../src/upstream/sv1/pool-messages.js';
import { jobFromNotify } from '../../../../src/upstream/sv1/job-from-notify.js';
import { submitParams } from '../../../../src/upstream/sv1/miner-messages.js';
import { checkSv1Share } from '../../../../workshop/lab/sv1-share-check.js';
import { shareHeader } from '../../../../src/mining/share-header.js';
import { scanStep } from '../../../../workshop/cpu-miner/cpu-miner.js';
import type { Job } from '../../../../src/upstream/job.js';
import { fromHex, parseU32Hex, toHex, concatBytes } from '../../../../src/work/bytes.js';
import { prevHashFromStratumV1, reverseBytes } from '../../../../src/work/byte-order.js';
import { headerHash } from '../../../../src/work/header.js';
import { MiningHasher } from '../../../../src/work/sha256-engine.js';
import { difficultyOfHash, difficultyToTarget, hashToBigInt } from '../../../../src/work/target.js';
import { applyVersionBits, BIP320_MASK, extractBits } from '../../../../src/work/version-rolling.js';
import { readVectorJson, readVectorText, vectorTest } from '../../../helpers/vectors.js';
import { testIssuer } from '../../../helpers/job-issuer.js';

interface V1Share {
  name: string;
  mining_notify_params: unknown[];
  extranonce1: string;
  extranonce2_size: number;
  submit: { extranonce2: string; ntime: string; nonce: string; version_bits: string | null };
  expected: { header_hex: string; hash: string; share_difficulty: number; pool_difficulty: number | null };
}
interface HeaderOnly {
  name: string;
  version: string;
  prevhash_stratum: string;
  merkle_root_internal_hex: string;
  ntime: string;
  nbits: string;
  nonce: string;
  expected_header_hex: string;
  expected_hash: string;
  share_difficulty: number;
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-4 * b;

vectorTest('four real V1 shares rebuild and meet their difficulties through the V1 job path', () => {
  const file = readVectorJson<{ shares: V1Share[]; header_only: HeaderOnly[] }>('real/stratum-v1-shares.json');
  const submitLine = readVectorText('real/stratum-v1-lines.jsonl')
    .split('\n')
    .filter((l) => l.includes('"mining.submit"') && l.includes('875b4b7'))
    .map((l) => (JSON.parse(l) as { line: string }).line)[0];
  assert.ok(submitLine, 'the real submit of share 1 is in the lines file');
  const hasher = new MiningHasher();
  const diffs: number[] = [];
  for (const s of file.shares) {
    // The notify exactly as a pool sends it, through the client's decoder.
    const line = JSON.stringify({ id: null, method: 'mining.notify', params: s.mining_notify_params });
    const notify = parseNotify((decodeSv1Line(line) as Sv1Request).params);
    const rolled = s.submit.version_bits !== null;
    const poolDifficulty = s.expected.pool_difficulty ?? 1;
    const job = jobFromNotify(
      notify,
      {
        poolId: 'vector',
        upstream: testIssuer('vector'),
        extranonce1: fromHex(s.extranonce1),
        extranonce2Size: s.extranonce2_size,
        versionMask: rolled ? BIP320_MASK : 0,
        target: difficultyToTarget(poolDifficulty),
      },
      0,
    );
    const versionBits = rolled ? parseU32Hex(s.submit.version_bits as string) : 0;
    const version = applyVersionBits(job.version, versionBits, job.versionMask);
    const extranonce = fromHex(s.submit.extranonce2);
    const ntime = parseU32Hex(s.submit.ntime);
    const nonce = parseU32Hex(s.submit.nonce);
    const header = shareHeader(job, { extranonce, ntime, version, nonce });
    assert.equal(toHex(header), s.expected.header_hex, s.name);
    const hash = headerHash(header);
    assert.equal(toHex(reverseBytes(hash)), s.expected.hash, s.name);
    const d = difficultyOfHash(hash);
    assert.ok(close(d, s.expected.share_difficulty), `${s.name}: ${d}`);
    assert.ok(hashToBigInt(hash) <= job.target, `${s.name} meets the job's share target`);
    diffs.push(d);

    // What the client would submit for it.
    const params = submitParams({
      user: 'u',
      jobId: job.id,
      extranonce2: toHex(extranonce),
      ntime,
      nonce,
      ...(rolled ? { versionBits: (version & job.versionMask) >>> 0 } : {}),
    });
    assert.deepEqual(params.slice(1), [notify.jobId, s.submit.extranonce2, s.submit.ntime, s.submit.nonce, ...(rolled ? [s.submit.version_bits] : [])]);
    if (s.name.startsWith('bitaxe')) {
      assert.deepEqual(params.slice(1), (decodeSv1Line(submitLine) as Sv1Request).params.slice(1), 'equals the captured submit');
    }

    // The lab pool's independent check agrees.
    const check = checkSv1Share({
      job: {
        id: notify.jobId,
        prevHashStratum: notify.prevHashStratum,
        coinb1: notify.coinb1,
        coinb2: notify.coinb2,
        merkleBranch: notify.merkleBranch,
        version: notify.version,
        nbits: notify.nbits,
        ntime: notify.ntime,
      },
      extranonce1: fromHex(s.extranonce1),
      extranonce2Size: s.extranonce2_size,
      versionMask: job.versionMask,
      difficulty: poolDifficulty,
      submit: { user: 'u', jobId: notify.jobId, extranonce2: s.submit.extranonce2, ntime, nonce, ...(rolled ? { versionBits } : {}) },
    });
    assert.ok(check.ok, `${s.name}: lab pool accepts it`);

    // The CPU miner finds the real nonce when scanning around it with the real extranonce2 and version.
    const minerJob: Job = {
      ...job,
      ntime,
      work: {
        ...(job.work as Extract<Job['work'], { kind: 'coinbase' }>),
        coinbasePrefix: concatBytes(notify.coinb1, fromHex(s.extranonce1), extranonce),
        extranonceSize: 0,
      },
    };
    const step = rolled ? extractBits(versionBits, job.versionMask) : 0;
    const found = scanStep(minerJob, step, 4096, hasher, 0, job.target, nonce - 2048);
    assert.ok(
      found.shares.some((x) => x.nonce === nonce && x.version === version),
      `${s.name}: CPU miner finds nonce ${s.submit.nonce}`,
    );
  }

  // The header-only share: the V1 prevhash conversion and a fixed merkle root.
  for (const h of file.header_only) {
    const job: Job = {
      id: h.name,
      source: { poolId: 'vector', protocol: 'sv1' },
      upstream: testIssuer('vector'),
      prevHash: prevHashFromStratumV1(fromHex(h.prevhash_stratum)),
      version: parseU32Hex(h.version),
      versionMask: 0,
      nbits: parseU32Hex(h.nbits),
      ntime: parseU32Hex(h.ntime),
      ntimeRolling: true,
      target: difficultyToTarget(1),
      clean: true,
      receivedAt: 0,
      work: { kind: 'header', merkleRoot: fromHex(h.merkle_root_internal_hex) },
    };
    const header = shareHeader(job, { ntime: job.ntime, version: job.version, nonce: parseU32Hex(h.nonce) });
    assert.equal(toHex(header), h.expected_header_hex);
    const hash = headerHash(header);
    assert.equal(toHex(reverseBytes(hash)), h.expected_hash);
    assert.ok(close(difficultyOfHash(hash), h.share_difficulty));
    assert.ok(hashToBigInt(hash) <= job.target);
    diffs.push(difficultyOfHash(hash));
  }
  assert.equal(diffs.length, 4);
  [29588.01, 683.51, 7.886, 18.04].forEach((want, i) => assert.ok(Math.abs((diffs[i] as number) - want) < 0.01, `share ${i}: ${diffs[i]}`));
});
