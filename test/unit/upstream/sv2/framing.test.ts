// SV2 frame headers (spec 3.2): the SRI header example, the channel_msg bit position, and the stream
// decoder with arbitrary chunking and a payload cap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  CHANNEL_MSG_BIT,
  decodeFrame,
  decodeFrameHeader,
  encodeFrame,
  encodeFrameHeader,
  FrameError,
  PlainFrameDecoder,
  type Frame,
} from '../../../../src/upstream/sv2/framing.js';
import { fromHex, toHex } from '../../../../src/work/bytes.js';
import { readVectorJson, vectorTest } from '../../../helpers/vectors.js';

interface KnownAnswers {
  frame_header_parse: { bytes: string; extension_type: string; msg_type: string; msg_length: string };
  channel_msg_bit_example: { extension_type: string; wire_first_two_bytes: string };
}

vectorTest('frame header: SRI framing-sv2 example and the channel_msg bit on the wire', () => {
  const k = readVectorJson<KnownAnswers>('sv2/sv2_known_answers.json');
  const h = decodeFrameHeader(fromHex(k.frame_header_parse.bytes));
  // 0x0201 has bit 15 clear; the message type and U24 length are as SRI's test states.
  assert.equal(h.extensionType, Number(k.frame_header_parse.extension_type));
  assert.equal(h.channelMsg, false);
  assert.equal(h.msgType, Number(k.frame_header_parse.msg_type));
  assert.equal(h.msgLength, Number(k.frame_header_parse.msg_length));
  const ch = encodeFrameHeader(0, true, 0x1a, 0);
  assert.equal(toHex(ch.subarray(0, 2)), k.channel_msg_bit_example.wire_first_two_bytes);
  assert.equal(Number(k.channel_msg_bit_example.extension_type), CHANNEL_MSG_BIT);
});

test('frames round-trip, and decodeFrame checks the length exactly', () => {
  const f: Frame = { extensionType: 0x4001, channelMsg: true, msgType: 0x1f, payload: fromHex('0102030405') };
  const b = encodeFrame(f);
  assert.equal(toHex(b.subarray(0, 6)), '01c01f050000');
  assert.deepEqual(decodeFrame(b), f);
  assert.throws(() => decodeFrame(b.subarray(0, 9)), FrameError);
  assert.throws(() => decodeFrame(new Uint8Array([...b, 0])), FrameError);
  assert.throws(
    () => decodeFrame(b, 4),
    (e: unknown) => e instanceof FrameError && e.code === 'length-limit',
  );
  assert.throws(() => encodeFrameHeader(0x8000, false, 0, 0), RangeError);
  assert.throws(() => encodeFrameHeader(0, false, 0, 0x1000000), RangeError);
});

test('the stream decoder reassembles frames from any chunking', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({ ext: fc.integer({ min: 0, max: 0x7fff }), ch: fc.boolean(), t: fc.integer({ min: 0, max: 255 }), p: fc.uint8Array({ maxLength: 300 }) }),
        { minLength: 1, maxLength: 8 },
      ),
      fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }),
      (frames, cuts) => {
        const stream = new Uint8Array(frames.flatMap((x) => [...encodeFrame({ extensionType: x.ext, channelMsg: x.ch, msgType: x.t, payload: x.p })]));
        const d = new PlainFrameDecoder();
        const got: Frame[] = [];
        let o = 0;
        for (let i = 0; o < stream.length; i++) {
          const n = cuts[i % cuts.length] as number;
          got.push(...d.push(stream.subarray(o, o + n)));
          o += n;
        }
        assert.equal(got.length, frames.length);
        got.forEach((g, i) => {
          const x = frames[i] as (typeof frames)[number];
          assert.deepEqual(g, { extensionType: x.ext, channelMsg: x.ch, msgType: x.t, payload: x.p });
        });
        assert.equal(d.buffered, 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('a frame announcing more than the cap fails at its header, before the payload arrives', () => {
  const d = new PlainFrameDecoder(1000);
  assert.throws(
    () => d.push(encodeFrameHeader(0, false, 0x15, 1001)),
    (e: unknown) => e instanceof FrameError && e.code === 'length-limit',
  );
  const ok = new PlainFrameDecoder(1000);
  assert.deepEqual(ok.push(encodeFrameHeader(0, false, 0x15, 1000)), []);
  assert.equal(ok.buffered, 6);
});
