// Authority keys (spec 4.7.1 base58check vector, SRI's example key pair), pool URLs, and which hosts
// count as a private network for an unauthenticated pool.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schnorr } from '@noble/curves/secp256k1.js';
import {
  authorityPublicKey,
  AuthorityKeyError,
  decodeAuthorityKey,
  encodeAuthorityKey,
  encodeAuthoritySecret,
  parseAuthoritySecret,
} from '../../../../src/upstream/sv2/authority-key.js';
import { formatSv2Url, parseSv2Url, PoolUrlError } from '../../../../src/upstream/sv2/url.js';
import { isPrivateAddress } from '../../../../src/upstream/sv2/private-address.js';
import { fromHex, toHex } from '../../../../src/work/bytes.js';
import { readVectorJson, vectorTest } from '../../../helpers/vectors.js';

interface Keys {
  authority_key_base58check: [
    { raw_xonly_pubkey: string; encoded: string },
    { public_encoded: string; public_decoded_payload: string; secret_encoded: string; secret_decoded: string },
  ];
}

vectorTest('base58check authority keys: the spec vector and the SRI key pair', () => {
  const [spec, sri] = readVectorJson<Keys>('sv2/sv2_known_answers.json').authority_key_base58check;
  assert.equal(encodeAuthorityKey(fromHex(spec.raw_xonly_pubkey)), spec.encoded);
  assert.equal(toHex(decodeAuthorityKey(spec.encoded)), spec.raw_xonly_pubkey);
  const pub = decodeAuthorityKey(sri.public_encoded);
  assert.equal('0100' + toHex(pub), sri.public_decoded_payload);
  const secret = parseAuthoritySecret(sri.secret_encoded);
  assert.equal(toHex(secret), sri.secret_decoded);
  assert.equal(encodeAuthoritySecret(secret), sri.secret_encoded);
  assert.deepEqual(authorityPublicKey(secret), pub);
  assert.deepEqual(parseAuthoritySecret(sri.secret_decoded), secret);
});

test('corrupted, truncated or wrong-version keys are refused', () => {
  const key = encodeAuthorityKey(schnorr.getPublicKey(fromHex('07'.repeat(32))));
  const last = key.at(-1) === '1' ? '2' : '1';
  assert.throws(() => decodeAuthorityKey(key.slice(0, -1) + last), AuthorityKeyError);
  assert.throws(() => decodeAuthorityKey(key.slice(0, -3)), AuthorityKeyError);
  assert.throws(() => decodeAuthorityKey('0OIl'), AuthorityKeyError);
  // A bare secret-style payload (no version prefix) is not a public key.
  assert.throws(() => decodeAuthorityKey(encodeAuthoritySecret(fromHex('07'.repeat(32)))), AuthorityKeyError);
  assert.throws(() => parseAuthoritySecret('zz'), AuthorityKeyError);
  assert.throws(() => parseAuthoritySecret('00'.repeat(32)), AuthorityKeyError);
  assert.throws(() => encodeAuthorityKey(new Uint8Array(31)), AuthorityKeyError);
});

test('pool URLs: host, port, key; bad ones are typed errors', () => {
  const key = encodeAuthorityKey(schnorr.getPublicKey(fromHex('09'.repeat(32))));
  const u = parseSv2Url(`stratum2+tcp://pool.example.com:3333/${key}`);
  assert.equal(u.host, 'pool.example.com');
  assert.equal(u.port, 3333);
  assert.equal(u.authorityKeyText, key);
  assert.equal(u.authorityKey?.length, 32);
  assert.equal(formatSv2Url(u.host, u.port, key), `stratum2+tcp://pool.example.com:3333/${key}`);
  const noKey = parseSv2Url('stratum2+tcp://10.0.0.5:34254');
  assert.equal(noKey.authorityKey, null);
  assert.equal(parseSv2Url('stratum2+tcp://10.0.0.5').port, 34254);
  assert.equal(parseSv2Url(`stratum2+tcp://[fd00::1]:4000/${key}/`).host, 'fd00::1');
  assert.equal(formatSv2Url('fd00::1', 4000, null), 'stratum2+tcp://[fd00::1]:4000');
  for (const bad of ['stratum+tcp://h:1', 'stratum2+tcp://h:0', 'stratum2+tcp://h:70000', 'stratum2+tcp://h:1/a/b', 'h:1', 'stratum2+tcp://:1']) {
    assert.throws(() => parseSv2Url(bad), PoolUrlError, bad);
  }
  assert.throws(() => parseSv2Url('stratum2+tcp://h:1/notakey'), AuthorityKeyError);
});

test('private networks: loopback, RFC 1918, unique-local; nothing else', () => {
  for (const a of [
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.10',
    '::1',
    'fd12:3456::1',
    'fc00::1',
    '::ffff:192.168.0.2',
    '[::1]',
  ]) {
    assert.ok(isPrivateAddress(a), a);
  }
  for (const a of [
    '8.8.8.8',
    '172.32.0.1',
    '172.15.0.1',
    '192.169.0.1',
    '169.254.1.1',
    'fe80::1',
    '2001:db8::1',
    '::ffff:8.8.8.8',
    'pool.example.com',
    'localhost',
    '',
  ]) {
    assert.ok(!isPrivateAddress(a), a);
  }
});
