/**
 * Fuzz drivers for the SV2 decoders, shared by the normal suite (>= 100 000 cases, seconds) and the
 * slow suite (millions). The property everywhere: bad input gives a typed error (Sv2DecodeError,
 * NoiseError), never another exception; whatever decodes re-encodes to something that decodes to the
 * same message.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PlainFrameDecoder, encodeFrame, type Frame } from '../../src/upstream/sv2/framing.js';
import { ALL_MESSAGES, decodeMessage, encodeMessage, type Sv2Message } from '../../src/upstream/sv2/messages/registry.js';
import type { MessageSpec } from '../../src/upstream/sv2/messages/message.js';
import { Sv2DecodeError, Sv2EncodeError } from '../../src/upstream/sv2/binary/errors.js';
import { NoiseError } from '../../src/upstream/sv2/noise/errors.js';
import { CipherState } from '../../src/upstream/sv2/noise/cipher-state.js';
import { EncryptedFrameDecoder, encryptFrame } from '../../src/upstream/sv2/noise/transport-frames.js';
import { arbitraryMessage, Xorshift } from './sv2-arbitrary.js';

const specs = ALL_MESSAGES as readonly MessageSpec[];
const ids = specs.map((s) => s.msgType);

export interface FuzzTally {
  cases: number;
  decoded: number;
  rejected: number;
}

/** Decodes one frame; checks the typed-error / re-encode property. */
function check(frame: Frame, t: FuzzTally): void {
  t.cases++;
  let m: Sv2Message;
  try {
    m = decodeMessage(frame);
  } catch (err) {
    if (!(err instanceof Sv2DecodeError))
      throw new Error(`untyped error ${String(err)} for type 0x${frame.msgType.toString(16)} payload ${Buffer.from(frame.payload).toString('hex')}`);
    t.rejected++;
    return;
  }
  t.decoded++;
  let again: Frame;
  try {
    again = encodeMessage(m);
  } catch (err) {
    // Only a lossy string (invalid UTF-8 replaced by U+FFFD, 3 bytes each) can outgrow STR0_255.
    if (err instanceof Sv2EncodeError && JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).includes('\uFFFD')) return;
    throw err;
  }
  assert.deepEqual(decodeMessage(again), m);
}

/** Random frames (random or known message types) through the stream decoder in random chunks. */
export function fuzzRandomFrames(n: number, seed: number): FuzzTally {
  const r = new Xorshift(seed);
  const t: FuzzTally = { cases: 0, decoded: 0, rejected: 0 };
  let d = new PlainFrameDecoder(4096);
  for (let i = 0; i < n; i++) {
    const payload = r.bytes(r.below(4) === 0 ? r.below(600) : r.below(80));
    const msgType = r.below(2) === 0 ? (ids[r.below(ids.length)] as number) : r.below(256);
    const bytes = encodeFrame({ extensionType: r.below(8) === 0 ? r.below(0x8000) : 0, channelMsg: r.below(2) === 0, msgType, payload });
    // Now and then corrupt the header too (length, type), which desynchronises the stream.
    if (r.below(50) === 0) bytes[3 + r.below(3)] = r.below(256);
    const frames: Frame[] = [];
    try {
      for (let o = 0; o < bytes.length; ) {
        const step = 1 + r.below(64);
        frames.push(...d.push(bytes.subarray(o, o + step)));
        o += step;
      }
    } catch (err) {
      if (!(err instanceof Sv2DecodeError)) throw err;
      // A fatal stream error closes the connection: carry on with a fresh decoder.
      d = new PlainFrameDecoder(4096);
      t.cases++;
      t.rejected++;
      continue;
    }
    if (frames.length === 0) t.cases++;
    for (const f of frames) check(f, t);
  }
  return t;
}

/** Valid encodings of every message, mutated: bit flips, byte writes, truncation, insertion, deletion. */
export function fuzzMutations(samplesPerMessage: number, mutationsPerSample: number, seed: number): FuzzTally {
  const r = new Xorshift(seed);
  const t: FuzzTally = { cases: 0, decoded: 0, rejected: 0 };
  for (const spec of specs) {
    const samples = fc.sample(arbitraryMessage(spec), { numRuns: samplesPerMessage, seed: seed + spec.msgType });
    for (const m of samples) {
      const f = encodeMessage(m);
      check(f, t);
      const p = f.payload;
      for (let k = 0; k < mutationsPerSample; k++) {
        let q: Uint8Array;
        const at = p.length === 0 ? 0 : r.below(p.length);
        switch (r.below(6)) {
          case 0:
            q = p.slice();
            if (q.length > 0) q[at] = (q[at] as number) ^ (1 << r.below(8));
            break;
          case 1:
            q = p.slice();
            if (q.length > 0) q[at] = r.below(2) === 0 ? 0xff : r.below(256);
            break;
          case 2:
            q = p.slice(0, r.below(p.length + 1));
            break;
          case 3:
            q = new Uint8Array([...p.subarray(0, at), r.below(256), ...p.subarray(at)]);
            break;
          case 4:
            q = new Uint8Array([...p.subarray(0, at), ...p.subarray(at + 1)]);
            break;
          default:
            q = new Uint8Array([...p, ...r.bytes(1 + r.below(8))]);
        }
        check({ ...f, payload: q }, t);
      }
    }
  }
  return t;
}

/** Random and bit-flipped ciphertext into the encrypted frame decoder. */
export function fuzzEncrypted(n: number, seed: number): FuzzTally {
  const r = new Xorshift(seed);
  const key = r.bytes(32);
  const t: FuzzTally = { cases: 0, decoded: 0, rejected: 0 };
  for (let i = 0; i < n; i++) {
    t.cases++;
    let wire: Uint8Array;
    if (r.below(2) === 0) wire = r.bytes(r.below(200));
    else {
      wire = encryptFrame(new CipherState(key), { extensionType: 0, channelMsg: true, msgType: 0x1c, payload: r.bytes(r.below(60)) });
      const at = r.below(wire.length);
      wire[at] = (wire[at] as number) ^ (1 << r.below(8));
    }
    const d = new EncryptedFrameDecoder(new CipherState(key), 4096);
    try {
      const out = d.push(wire);
      if (out.length > 0) t.decoded++;
    } catch (err) {
      if (!(err instanceof NoiseError)) throw err;
      t.rejected++;
    }
  }
  return t;
}
