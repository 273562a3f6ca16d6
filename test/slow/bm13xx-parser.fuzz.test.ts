// Large fuzz runs of the BM13xx stream parsers (npm run test:slow): 1,000,000 response-stream cases and
// 200,000 host-stream cases, same properties as the normal suite.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeRawResponse, responseFrameValid, type ResponseLength } from '../../drivers/asic/bm13xx/response-frame.js';
import { ResponseParser } from '../../drivers/asic/bm13xx/response-parser.js';
import { HostStreamParser } from '../../drivers/asic/bm13xx/host-stream-parser.js';
import { cmd } from '../../drivers/asic/bm13xx/command-frame.js';

test('response parser: 1,000,000 streams of frames in garbage; every frame found or overlapped by an accepted one', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<ResponseLength>(9, 11),
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 24 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.boolean()), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 1, max: 64 }),
      (len, parts, chunk) => {
        const bytes: number[] = [];
        const starts: number[] = [];
        for (const [g, body, isNonce] of parts) {
          bytes.push(...g);
          starts.push(bytes.length);
          bytes.push(
            ...encodeRawResponse({
              length: len,
              isNonce,
              data: body.subarray(0, 4),
              b6: body[4] as number,
              b7: body[5] as number,
              extra16: ((body[6] as number) << 8) | (body[7] as number),
            }),
          );
        }
        const stream = Uint8Array.from(bytes);
        const found: number[] = [];
        const p = new ResponseParser(len, (f, at) => {
          assert.ok(responseFrameValid(f, 0, len));
          found.push(at);
        });
        for (let o = 0; o < stream.length; o += chunk) p.push(stream.subarray(o, o + chunk));
        for (const s of starts) if (!found.includes(s)) assert.ok(found.some((a) => a < s + len && s < a + len));
        assert.equal(found.length * len + p.stats.bytesDiscarded + p.pending, stream.length);
      },
    ),
    { numRuns: 1_000_000 },
  );
});

test('host stream parser: 200,000 random streams with real frames mixed in', () => {
  const frames = [cmd.readAll(0), cmd.chainInactive(), cmd.writeAll(0x14, 0xff), cmd.setAddress(0x10)];
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...frames), fc.uint8Array({ maxLength: 30 })), { maxLength: 10 }), (parts) => {
      let n = 0;
      const p = new HostStreamParser('full-header', () => n++);
      p.push(Uint8Array.from(parts.flatMap((x) => Array.from(x))));
      assert.equal(n, p.stats.commands + p.stats.jobs);
    }),
    { numRuns: 200_000 },
  );
});
