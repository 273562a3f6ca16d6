// Fuzz of the chain-to-host response parser (>= 100,000 cases in this suite): random streams, mutated
// streams, and valid frames embedded in garbage. No throw, no hang; every frame it returns is CRC-valid;
// every valid frame is found unless a CRC-valid false candidate overlapping it was accepted first (the
// documented limit), and with garbage that holds no AA 55 every frame is found exactly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { crc5 } from '../../../../../drivers/asic/bm13xx/crc.js';
import { encodeRawResponse, responseFrameValid, type ResponseLength } from '../../../../../drivers/asic/bm13xx/response-frame.js';
import { ResponseParser } from '../../../../../drivers/asic/bm13xx/response-parser.js';

function parseAll(len: ResponseLength, stream: Uint8Array, chunks: number[]): { frames: { f: Uint8Array; at: number }[]; p: ResponseParser } {
  const frames: { f: Uint8Array; at: number }[] = [];
  const p = new ResponseParser(len, (f, at) => frames.push({ f, at }));
  let o = 0;
  let k = 0;
  while (o < stream.length) {
    const n = Math.max(1, chunks.length ? (chunks[k++ % chunks.length] as number) : stream.length);
    p.push(stream.subarray(o, o + n));
    o += n;
  }
  return { frames, p };
}

const lenArb = fc.constantFrom<ResponseLength>(9, 11);
const frameArb = (len: ResponseLength): fc.Arbitrary<Uint8Array> =>
  fc
    .record({ isNonce: fc.boolean(), data: fc.uint8Array({ minLength: 4, maxLength: 4 }), b6: fc.nat(255), b7: fc.nat(255), x: fc.nat(0xffff) })
    .map((r) => encodeRawResponse({ length: len, isNonce: r.isNonce, data: r.data, b6: r.b6, b7: r.b7, extra16: r.x }));
const chunksArb = fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 });

function checkInvariants(len: ResponseLength, stream: Uint8Array, frames: { f: Uint8Array; at: number }[], p: ResponseParser): void {
  let last = -1;
  for (const { f, at } of frames) {
    assert.equal(f.length, len);
    assert.ok(responseFrameValid(f, 0, len), 'only CRC-valid frames come out');
    assert.ok(at >= last + (last < 0 ? 1 : len), 'frames do not overlap and come in order');
    assert.deepEqual(Array.from(stream.subarray(at, at + len)), Array.from(f), 'frame bytes are the stream bytes at its offset');
    last = at;
  }
  const s = p.stats;
  assert.equal(s.frames, frames.length);
  // Every byte is either in a frame, discarded, or held for the next push.
  assert.equal(frames.length * len + s.bytesDiscarded + p.pending, stream.length);
}

test('random byte streams: no throw, invariants hold (40,000 cases)', () => {
  fc.assert(
    fc.property(lenArb, fc.uint8Array({ maxLength: 120 }), chunksArb, (len, stream, chunks) => {
      const { frames, p } = parseAll(len, stream, chunks);
      checkInvariants(len, stream, frames, p);
    }),
    { numRuns: 40_000 },
  );
});

test('mutated valid streams (bit flips, drops, inserts): invariants hold, untouched frames found (30,000 cases)', () => {
  fc.assert(
    fc.property(
      lenArb.chain((len) => fc.tuple(fc.constant(len), fc.array(frameArb(len), { minLength: 1, maxLength: 8 }))),
      fc.array(fc.record({ kind: fc.constantFrom('flip', 'drop', 'insert'), pos: fc.nat(), v: fc.nat(255) }), { maxLength: 4 }),
      chunksArb,
      ([len, fs], muts, chunks) => {
        const bytes = Array.from(fs.flatMap((f) => Array.from(f)));
        // Original position of every byte (-1 for inserted ones), to find untouched frames afterwards.
        const origin = bytes.map((_, i) => i);
        const touched = new Set<number>();
        for (const m of muts) {
          if (bytes.length === 0) break;
          const pos = m.pos % bytes.length;
          const o = origin[pos] as number;
          if (o >= 0) touched.add(Math.floor(o / len));
          if (m.kind === 'flip') bytes[pos] = (bytes[pos] as number) ^ (1 << (m.v & 7));
          else if (m.kind === 'drop') {
            bytes.splice(pos, 1);
            origin.splice(pos, 1);
          } else {
            bytes.splice(pos, 0, m.v);
            origin.splice(pos, 0, -1);
            // An insert before a frame's first byte leaves the frame whole; inside it, it is damaged.
            if (o >= 0 && o % len !== 0) touched.add(Math.floor(o / len));
          }
        }
        const stream = Uint8Array.from(bytes);
        const { frames, p } = parseAll(len, stream, chunks);
        checkInvariants(len, stream, frames, p);
        const found = new Set(frames.map((x) => x.at));
        for (let k = 0; k < fs.length; k++) {
          if (touched.has(k)) continue;
          const at = origin.indexOf(k * len);
          if (at < 0 || found.has(at)) continue;
          assert.ok(
            frames.some((x) => x.at < at + len && at < x.at + len),
            `untouched frame ${k} missed without an overlapping accepted candidate`,
          );
        }
      },
    ),
    { numRuns: 30_000 },
  );
});

test('valid frames embedded in garbage are all found (40,000 cases)', () => {
  fc.assert(
    fc.property(
      lenArb.chain((len) => fc.tuple(fc.constant(len), fc.array(fc.tuple(fc.uint8Array({ maxLength: 30 }), frameArb(len)), { minLength: 1, maxLength: 6 }))),
      fc.uint8Array({ maxLength: 12 }),
      chunksArb,
      fc.boolean(),
      ([len, parts], tail, chunks, cleanGarbage) => {
        const bytes: number[] = [];
        const starts: number[] = [];
        const scrub = (g: Uint8Array): number[] => {
          const a = Array.from(g);
          // Clean garbage holds no AA 55 anywhere (also not across its joints): then every frame must be found.
          if (cleanGarbage) for (let i = 0; i < a.length; i++) if (a[i] === 0xaa) a[i] = 0xab;
          return a;
        };
        for (const [g, f] of parts) {
          bytes.push(...scrub(g));
          starts.push(bytes.length);
          bytes.push(...f);
        }
        bytes.push(...scrub(tail));
        const stream = Uint8Array.from(bytes);
        const { frames, p } = parseAll(len, stream, chunks);
        checkInvariants(len, stream, frames, p);
        const found = new Set(frames.map((x) => x.at));
        for (const s of starts) {
          if (found.has(s)) continue;
          assert.ok(!cleanGarbage, `frame at ${s} missed in clean garbage`);
          // Missed only when an accepted, CRC-valid candidate overlaps it.
          const overlapping = frames.some((x) => x.at < s + len && s < x.at + len);
          assert.ok(overlapping, `frame at ${s} missed without an overlapping accepted candidate`);
        }
      },
    ),
    { numRuns: 40_000 },
  );
});

test('a frame split across pushes is reassembled; a trailing AA is kept for the next push', () => {
  const f = encodeRawResponse({ length: 11, isNonce: true, data: Uint8Array.of(1, 2, 3, 4), b6: 5, b7: 6, extra16: 7 });
  const got: Uint8Array[] = [];
  const p = new ResponseParser(11, (x) => got.push(x));
  p.push(Uint8Array.of(0x00, 0x13, 0xaa));
  assert.equal(p.pending, 1, 'the AA may start a preamble');
  p.push(f.subarray(1, 5));
  assert.equal(got.length, 0);
  p.push(f.subarray(5));
  assert.equal(got.length, 1);
  assert.deepEqual(Array.from(got[0] as Uint8Array), Array.from(f));
  assert.equal(crc5(got[0] as Uint8Array, 2), 0);
  assert.equal(p.stats.bytesDiscarded, 2);
  p.reset();
  assert.equal(p.pending, 0);
});
