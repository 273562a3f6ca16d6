// The lab V1 pool's share judge: a share found for a lab job is accepted, and each way of getting it
// wrong gives its own error (extranonce2 size, ntime window, version bits, difficulty).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSv1Share, MAX_NTIME_AHEAD_S, shareKey, type LabV1Job } from '../../../../workshop/lab/sv1-share-check.js';
import { labCoinbase, loadLabBlocks } from '../../../../workshop/lab/block-data.js';
import { jobFromNotify } from '../../../../src/upstream/sv1/job-from-notify.js';
import { scanStep } from '../../../../workshop/cpu-miner/cpu-miner.js';
import type { SubmitParams } from '../../../../src/upstream/sv1/miner-messages.js';
import { MiningHasher } from '../../../../src/work/sha256-engine.js';
import { prevHashToStratumV1 } from '../../../../src/work/byte-order.js';
import { toHex } from '../../../../src/work/bytes.js';
import { difficultyToTarget } from '../../../../src/work/target.js';
import { BIP320_MASK } from '../../../../src/work/version-rolling.js';
import { testIssuer } from '../../../helpers/job-issuer.js';

const block = loadLabBlocks().blocks[0];
assert.ok(block);
const cb = labCoinbase(block, 8);
const job: LabV1Job = {
  id: '7',
  prevHashStratum: prevHashToStratumV1(block.prevHash),
  coinb1: cb.prefix,
  coinb2: cb.suffix,
  merkleBranch: block.merkleBranch,
  version: 0x20000000,
  nbits: block.nbits,
  ntime: 1_700_000_000,
};
const en1 = Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd);
const D = 0.0001;

/** A real share for the job, found with the CPU miner through the client's job path. */
function findShare(mask: number): SubmitParams {
  const j = jobFromNotify(
    {
      jobId: job.id,
      prevHashStratum: job.prevHashStratum,
      coinb1: job.coinb1,
      coinb2: job.coinb2,
      merkleBranch: job.merkleBranch,
      version: job.version,
      nbits: job.nbits,
      ntime: job.ntime,
      cleanJobs: true,
    },
    { poolId: 'lab', upstream: testIssuer('lab'), extranonce1: en1, extranonce2Size: 4, versionMask: mask, target: difficultyToTarget(D) },
    0,
  );
  const h = new MiningHasher();
  for (let step = 1; ; step++) {
    const r = scanStep(j, step, 1 << 16, h, 0);
    const s = r.shares[0];
    if (s)
      return {
        user: 'u',
        jobId: job.id,
        extranonce2: toHex(s.extranonce as Uint8Array),
        ntime: s.ntime,
        nonce: s.nonce,
        ...(mask ? { versionBits: (s.version & mask) >>> 0 } : {}),
      };
  }
}

const base = { job, extranonce1: en1, extranonce2Size: 4, versionMask: BIP320_MASK, difficulty: D };

test('a real share is accepted, with and without version rolling', () => {
  const rolled = findShare(BIP320_MASK);
  assert.notEqual(rolled.versionBits, 0, 'step 1 rolls the first version bit');
  const r = checkSv1Share({ ...base, submit: rolled });
  assert.ok(r.ok);
  if (r.ok) assert.ok(r.shareDifficulty >= D && !r.isBlock);
  const plain = findShare(0);
  assert.ok(checkSv1Share({ ...base, versionMask: 0, submit: plain }).ok);
});

test('each wrong field gives its own error', () => {
  const s = findShare(BIP320_MASK);
  const bad = (patch: Partial<SubmitParams>, extra: Partial<typeof base> = {}): string => {
    const r = checkSv1Share({ ...base, ...extra, submit: { ...s, ...patch } });
    assert.equal(r.ok, false);
    return r.ok ? '' : `${r.code} ${r.message}`;
  };
  assert.match(bad({ extranonce2: `${s.extranonce2}00` }), /^20 invalid extranonce2 size/);
  assert.match(bad({ ntime: job.ntime - 1 }), /^20 ntime too old/);
  assert.match(bad({ ntime: job.ntime + MAX_NTIME_AHEAD_S + 1 }), /^20 ntime too new/);
  assert.match(bad({ versionBits: 0x20000000 }), /^20 version bits outside the mask/);
  assert.match(bad({}, { versionMask: 0 }), /^20 version rolling not negotiated/);
  assert.match(bad({ nonce: (s.nonce + 1) >>> 0 }), /^23 low difficulty share/);
  assert.match(bad({}, { difficulty: 1e9 }), /^23 low difficulty share/);
  // Omitting version_bits when rolling was negotiated is allowed (the job version is used): then the
  // header differs from the one the share was found on, so it fails on difficulty.
  const { versionBits: _vb, ...noBits } = s;
  void _vb;
  const r = checkSv1Share({ ...base, submit: noBits });
  assert.equal(r.ok, false);
  assert.notEqual(shareKey(s), shareKey({ ...s, nonce: s.nonce + 1 }));
});
