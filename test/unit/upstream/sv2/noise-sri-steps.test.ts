// The Noise NX handshake and transport framing re-derived step by step the way SRI's noise-sv2 and
// framing-sv2 crates do them (stratum-mining/stratum @ 268022034c: noise-sv2/src/{lib,handshake,
// initiator,responder,cipher_state,signature_message}.rs, framing-sv2/src/{encoder,decoder,header}.rs),
// from primitives only: HKDF as two HMACs, the BIP324 tagged hash by hand, ChaCha20-Poly1305 with the
// 4-zero-byte + u64 LE nonce, header and payload chunks encrypted separately. Our initiator and responder
// must interoperate with this second implementation. It is still code written here, from reading SRI's
// sources (no Rust toolchain in this environment): a check of our reading, not a third-party transcript.
// The one third-party constant is SRI's pre-hashed protocol name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { elligatorSwift } from '@scure/btc-signer/p2p.js';
import { ellSwiftKeypairFromSecret, xOnlyOf } from '../../../../src/upstream/sv2/noise/ellswift-ecdh.js';
import { NOISE_PROTOCOL_NAME } from '../../../../src/upstream/sv2/noise/handshake.js';
import { NoiseInitiator } from '../../../../src/upstream/sv2/noise/initiator.js';
import { NoiseResponder } from '../../../../src/upstream/sv2/noise/responder.js';
import { signCertificate } from '../../../../src/upstream/sv2/noise/signature-message.js';
import { EncryptedFrameDecoder, encryptFrame } from '../../../../src/upstream/sv2/noise/transport-frames.js';
import { concatBytes, equalBytes, fromHex } from '../../../../src/work/bytes.js';

/** noise-sv2 lib.rs: SHA-256 of the protocol name, as SRI hard-codes it. */
const SRI_PROTOCOL_NAME_HASH = fromHex('2eb47881208e9eee1f669f67c66ee70ea9ea88090d503fe830dc4bc83e29bf10');
const EMPTY = new Uint8Array(0);
const TAG = sha256(new TextEncoder().encode('bip324_ellswift_xonly_ecdh'));

/** handshake.rs hkdf(): temp = HMAC(ck, ikm); out1 = HMAC(temp, 0x01); out2 = HMAC(temp, out1 | 0x02). */
function hkdf2(ck: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const t = hmac(sha256, ck, ikm);
  const o1 = hmac(sha256, t, Uint8Array.of(1));
  return [o1, hmac(sha256, t, concatBytes(o1, Uint8Array.of(2)))];
}

/** BIP324 x-only ECDH: tagged hash over (initiator encoding, responder encoding, shared x). */
function ecdh(secret: Uint8Array, initiatorEll: Uint8Array, responderEll: Uint8Array, theirEll: Uint8Array): Uint8Array {
  const x = elligatorSwift.decode(theirEll);
  const p = secp256k1.Point.fromBytes(concatBytes(Uint8Array.of(2), x));
  const shared = p.multiply(secp256k1.Point.Fn.fromBytes(secret)).toBytes(true).subarray(1);
  return sha256(concatBytes(TAG, TAG, initiatorEll, responderEll, shared));
}

function ellOf(secret: Uint8Array): Uint8Array {
  return elligatorSwift.encode(secp256k1.Point.BASE.multiply(secp256k1.Point.Fn.fromBytes(secret)).x);
}

/** cipher_state.rs: nonce = 4 zero bytes | u64 LE counter. */
function nonce(n: bigint): Uint8Array {
  const b = new Uint8Array(12);
  new DataView(b.buffer).setBigUint64(4, n, true);
  return b;
}

/** SRI's handshake state: h, ck, the current key and its counter. */
class SriHandshake {
  ck: Uint8Array = SRI_PROTOCOL_NAME_HASH.slice();
  h: Uint8Array = sha256(SRI_PROTOCOL_NAME_HASH);
  private k: Uint8Array | null = null;
  private n = 0n;
  mixHash(d: Uint8Array): void {
    this.h = sha256(concatBytes(this.h, d));
  }
  mixKey(ikm: Uint8Array): void {
    [this.ck, this.k] = hkdf2(this.ck, ikm) as [Uint8Array, Uint8Array];
    this.n = 0n;
  }
  encryptAndHash(p: Uint8Array): Uint8Array {
    const c = this.k ? chacha20poly1305(this.k, nonce(this.n++), this.h).encrypt(p) : p;
    this.mixHash(c);
    return c;
  }
  decryptAndHash(c: Uint8Array): Uint8Array {
    const p = this.k ? chacha20poly1305(this.k, nonce(this.n++), this.h).decrypt(c) : c;
    this.mixHash(c);
    return p;
  }
}

/** A transport direction after the split: empty associated data, one nonce per encryption. */
class SriCipher {
  private n = 0n;
  constructor(private readonly k: Uint8Array) {}
  encrypt(p: Uint8Array): Uint8Array {
    return chacha20poly1305(this.k, nonce(this.n++), EMPTY).encrypt(p);
  }
  decrypt(c: Uint8Array): Uint8Array {
    return chacha20poly1305(this.k, nonce(this.n++), EMPTY).decrypt(c);
  }
}

/** framing-sv2 encoder: the 6-byte header encrypted alone, then the payload in chunks of at most 65519 bytes. */
function sriEncodeFrame(c: SriCipher, header: Uint8Array, payload: Uint8Array): Uint8Array {
  const parts = [c.encrypt(header)];
  for (let s = 0; s < payload.length; s += 65_519) parts.push(c.encrypt(payload.subarray(s, s + 65_519)));
  return concatBytes(...parts);
}

/** framing-sv2 decoder: 22-byte header, then len + 16 per started chunk of ciphertext, 65535 at a time. */
function sriDecodeFrame(c: SriCipher, wire: Uint8Array): { header: Uint8Array; payload: Uint8Array } {
  const header = c.decrypt(wire.subarray(0, 22));
  const len = (header[3] as number) | ((header[4] as number) << 8) | ((header[5] as number) << 16);
  const encLen = len + 16 * Math.ceil(len / 65_519);
  assert.equal(wire.length, 22 + encLen, 'frame length as header.rs computes it');
  const parts: Uint8Array[] = [];
  for (let s = 22; s < wire.length; s += 65_535) parts.push(c.decrypt(wire.subarray(s, Math.min(s + 65_535, wire.length))));
  return { header, payload: concatBytes(...parts) };
}

const NOW = 1_780_000_000;
const secret = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => {
  try {
    secp256k1.Point.Fn.fromBytes(b);
    return b.some((x) => x !== 0);
  } catch {
    return false;
  }
});

test("SRI's hard-coded protocol-name hash is SHA-256 of our protocol name", () => {
  assert.ok(equalBytes(sha256(new TextEncoder().encode(NOISE_PROTOCOL_NAME)), SRI_PROTOCOL_NAME_HASH));
});

test('our initiator completes a handshake with an SRI-step responder, same h; frames both ways at chunk edges', () => {
  fc.assert(
    fc.property(secret, secret, secret, fc.uint8Array({ minLength: 32, maxLength: 32 }), (authSec, eSec, sSec, aux) => {
      const authPub = schnorr.getPublicKey(authSec);
      const ini = new NoiseInitiator({ authorityKey: authPub, nowSeconds: () => NOW });
      const act1 = ini.act1();
      assert.equal(act1.length, 64);
      // responder.rs: MixHash(re_initiator), DecryptAndHash(empty) with no key = MixHash(empty).
      const r = new SriHandshake();
      r.mixHash(act1);
      r.decryptAndHash(EMPTY);
      const eEll = ellOf(eSec);
      r.mixHash(eEll);
      r.mixKey(ecdh(eSec, act1, eEll, act1)); // ee
      const sEll = ellOf(sSec);
      const encStatic = r.encryptAndHash(sEll);
      r.mixKey(ecdh(sSec, act1, sEll, act1)); // es
      // signature_message.rs: version u16, valid_from u32, not_valid_after u32 (LE), then BIP340 over
      // SHA-256(those 10 bytes | server x-only key).
      const cert = new Uint8Array(74);
      const dv = new DataView(cert.buffer);
      dv.setUint16(0, 0, true);
      dv.setUint32(2, NOW - 60, true);
      dv.setUint32(6, NOW + 3600, true);
      cert.set(schnorr.sign(sha256(concatBytes(cert.subarray(0, 10), elligatorSwift.decode(sEll))), authSec, aux), 10);
      const act2 = concatBytes(eEll, encStatic, r.encryptAndHash(cert));
      assert.equal(act2.length, 234);
      const res = ini.act2(act2);
      assert.ok(res.authenticated);
      assert.ok(equalBytes(res.handshakeHash, r.h));
      // responder.rs split: the responder sends with the second key and receives with the first.
      const [k1, k2] = hkdf2(r.ck, EMPTY);
      const poolSend = new SriCipher(k2);
      const poolRecv = new SriCipher(k1);
      for (const len of [0, 5, 65_519, 65_520, 140_000]) {
        const payload = new Uint8Array(len).map((_, i) => (i * 31 + len) & 0xff);
        const ours = encryptFrame(res.keys.send, { extensionType: 0, channelMsg: true, msgType: 0x1a, payload });
        const d = sriDecodeFrame(poolRecv, ours);
        assert.ok(equalBytes(d.payload, payload), `client -> pool, ${len} bytes`);
        assert.deepEqual([...d.header], [0, 0x80, 0x1a, len & 0xff, (len >>> 8) & 0xff, len >>> 16]);
        const wire = sriEncodeFrame(poolSend, Uint8Array.of(0, 0, 0x1f, len & 0xff, (len >>> 8) & 0xff, len >>> 16), payload);
        const dec = new EncryptedFrameDecoder(res.keys.recv, 1 << 24);
        const frames = [...dec.push(wire.subarray(0, 7)), ...dec.push(wire.subarray(7))];
        assert.equal(frames.length, 1);
        assert.ok(equalBytes((frames[0] as { payload: Uint8Array }).payload, payload), `pool -> client, ${len} bytes`);
      }
    }),
    { numRuns: 4 },
  );
});

test('an SRI-step initiator completes a handshake with our responder and verifies its certificate', () => {
  fc.assert(
    fc.property(secret, secret, secret, (authSec, eSec, sSec) => {
      const s = ellSwiftKeypairFromSecret(sSec);
      const resp = new NoiseResponder({ staticKey: s, certificate: signCertificate(authSec, xOnlyOf(s.secret), NOW - 60, NOW + 3600) });
      // initiator.rs: MixHash(e), EncryptAndHash(empty) with no key.
      const i = new SriHandshake();
      const eEll = ellOf(eSec);
      i.mixHash(eEll);
      i.encryptAndHash(EMPTY);
      const { act2, handshakeHash, keys } = resp.respond(eEll);
      assert.equal(act2.length, 234);
      const re = act2.subarray(0, 64);
      i.mixHash(re);
      i.mixKey(ecdh(eSec, eEll, re, re));
      const rs = i.decryptAndHash(act2.subarray(64, 144));
      i.mixKey(ecdh(eSec, eEll, rs, rs));
      const cert = i.decryptAndHash(act2.subarray(144, 234));
      assert.ok(equalBytes(i.h, handshakeHash));
      assert.ok(schnorr.verify(cert.subarray(10), sha256(concatBytes(cert.subarray(0, 10), elligatorSwift.decode(rs))), schnorr.getPublicKey(authSec)));
      // initiator.rs split: the initiator sends with the first key.
      const [k1] = hkdf2(i.ck, EMPTY);
      const payload = Uint8Array.of(1, 2, 3);
      const wire = sriEncodeFrame(new SriCipher(k1), Uint8Array.of(0, 0, 0x00, 3, 0, 0), payload);
      const frames = new EncryptedFrameDecoder(keys.recv).push(wire);
      assert.ok(equalBytes((frames[0] as { payload: Uint8Array }).payload, payload));
    }),
    { numRuns: 4 },
  );
});
