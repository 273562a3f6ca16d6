// The [job_declaration] table: strict checking with dotted keys, payout addresses decoded per
// network (BIP173/BIP350 examples), and the JdUpstream options it becomes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'smol-toml';
import { ManualClock } from '../../../../src/clock.js';
import { toHex } from '../../../../src/work/bytes.js';
import { addressToScript, hexToScript, PayoutScriptError } from '../../../../src/upstream/jd/payout-script.js';
import { createJdUpstream, JobDeclarationConfigError, jdUpstreamOptions, parseJobDeclarationTable } from '../../../../src/upstream/jd/jd-options.js';
import { PoolUrlError } from '../../../../src/upstream/sv2/url.js';

const KEY = '9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXh'; // sv2-spec 4.7.1 example key

test('payout addresses: base58 and bech32(m) per network, from the BIPs', () => {
  // BIP173 / BIP350 test vectors (valid addresses and their scriptPubKeys).
  assert.equal(toHex(addressToScript('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', 'mainnet')), '0014751e76e8199196d454941c45d1b3a323f1433bd6');
  assert.equal(toHex(addressToScript('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', 'testnet4')), '0014751e76e8199196d454941c45d1b3a323f1433bd6');
  assert.equal(
    toHex(addressToScript('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', 'mainnet')),
    '512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798',
  );
  assert.equal(toHex(addressToScript('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa', 'mainnet')), '76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac');
  assert.equal(addressToScript('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', 'regtest').length, 22);
  assert.throws(() => addressToScript('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', 'mainnet'), PayoutScriptError);
  assert.throws(() => addressToScript('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', 'mainnet'), PayoutScriptError); // bad checksum
  assert.equal(toHex(hexToScript('0x51')), '51');
  assert.throws(() => hexToScript('zz'), PayoutScriptError);
});

const good = `
[job_declaration]
template_provider = "stratum2+tcp://127.0.0.1:8442/${KEY}"
mode = "coinbase-only"
on_censorship = "solo"
network = "mainnet"
payout_address = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
request_timeout = 3
retry_interval = 2

[[job_declaration.pool]]
name = "a"
url = "stratum2+tcp://pool-a.example:34254/${KEY}"
jds_url = "stratum2+tcp://pool-a.example:34264/${KEY}"
user = "acct.w1"

[[job_declaration.pool]]
url = "stratum2+tcp://10.0.0.9:34254"
jds_url = "stratum2+tcp://10.0.0.9:34264"
user = "acct.w1"
allow_unauthenticated = true
`;

test('a complete table: typed, then JdUpstream options with the payout decoded', () => {
  const cfg = parseJobDeclarationTable((parse(good) as { job_declaration: unknown }).job_declaration);
  assert.equal(cfg.mode, 'coinbase-only');
  assert.equal(cfg.onCensorship, 'solo');
  assert.equal(cfg.pools.length, 2);
  assert.equal(cfg.pools[1]?.allowUnauthenticated, true);
  const o = jdUpstreamOptions(cfg, { clock: new ManualClock(), nominalHashrate: 1e12 });
  assert.equal(o.id, 'jd');
  assert.equal(toHex(o.soloPayoutScript as Uint8Array), '0014751e76e8199196d454941c45d1b3a323f1433bd6');
  assert.deepEqual(
    o.pairs.map((p) => p.name),
    ['a', 'stratum2+tcp://10.0.0.9:34254'],
  );
  assert.equal(o.timeouts?.declareMs, 3000);
  assert.equal(o.retryIntervalMs, 2000);
  const up = createJdUpstream(cfg, { clock: new ManualClock(), nominalHashrate: 1e12, id: 'own-templates' });
  assert.equal(up.id, 'own-templates');
  assert.equal(up.protocol, 'jd');
  assert.equal(up.state, 'idle');
});

test('defaults: full-template, next-pool, mainnet', () => {
  const cfg = parseJobDeclarationTable({
    template_provider: `stratum2+tcp://127.0.0.1:8442/${KEY}`,
    pool: [{ url: `stratum2+tcp://p:1/${KEY}`, jds_url: `stratum2+tcp://p:2/${KEY}`, user: 'u' }],
  });
  assert.equal(cfg.mode, 'full-template');
  assert.equal(cfg.onCensorship, 'next-pool');
  assert.equal(cfg.network, 'mainnet');
});

test('every problem is reported with its dotted key', () => {
  const bad = {
    template_provider: 'http://x',
    mode: 'whole-block',
    on_censorship: 'solo',
    network: 'mainnet',
    payout_address: 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx',
    extranonce_size: 40,
    colour: 'red',
    pool: [{ url: `stratum2+tcp://p:1/${KEY}`, user: 'u', jds: 'x' }, 'nope'],
  };
  let err: unknown;
  try {
    parseJobDeclarationTable(bad);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof JobDeclarationConfigError);
  const keys = err.problems.map((p) => p.key).sort();
  assert.deepEqual(keys, [
    'job_declaration.colour',
    'job_declaration.extranonce_size',
    'job_declaration.mode',
    'job_declaration.payout_address',
    'job_declaration.pool[0].jds',
    'job_declaration.pool[0].jds_url',
    'job_declaration.pool[1]',
    'job_declaration.template_provider',
  ]);
  assert.throws(
    () => parseJobDeclarationTable({ template_provider: `stratum2+tcp://h:1/${KEY}`, on_censorship: 'solo' }),
    (e: unknown) =>
      e instanceof JobDeclarationConfigError &&
      e.problems.some((p) => p.key === 'job_declaration.on_censorship') &&
      e.problems.some((p) => p.key === 'job_declaration.pool'),
  );
  assert.throws(() => parseJobDeclarationTable('x'), JobDeclarationConfigError);
});

test('an unauthenticated public peer is refused when the upstream is built', () => {
  const cfg = parseJobDeclarationTable({
    template_provider: 'stratum2+tcp://8.8.8.8:8442',
    template_provider_allow_unauthenticated: true,
    payout_script: '51',
  });
  assert.throws(() => jdUpstreamOptions(cfg, { clock: new ManualClock(), nominalHashrate: 1 }), PoolUrlError);
  const cfg2 = parseJobDeclarationTable({ template_provider: 'stratum2+tcp://127.0.0.1:8442', payout_script: '51' });
  assert.throws(() => jdUpstreamOptions(cfg2, { clock: new ManualClock(), nominalHashrate: 1 }), PoolUrlError);
});
