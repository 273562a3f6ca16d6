/**
 * Stratum V2 costs on this machine: the client side of the Noise NX handshake (act 1 + act 2 with the
 * certificate check; the responder's work is not counted), a whole handshake over loopback TCP, and
 * encrypted frame throughput (ChaCha20-Poly1305 framing with 65 519-byte chunks) for large and
 * share-sized frames.
 */
import { createServer, connect, type Socket } from 'node:net';
import { schnorr } from '@noble/curves/secp256k1.js';
import { NoiseInitiator } from '../../src/upstream/sv2/noise/initiator.js';
import { NoiseResponder } from '../../src/upstream/sv2/noise/responder.js';
import { generateEllSwiftKeypair, xOnlyOf } from '../../src/upstream/sv2/noise/ellswift-ecdh.js';
import { signCertificate } from '../../src/upstream/sv2/noise/signature-message.js';
import { CipherState } from '../../src/upstream/sv2/noise/cipher-state.js';
import { EncryptedFrameDecoder, encryptFrame } from '../../src/upstream/sv2/noise/transport-frames.js';
import { encodeMessage } from '../../src/upstream/sv2/messages/registry.js';
import { Sv2Connection } from '../../src/upstream/sv2/transport.js';
import { percentiles, rate, type Bench } from './bench.js';

const bench: Bench = {
  name: 'sv2',
  async run({ quick }) {
    const authority = schnorr.utils.randomSecretKey();
    const authorityKey = schnorr.getPublicKey(authority);
    const staticKey = generateEllSwiftKeypair();
    const now = Math.floor(Date.now() / 1000);
    const certificate = signCertificate(authority, xOnlyOf(staticKey.secret), now - 10, now + 3600);

    // Client side of the handshake: act 1 (ephemeral key + EllSwift encoding) and act 2 (two ECDHs,
    // two decryptions, certificate decode and BIP340 verification).
    const rounds = quick ? 30 : 150;
    const clientMs: number[] = [];
    for (let i = 0; i < rounds + 5; i++) {
      const t0 = performance.now();
      const init = new NoiseInitiator({ authorityKey, nowSeconds: () => now });
      const act1 = init.act1();
      const t1 = performance.now();
      const act2 = new NoiseResponder({ staticKey, certificate }).respond(act1).act2;
      const t2 = performance.now();
      init.act2(act2);
      const t3 = performance.now();
      if (i >= 5) clientMs.push(t1 - t0 + (t3 - t2));
    }
    const hs = percentiles(clientMs);

    // Whole handshake over loopback TCP, both sides in this process (connect -> ready on the client).
    const server = createServer((s: Socket) => {
      const c = new Sv2Connection(s, { security: { mode: 'noise-responder', staticKey, certificate } });
      c.on('close', () => undefined);
      c.start();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const tcpMs: number[] = [];
    for (let i = 0; i < (quick ? 10 : 40); i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        const sock = connect(port, '127.0.0.1', () => {
          const c = new Sv2Connection(sock, { security: { mode: 'noise-initiator', authorityKey } });
          c.on('ready', () => {
            tcpMs.push(performance.now() - t0);
            c.close('done');
            resolve();
          });
          c.on('close', (reason) => (reason === 'done' ? undefined : reject(new Error(reason))));
          c.start();
        });
      });
    }
    await new Promise<void>((r) => server.close(() => r()));
    const tcp = percentiles(tcpMs);

    // Encrypted framing throughput.
    const key = new Uint8Array(32).fill(7);
    const big = { extensionType: 0, channelMsg: true, msgType: 0x1f, payload: new Uint8Array(65_519 * 4) };
    const ms = quick ? 500 : 2000;
    const send = new CipherState(key);
    const encPerS = rate(
      (n) => {
        for (let i = 0; i < n; i++) encryptFrame(send, big);
      },
      { ms, batch: 4 },
    );
    const wire = encryptFrame(new CipherState(key), big);
    const decPerS = rate(
      (n) => {
        for (let i = 0; i < n; i++) new EncryptedFrameDecoder(new CipherState(key), 1 << 20).push(wire);
      },
      { ms, batch: 4 },
    );
    const share = encodeMessage({
      type: 'SubmitSharesExtended',
      channelId: 1,
      sequenceNumber: 1,
      jobId: 1,
      nonce: 1,
      ntime: 1,
      version: 0x20000000,
      extranonce: new Uint8Array(8),
    });
    const sendSmall = new CipherState(key);
    const smallPerS = rate(
      (n) => {
        for (let i = 0; i < n; i++) encryptFrame(sendSmall, share);
      },
      { ms, batch: 1000 },
    );
    const mb = big.payload.length / 1e6;
    return {
      handshake_client_ms_p50: Number(hs.p50.toFixed(2)),
      handshake_client_ms_p99: Number(hs.p99.toFixed(2)),
      handshake_loopback_ms_p50: Number(tcp.p50.toFixed(2)),
      encrypt_mb_per_s: Number((encPerS * mb).toFixed(1)),
      decrypt_mb_per_s: Number((decPerS * mb).toFixed(1)),
      share_frames_encrypted_per_s: Math.round(smallPerS),
    };
  },
};
export default bench;
