// Every DeclareMiningJob.Error and SetCustomMiningJob.Error code the spec (sv2-spec @ 62e9eb2, before
// its code lists were removed) and SRI (stratum @ 268022034c) name, and what the agent makes of it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyRefusal, knownRefusalCodes, primaryCode } from '../../../../src/upstream/jd/declaration-refusal.js';

test('DeclareMiningJob.Error: only codes naming the template are censorship; a stale tip waits, transient ones retry', () => {
  const expect: Record<string, string> = {
    // sv2-spec 6.4.6 (62e9eb2)
    'invalid-mining-job-token': 'token',
    'invalid-job-param-value-version': 'declaration',
    'invalid-job-param-value-coinbase_tx_prefix': 'declaration',
    'invalid-job-param-value-wtxid_list': 'template',
    // SRI job-declaration lib.rs
    'missing-txs': 'template',
    'invalid-coinbase-tx': 'declaration',
    'invalid-coinbase-tx-input': 'declaration',
    'internal-error': 'transient',
    'stale-chain-tip': 'stale-tip',
    'invalid-job': 'template',
  };
  for (const [code, cls] of Object.entries(expect)) assert.equal(classifyRefusal('declare', code).cls, cls, code);
  // Every code of the table is covered above.
  for (const code of Object.keys(knownRefusalCodes().declare)) assert.ok(code in expect, `${code} has a test`);
});

test('SetCustomMiningJob.Error: every SRI and spec code has a class; unknown codes are never censorship (spec 3.5)', () => {
  const expect: Record<string, string> = {
    'jd-not-supported': 'unsupported',
    'invalid-channel-id': 'transient',
    'invalid-mining-job-token': 'token',
    'job-not-yet-validated': 'transient',
    'stale-chain-tip': 'stale-tip',
    'invalid-min-ntime': 'declaration',
    'invalid-nbits': 'declaration',
    'invalid-version': 'declaration',
    'invalid-coinbase-tx': 'declaration',
    'invalid-coinbase-tx-version': 'declaration',
    'invalid-coinbase-prefix': 'declaration',
    'invalid-coinbase-tx-input-n-sequence': 'declaration',
    'invalid-coinbase-tx-outputs': 'declaration',
    'invalid-coinbase-tx-locktime': 'declaration',
    'invalid-merkle-path': 'template',
    'invalid-job': 'template',
    // sv2-spec 5.3.20 (62e9eb2)
    'invalid-job-param-value-merkle_path': 'template',
    'invalid-job-param-value-prev_hash': 'stale-tip',
    'invalid-job-param-value-nbits': 'declaration',
  };
  for (const [code, cls] of Object.entries(expect)) assert.equal(classifyRefusal('custom-job', code).cls, cls, code);
  for (const code of Object.keys(knownRefusalCodes().customJob)) assert.ok(code in expect, `${code} has a test`);
  assert.deepEqual(classifyRefusal('custom-job', 'we-dont-like-you'), { cls: 'unknown', code: 'we-dont-like-you', known: false });
  assert.equal(classifyRefusal('declare', '').cls, 'unknown');
});

test('the first code of a human-readable error string is the one classified', () => {
  assert.equal(primaryCode('Stale-Chain-Tip: the node is at 900000'), 'stale-chain-tip');
  assert.equal(primaryCode('  invalid-job  transaction abc'), 'invalid-job');
  assert.equal(classifyRefusal('declare', 'stale-chain-tip, internal-error').cls, 'stale-tip');
});
