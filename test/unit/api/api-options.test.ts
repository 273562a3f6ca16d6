// API options (defaults: loopback, writes off), their validation, address allow-lists, and the redaction
// of secrets in the config view.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressAllowList, AddressRuleError, hostPort, isLoopbackHost } from '../../../src/api/address-allow.js';
import { ApiConfigError, defaultApiOptions, resolveApiOptions } from '../../../src/api/api-options.js';
import { isSecretKey, redactSecrets, redactUrlCredentials, REDACTED } from '../../../src/api/redact.js';

test('defaults: both APIs on loopback (4028 and 4029), write access off', () => {
  const d = defaultApiOptions();
  assert.equal(d.cgminer.host, '127.0.0.1');
  assert.equal(d.cgminer.port, 4028);
  assert.equal(d.http.host, '127.0.0.1');
  assert.equal(d.http.port, 4029);
  assert.equal(d.cgminer.write.enabled, false);
  assert.deepEqual(resolveApiOptions(), d);
});

test('validation names the key', () => {
  const bad = (input: Parameters<typeof resolveApiOptions>[0], key: RegExp): void =>
    assert.throws(
      () => resolveApiOptions(input),
      (e: unknown) => e instanceof ApiConfigError && key.test(e.message),
    );
  bad({ cgminer: { port: 70000 } }, /api\.cgminer\.port/);
  bad({ http: { port: -1 } }, /api\.http\.port/);
  bad({ cgminer: { host: ' ' } }, /api\.cgminer\.host/);
  bad({ cgminer: { maxConnections: 0 } }, /max_connections/);
  bad({ cgminer: { allow: ['not-an-ip'] } }, /api\.cgminer\.allow/);
  bad({ cgminer: { write: { enabled: true, token: 'x'.repeat(20) } } }, /write\.allow/);
  bad({ cgminer: { write: { enabled: true, allow: ['127.0.0.1'] } } }, /write\.token/);
  bad({ cgminer: { write: { enabled: true, allow: ['127.0.0.1'], token: 'short' } } }, /write\.token/);
  bad({ cgminer: { write: { enabled: true, allow: ['127.0.0.1'], token: 'has,a,comma,in,it,xxxxx' } } }, /write\.token/);
  bad({ cgminer: { port: 5000 }, http: { port: 5000 } }, /same address/);
  const ok = resolveApiOptions({ cgminer: { write: { enabled: true, allow: ['192.168.0.0/16'], token: 'abcdefghijklmnop' } } });
  assert.equal(ok.cgminer.write.enabled, true);
  assert.equal(ok.cgminer.port, 4028);
});

test('address allow-lists: addresses, subnets, IPv6, IPv4-mapped peers', () => {
  const a = addressAllowList(['127.0.0.1', '10.1.0.0/16', 'fd00::/8', '::1']);
  assert.equal(a.allows('127.0.0.1'), true);
  assert.equal(a.allows('127.0.0.2'), false);
  assert.equal(a.allows('10.1.200.3'), true);
  assert.equal(a.allows('10.2.0.1'), false);
  assert.equal(a.allows('::ffff:10.1.0.9'), true);
  assert.equal(a.allows('fd12::1'), true);
  assert.equal(a.allows('::1'), true);
  assert.equal(a.allows('fe80::1%eth0'), false);
  assert.equal(a.allows(undefined), false);
  assert.equal(a.allows('garbage'), false);
  assert.equal(addressAllowList([]).allows('127.0.0.1'), false);
  assert.equal(addressAllowList(['0.0.0.0/0']).allows('8.8.8.8'), true);
  assert.throws(() => addressAllowList(['10.0.0.0/33']), AddressRuleError);
  assert.throws(() => addressAllowList(['10.0.0.0/8/1']), AddressRuleError);
  assert.throws(() => addressAllowList(['example.com']), AddressRuleError);
});

test('loopback detection and host:port', () => {
  for (const h of ['127.0.0.1', '127.5.0.1', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '::', '192.168.1.10', 'miner.local', '10.0.0.1']) assert.equal(isLoopbackHost(h), false, h);
  assert.equal(hostPort('127.0.0.1', 4028), '127.0.0.1:4028');
  assert.equal(hostPort('::1', 4029), '[::1]:4029');
});

test('redaction: secret keys at any depth, URL passwords in any string', () => {
  for (const k of ['password', 'pass', 'token', 'api_token', 'authority_secret', 'authoritySecret', 'private_key', 'secret-key', 'Password'])
    assert.equal(isSecretKey(k), true, k);
  for (const k of ['user', 'url', 'authority_pubkey', 'port', 'passes_total']) assert.equal(isSecretKey(k), false, k);
  assert.equal(redactUrlCredentials('stratum+tcp://user:pw@host:1 and http://a:b@c'), `stratum+tcp://user:${REDACTED}@host:1 and http://a:${REDACTED}@c`);
  assert.equal(redactUrlCredentials('stratum+tcp://user@host:1'), 'stratum+tcp://user@host:1');
  assert.deepEqual(redactSecrets({ a: [{ password: 'x', user: 'u' }], token: '', b: { c: { secret: 5 } }, s: 'stratum2+tcp://u:p@h/k' }), {
    a: [{ password: REDACTED, user: 'u' }],
    token: '',
    b: { c: { secret: REDACTED } },
    s: `stratum2+tcp://u:${REDACTED}@h/k`,
  });
});

test('write access: a token is required unless require_token = false; a token that is given must still be valid', async () => {
  const { resolveApiOptions: r } = await import('../../../src/api/api-options.js');
  assert.throws(() => r({ cgminer: { write: { enabled: true, allow: ['10.0.0.0/8'] } } }), /api\.cgminer\.write\.token.*require_token = false/);
  assert.doesNotThrow(() => r({ cgminer: { write: { enabled: true, allow: ['10.0.0.0/8'], requireToken: false } } }));
  assert.throws(() => r({ cgminer: { write: { enabled: true, allow: ['10.0.0.0/8'], requireToken: false, token: 'short' } } }), /token/);
  assert.throws(() => r({ cgminer: { write: { enabled: true, allow: [], requireToken: false } } }), /write\.allow/);
  assert.equal(r({}).http.metricsPerChip, true);
});
