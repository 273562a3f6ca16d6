// Third-party vectors for the handshake's crypto, run against the libraries we use before trusting
// them: BIP324 ElligatorSwift decoding (all rows), the inverse map behind the encoder (all rows),
// BIP324's x-only ECDH as SV2's ECDH() (all packet-encoding rows), and BIP340 Schnorr (all rows).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { elligatorSwift } from '@scure/btc-signer/p2p.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { ellswiftDecode, ellswiftEcdh, ellSwiftKeypairFromSecret, generateEllSwiftKeypair, xOnlyOf } from '../../../../src/upstream/sv2/noise/ellswift-ecdh.js';
import { fromHex, toHex } from '../../../../src/work/bytes.js';
import { readVectorCsv, vectorTest } from '../../../helpers/vectors.js';

const big = (h: string): bigint => BigInt(`0x${h}`);

vectorTest('BIP324 ellswift_decode: every 64-byte encoding decodes to the stated x', () => {
  const rows = readVectorCsv('sv2/bip-0324_ellswift_decode_test_vectors.csv');
  assert.equal(rows.length, 76);
  for (const r of rows) assert.equal(toHex(ellswiftDecode(fromHex(r.ellswift as string))), r.x, r.comment);
});

vectorTest('BIP324 xswiftec_inv: the library inverse map gives exactly the listed t for every case', () => {
  const rows = readVectorCsv('sv2/bip-0324_xswiftec_inv_test_vectors.csv');
  assert.equal(rows.length, 32);
  let checked = 0;
  for (const r of rows) {
    for (let c = 0; c < 8; c++) {
      const want = r[`case${c}_t`] as string;
      const got = elligatorSwift._inv(big(r.x as string), big(r.u as string), c);
      if (want === '') assert.equal(got, undefined, `${r.comment} case ${c}`);
      else {
        assert.equal(typeof got === 'bigint' ? got.toString(16).padStart(64, '0') : got, want, `${r.comment} case ${c}`);
        // And the pair (u, t) decodes back to x.
        assert.equal(toHex(ellswiftDecode(fromHex((r.u as string) + want))), r.x);
        checked++;
      }
    }
  }
  assert.ok(checked > 50);
});

vectorTest('BIP324 packet encoding: our ECDH equals mid_shared_secret in every row', () => {
  const rows = readVectorCsv('sv2/bip-0324_packet_encoding_test_vectors.csv');
  assert.equal(rows.length, 7);
  for (const r of rows) {
    const ours = { secret: fromHex(r.in_priv_ours as string), ellswift: fromHex(r.in_ellswift_ours as string) };
    assert.equal(toHex(xOnlyOf(ours.secret)), r.mid_x_ours);
    assert.equal(toHex(ellswiftDecode(ours.ellswift)), r.mid_x_ours);
    assert.equal(toHex(ellswiftDecode(fromHex(r.in_ellswift_theirs as string))), r.mid_x_theirs);
    const secret = ellswiftEcdh(ours, fromHex(r.in_ellswift_theirs as string), r.in_initiating === '1');
    assert.equal(toHex(secret), r.mid_shared_secret, `row ${r.in_idx}`);
  }
});

test('fresh EllSwift keys: both sides agree, the roles order the hash, encodings are randomised', () => {
  for (let i = 0; i < 5; i++) {
    const a = generateEllSwiftKeypair();
    const b = generateEllSwiftKeypair();
    assert.equal(toHex(ellswiftDecode(a.ellswift)), toHex(xOnlyOf(a.secret)));
    const ab = ellswiftEcdh(a, b.ellswift, true);
    assert.deepEqual(ellswiftEcdh(b, a.ellswift, false), ab);
    // Both claiming to initiate gives a different hash (pitfall 3: order is initiator, responder).
    assert.notDeepEqual(ellswiftEcdh(b, a.ellswift, true), ab);
  }
  const s = fromHex('11'.repeat(32));
  const k1 = ellSwiftKeypairFromSecret(s);
  const k2 = ellSwiftKeypairFromSecret(s);
  assert.notDeepEqual(k1.ellswift, k2.ellswift);
  assert.deepEqual(ellswiftDecode(k1.ellswift), ellswiftDecode(k2.ellswift));
});

vectorTest('BIP340: signing reproduces every listed signature and verification every listed result', () => {
  const rows = readVectorCsv('sv2/bip-0340_test-vectors.csv');
  assert.equal(rows.length, 19);
  for (const r of rows) {
    const msg = fromHex(r.message as string);
    const pub = fromHex(r['public key'] as string);
    const sig = fromHex(r.signature as string);
    const sk = r['secret key'] as string;
    if (sk !== '') {
      assert.equal(toHex(schnorr.getPublicKey(fromHex(sk))).toUpperCase(), r['public key'], `index ${r.index}`);
      assert.equal(toHex(schnorr.sign(msg, fromHex(sk), fromHex(r.aux_rand as string))).toUpperCase(), r.signature, `index ${r.index}`);
    }
    let ok: boolean;
    try {
      ok = schnorr.verify(sig, msg, pub);
    } catch {
      ok = false;
    }
    assert.equal(ok, r['verification result'] === 'TRUE', `index ${r.index}: ${r.comment}`);
  }
});
