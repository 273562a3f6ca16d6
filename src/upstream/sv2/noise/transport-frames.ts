/**
 * SV2 frames after the handshake (spec 04-Protocol-Security 4.5.3, SRI codec-sv2 / noise-sv2):
 *
 *   ENC(header 6) = 22 bytes, then the payload encrypted in chunks of at most 65 519 plaintext bytes,
 *   each chunk becoming chunk + 16-byte MAC (at most 65 535 bytes, the Noise message limit).
 *
 * AD is empty; the header and every chunk take one nonce each from the direction's CipherState. The
 * header's msg_length is the *plaintext* payload length, so the receiver reads
 * len + 16 * ceil(len / 65 519) bytes after it. A zero-length payload is the header alone (no empty
 * chunk), as SRI's codec sends it.
 */
import { type CipherState, MAC_BYTES } from './cipher-state.js';
import { NoiseError } from './errors.js';
import { ByteQueue, decodeFrameHeader, encodeFrameHeader, FRAME_HEADER_BYTES, DEFAULT_MAX_INBOUND_PAYLOAD, type Frame } from '../framing.js';

/** Noise's 65 535-byte message limit minus the 16-byte tag. */
export const MAX_CHUNK_PLAINTEXT = 65_535 - MAC_BYTES;
export const ENCRYPTED_HEADER_BYTES = FRAME_HEADER_BYTES + MAC_BYTES;

const NO_AD = new Uint8Array(0);

/** Ciphertext bytes that follow the encrypted header for a payload of `len` plaintext bytes. */
export function encryptedPayloadLength(len: number): number {
  return len + MAC_BYTES * Math.ceil(len / MAX_CHUNK_PLAINTEXT);
}

/** Encrypts one frame with the sender's cipher (advances its nonce 1 + chunks times). */
export function encryptFrame(send: CipherState, f: Frame): Uint8Array {
  const len = f.payload.length;
  const out = new Uint8Array(ENCRYPTED_HEADER_BYTES + encryptedPayloadLength(len));
  out.set(send.encryptWithAd(NO_AD, encodeFrameHeader(f.extensionType, f.channelMsg, f.msgType, len)), 0);
  let o = ENCRYPTED_HEADER_BYTES;
  for (let p = 0; p < len; p += MAX_CHUNK_PLAINTEXT) {
    const c = send.encryptWithAd(NO_AD, f.payload.subarray(p, Math.min(len, p + MAX_CHUNK_PLAINTEXT)));
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * Incremental decoder of an encrypted frame stream. Any authentication failure is fatal for the
 * session (NoiseError 'decrypt-failed'); a header announcing more than `maxPayload` bytes fails with
 * 'frame-too-large' before any of it is buffered.
 */
export class EncryptedFrameDecoder {
  private readonly q = new ByteQueue();
  private pending: { extensionType: number; channelMsg: boolean; msgType: number; msgLength: number } | null = null;
  private failed: NoiseError | null = null;

  constructor(
    private readonly recv: CipherState,
    private readonly maxPayload = DEFAULT_MAX_INBOUND_PAYLOAD,
  ) {}

  push(chunk: Uint8Array): Frame[] {
    if (this.failed) throw this.failed;
    this.q.push(chunk);
    const out: Frame[] = [];
    try {
      for (;;) {
        if (!this.pending) {
          if (this.q.length < ENCRYPTED_HEADER_BYTES) break;
          const h = decodeFrameHeader(this.recv.decryptWithAd(NO_AD, this.q.take(ENCRYPTED_HEADER_BYTES)));
          if (h.msgLength > this.maxPayload) {
            throw new NoiseError('frame-too-large', `frame payload of ${h.msgLength} bytes exceeds the ${this.maxPayload}-byte limit`);
          }
          this.pending = h;
        }
        const need = encryptedPayloadLength(this.pending.msgLength);
        if (this.q.length < need) break;
        const ct = this.q.take(need);
        const payload = new Uint8Array(this.pending.msgLength);
        for (let c = 0, p = 0; c < ct.length; ) {
          const n = Math.min(MAX_CHUNK_PLAINTEXT + MAC_BYTES, ct.length - c);
          const pt = this.recv.decryptWithAd(NO_AD, ct.subarray(c, c + n));
          payload.set(pt, p);
          p += pt.length;
          c += n;
        }
        const { extensionType, channelMsg, msgType } = this.pending;
        this.pending = null;
        out.push({ extensionType, channelMsg, msgType, payload });
      }
    } catch (err) {
      if (err instanceof NoiseError) this.failed = err;
      throw err;
    }
    return out;
  }

  get buffered(): number {
    return this.q.length;
  }
}
