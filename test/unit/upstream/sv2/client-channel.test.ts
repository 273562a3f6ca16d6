// The client's view of a channel: future jobs activated by SetNewPrevHash, immediate jobs, bounded
// stores, version masks, and the two SRI known-answer shares mined through it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChannelProtocolError, ClientChannel, MAX_FUTURE_JOBS, type ChannelParams } from '../../../../src/upstream/sv2/client-channel.js';
import type { NewExtendedMiningJobMsg, NewMiningJobMsg, SetNewPrevHashMsg } from '../../../../src/upstream/sv2/messages/mining.js';
import { JobSearch } from '../../../../workshop/cpu-miner/job-search.js';
import { concatBytes, fromHex, toHex } from '../../../../src/work/bytes.js';
import { reverseBytes } from '../../../../src/work/byte-order.js';
import { BIP320_MASK } from '../../../../src/work/version-rolling.js';
import { u256LeToBigInt } from '../../../../src/work/target.js';
import { labCoinbase, loadLabBlocks } from '../../../../workshop/lab/block-data.js';
import { validateShare } from '../../../../workshop/lab/sv2-share-validation.js';
import { readVectorJson, vectorTest } from '../../../helpers/vectors.js';
import { testIssuer } from '../../../helpers/job-issuer.js';

const std = (over: Partial<ChannelParams> = {}): ClientChannel =>
  new ClientChannel(
    { kind: 'standard', channelId: 7, groupChannelId: 3, target: 1n << 240n, extranoncePrefix: fromHex('aabbccdd'), extranonceSize: 0, ...over },
    { poolId: 'p', upstream: testIssuer('p'), versionMask: BIP320_MASK },
  );

const nmj = (jobId: number, minNtime: number | null, root = 0x11): NewMiningJobMsg => ({
  type: 'NewMiningJob',
  channelId: 7,
  jobId,
  minNtime,
  version: 0x20000000,
  merkleRoot: new Uint8Array(32).fill(root),
});
const snph = (jobId: number, minNtime = 1000): SetNewPrevHashMsg => ({
  type: 'SetNewPrevHash',
  channelId: 7,
  jobId,
  prevHash: new Uint8Array(32).fill(0x22),
  minNtime,
  nbits: 0x1d00ffff,
});

test('a future job waits for SetNewPrevHash, which activates it as clean and drops the others', () => {
  const ch = std();
  assert.equal(ch.onNewMiningJob(nmj(1, null), 0), undefined);
  assert.equal(ch.onNewMiningJob(nmj(2, null), 0), undefined);
  assert.equal(ch.futureJobCount(), 2);
  const j = ch.onSetNewPrevHash(snph(2, 1234), 50);
  assert.ok(j);
  assert.equal(j.id, '2');
  assert.equal(j.clean, true);
  assert.equal(j.ntime, 1234);
  assert.equal(j.nbits, 0x1d00ffff);
  assert.equal(j.receivedAt, 50);
  assert.equal(j.ntimeRolling, true);
  assert.equal(j.versionMask, BIP320_MASK);
  assert.deepEqual(j.source, { poolId: 'p', protocol: 'sv2', channelId: 7 });
  assert.equal(ch.futureJobCount(), 0);
  assert.ok(ch.isActive(j));
  // A job with min_ntime is active at once and does not invalidate the first.
  const k = ch.onNewMiningJob(nmj(3, 1300, 0x33), 60);
  assert.ok(k);
  assert.equal(k.clean, false);
  assert.equal(k.ntime, 1300);
  assert.ok(ch.isActive(j) && ch.isActive(k));
  assert.equal(ch.current(), k);
  // The next prev hash invalidates both.
  ch.onNewMiningJob(nmj(4, null), 70);
  const l = ch.onSetNewPrevHash(snph(4, 1400), 80);
  assert.ok(l && !ch.isActive(j) && !ch.isActive(k) && ch.isActive(l));
});

test('SetNewPrevHash naming an unknown job is a protocol error and leaves nothing active', () => {
  const ch = std();
  ch.onNewMiningJob(nmj(1, null), 0);
  ch.onSetNewPrevHash(snph(1, 1), 0) ?? assert.fail();
  ch.onNewMiningJob(nmj(5, null), 0);
  assert.throws(() => ch.onSetNewPrevHash(snph(99), 0), ChannelProtocolError);
  assert.equal(ch.current(), undefined);
  assert.equal(ch.activeJobCount(), 0);
});

test('a job with min_ntime before any prev hash is kept as a future job', () => {
  const ch = std();
  assert.equal(ch.onNewMiningJob(nmj(1, 500), 0), undefined);
  assert.ok(ch.onSetNewPrevHash(snph(1), 0));
});

test('the future-job store is bounded', () => {
  const ch = std();
  for (let i = 1; i <= MAX_FUTURE_JOBS + 10; i++) ch.onNewMiningJob(nmj(i, null), 0);
  assert.equal(ch.futureJobCount(), MAX_FUTURE_JOBS);
  assert.throws(() => ch.onSetNewPrevHash(snph(1), 0), ChannelProtocolError);
});

test('SetTarget applies to jobs activated after it; channel and group ids address the channel', () => {
  const ch = std();
  ch.onNewMiningJob(nmj(1, null), 0);
  ch.setTarget(12345n);
  assert.equal(ch.onSetNewPrevHash(snph(1), 0)?.target, 12345n);
  assert.ok(ch.addressedBy(7) && ch.addressedBy(3) && !ch.addressedBy(4));
  assert.ok(!std({ groupChannelId: 0 }).addressedBy(0));
});

const blocks = loadLabBlocks();
const block = blocks.blocks[0] as (typeof blocks.blocks)[number];

function extJob(jobId: number, minNtime: number | null, rolling = true): NewExtendedMiningJobMsg {
  const { prefix, suffix } = labCoinbase(block, 4 + 8);
  return {
    type: 'NewExtendedMiningJob',
    channelId: 7,
    jobId,
    minNtime,
    version: 0x20000000,
    versionRollingAllowed: rolling,
    merklePath: block.merkleBranch,
    coinbaseTxPrefix: prefix,
    coinbaseTxSuffix: suffix,
  };
}

test('extended channels get coinbase work: prefix | extranonce_prefix, the rolled size, the branch', () => {
  const ch = std({ kind: 'extended', extranonceSize: 8 });
  ch.onNewExtendedMiningJob(extJob(1, null), 0);
  const j = ch.onSetNewPrevHash(snph(1), 0);
  assert.ok(j && j.work.kind === 'coinbase');
  const { prefix, suffix } = labCoinbase(block, 12);
  assert.deepEqual(j.work.coinbasePrefix, concatBytes(prefix, fromHex('aabbccdd')));
  assert.deepEqual(j.work.coinbaseSuffix, suffix);
  assert.equal(j.work.extranonceSize, 8);
  assert.equal(j.work.merkleBranch.length, block.merkleBranch.length);
  // version_rolling_allowed = false means a fixed version.
  ch.onNewExtendedMiningJob(extJob(2, 10, false), 0);
  assert.equal(ch.current()?.versionMask, 0);
  // SetExtranoncePrefix applies to later jobs only.
  ch.setExtranoncePrefix(fromHex('01020304'));
  const k = ch.onNewExtendedMiningJob(extJob(3, 10), 0);
  assert.ok(k && k.work.kind === 'coinbase');
  assert.deepEqual(k.work.coinbasePrefix.subarray(-4), fromHex('01020304'));
  assert.ok(j.work.coinbasePrefix.subarray(-4).every((b, i) => b === [0xaa, 0xbb, 0xcc, 0xdd][i]));
  // A coinbase that is not a transaction is refused, not mined.
  assert.throws(() => ch.onNewExtendedMiningJob({ ...extJob(4, 10), coinbaseTxSuffix: fromHex('00') }, 0), ChannelProtocolError);
  assert.throws(() => ch.onNewMiningJob(nmj(5, 10), 0), ChannelProtocolError);
});

test('a standard channel in a group builds its merkle root from a NewExtendedMiningJob', () => {
  const ch = std();
  const j = ch.onNewExtendedMiningJob(
    { ...extJob(1, null), coinbaseTxPrefix: labCoinbase(block, 4).prefix, coinbaseTxSuffix: labCoinbase(block, 4).suffix },
    0,
  );
  assert.equal(j, undefined);
  const a = ch.onSetNewPrevHash(snph(1), 0);
  assert.ok(a && a.work.kind === 'header');
  // The same root the lab pool computes for that standard channel.
  const v = validateShare(
    {
      jobId: 1,
      version: 0x20000000,
      versionRollingAllowed: true,
      prevHash: a.prevHash,
      nbits: a.nbits,
      minNtime: a.ntime,
      coinbase: {
        txPrefix: labCoinbase(block, 4).prefix,
        extranoncePrefix: fromHex('aabbccdd'),
        txSuffix: labCoinbase(block, 4).suffix,
        merklePath: block.merkleBranch,
      },
    },
    { nonce: 0, ntime: a.ntime, version: a.version, extranonce: new Uint8Array(0) },
    { target: (1n << 256n) - 1n, networkTarget: 0n, versionMask: BIP320_MASK, extranonceSize: 0, nowSeconds: a.ntime, seen: new Set() },
  );
  assert.ok(v.ok);
  assert.deepEqual(v.header.subarray(36, 68), a.work.merkleRoot);
});

test('REQUIRES_FIXED_VERSION (mask 0) fixes the version of every job', () => {
  const ch = new ClientChannel(
    { kind: 'standard', channelId: 7, groupChannelId: 0, target: 1n, extranoncePrefix: new Uint8Array(0), extranonceSize: 0 },
    { poolId: 'p', upstream: testIssuer('p'), versionMask: 0 },
  );
  ch.onNewMiningJob(nmj(1, null), 0);
  assert.equal(ch.onSetNewPrevHash(snph(1), 0)?.versionMask, 0);
});

interface Answers {
  standard_channel_share: {
    new_mining_job: { job_id: number; version: number; merkle_root_u256_wire: string };
    set_new_prev_hash: { prev_hash_u256_wire: string; nbits: number; min_ntime: number };
    channel_target_u256_wire_le: string;
    share: { nonce: number; ntime: number; version: number };
    block_hash_display: string;
  };
  extended_channel_share: {
    coinbase_tx_prefix_as_in_test: string;
    coinbase_tx_suffix_as_in_test: string;
    extranonce_prefix: string;
    extranonce_size: number;
    extranonce: string;
    merkle_path: string[];
    prev_hash_u256_wire: string;
    nbits: number;
    version: number;
    version_rolling_allowed: boolean;
    share: { nonce: number; ntime: number; version: number };
    block_hash_display: string;
  };
}

vectorTest('known-answer share (SRI standard channel): the channel job and CPU search reproduce the hash, the lab pool accepts it', () => {
  const k = readVectorJson<Answers>('sv2/sv2_known_answers.json').standard_channel_share;
  const target = u256LeToBigInt(fromHex(k.channel_target_u256_wire_le));
  const ch = new ClientChannel(
    { kind: 'standard', channelId: 1, groupChannelId: 0, target, extranoncePrefix: new Uint8Array(0), extranonceSize: 0 },
    { poolId: 'sri', upstream: testIssuer('sri'), versionMask: BIP320_MASK },
  );
  ch.onNewMiningJob(
    {
      type: 'NewMiningJob',
      channelId: 1,
      jobId: k.new_mining_job.job_id,
      minNtime: null,
      version: k.new_mining_job.version,
      merkleRoot: fromHex(k.new_mining_job.merkle_root_u256_wire),
    },
    0,
  );
  const job = ch.onSetNewPrevHash(
    {
      type: 'SetNewPrevHash',
      channelId: 1,
      jobId: k.new_mining_job.job_id,
      prevHash: fromHex(k.set_new_prev_hash.prev_hash_u256_wire),
      minNtime: k.set_new_prev_hash.min_ntime,
      nbits: k.set_new_prev_hash.nbits,
    },
    0,
  );
  assert.ok(job);
  const shares = new JobSearch(job, { ntime: k.share.ntime, versionBits: 0 }).scan(k.share.nonce - 2, 5, 0);
  const s = shares.find((x) => x.nonce === k.share.nonce);
  assert.ok(s, 'the known nonce meets the channel target');
  assert.equal(toHex(reverseBytes(s.hash)), k.block_hash_display);
  assert.equal(s.version, k.share.version);
  const v = validateShare(
    {
      jobId: 1,
      version: job.version,
      versionRollingAllowed: true,
      prevHash: job.prevHash,
      nbits: job.nbits,
      minNtime: job.ntime,
      merkleRoot: fromHex(k.new_mining_job.merkle_root_u256_wire),
    },
    { nonce: k.share.nonce, ntime: k.share.ntime, version: k.share.version },
    { target, networkTarget: 0n, versionMask: BIP320_MASK, nowSeconds: k.share.ntime, seen: new Set() },
  );
  assert.ok(v.ok && toHex(reverseBytes(v.hash)) === k.block_hash_display);
});

vectorTest('known-answer share (SRI extended channel, BIP141 fields in the coinbase): client and lab validation agree', () => {
  const k = readVectorJson<Answers>('sv2/sv2_known_answers.json').extended_channel_share;
  const ch = new ClientChannel(
    {
      kind: 'extended',
      channelId: 1,
      groupChannelId: 0,
      target: (1n << 256n) - 1n,
      extranoncePrefix: fromHex(k.extranonce_prefix),
      extranonceSize: k.extranonce_size,
    },
    { poolId: 'sri', upstream: testIssuer('sri'), versionMask: BIP320_MASK },
  );
  ch.onNewExtendedMiningJob(
    {
      type: 'NewExtendedMiningJob',
      channelId: 1,
      jobId: 1,
      minNtime: null,
      version: k.version,
      versionRollingAllowed: k.version_rolling_allowed,
      merklePath: k.merkle_path.map(fromHex),
      coinbaseTxPrefix: fromHex(k.coinbase_tx_prefix_as_in_test),
      coinbaseTxSuffix: fromHex(k.coinbase_tx_suffix_as_in_test),
    },
    0,
  );
  const job = ch.onSetNewPrevHash(
    { type: 'SetNewPrevHash', channelId: 1, jobId: 1, prevHash: fromHex(k.prev_hash_u256_wire), minNtime: k.share.ntime - 10, nbits: k.nbits },
    0,
  );
  assert.ok(job);
  const s = new JobSearch(job, { extranonce: fromHex(k.extranonce), ntime: k.share.ntime, versionBits: 0 }).scan(k.share.nonce, 1, 0);
  assert.equal(s.length, 1);
  assert.equal(toHex(reverseBytes((s[0] as (typeof s)[number]).hash)), k.block_hash_display);
  const v = validateShare(
    {
      jobId: 1,
      version: k.version,
      versionRollingAllowed: true,
      prevHash: job.prevHash,
      nbits: k.nbits,
      minNtime: job.ntime,
      coinbase: {
        txPrefix: fromHex(k.coinbase_tx_prefix_as_in_test),
        extranoncePrefix: fromHex(k.extranonce_prefix),
        txSuffix: fromHex(k.coinbase_tx_suffix_as_in_test),
        merklePath: [],
      },
    },
    { nonce: k.share.nonce, ntime: k.share.ntime, version: k.share.version, extranonce: fromHex(k.extranonce) },
    { target: 1n << 240n, networkTarget: 0n, versionMask: BIP320_MASK, extranonceSize: k.extranonce_size, nowSeconds: k.share.ntime, seen: new Set() },
  );
  assert.ok(v.ok && toHex(reverseBytes(v.hash)) === k.block_hash_display);
});
