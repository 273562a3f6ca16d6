import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LineSplitter } from '../../../../src/upstream/sv1/line-splitter.js';

function run(max: number, chunks: Uint8Array[]): { lines: string[]; overlong: number[] } {
  const lines: string[] = [];
  const overlong: number[] = [];
  const s = new LineSplitter(max, { line: (l) => lines.push(l), overlong: (n) => overlong.push(n) });
  for (const c of chunks) s.push(c);
  return { lines, overlong };
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('splits on LF, strips CR, skips empty lines, keeps a partial line for the next chunk', () => {
  const r = run(100, [enc('{"a":1}\r\n\n{"b"'), enc(':2}\n{"c":'), enc('3}')]);
  assert.deepEqual(r.lines, ['{"a":1}', '{"b":2}']);
  assert.deepEqual(r.overlong, []);
});

test('an overlong line is dropped whole (across chunks) and reported once; the next line survives', () => {
  const r = run(10, [enc('0123456789abc'), enc('def'), enc('ghi\nok\n')]);
  assert.deepEqual(r.lines, ['ok']);
  assert.equal(r.overlong.length, 1);
  const r2 = run(10, [enc('0123456789abc\nfine\n')]);
  assert.deepEqual(r2.lines, ['fine']);
  assert.equal(r2.overlong.length, 1);
  // Exactly at the limit is accepted.
  assert.deepEqual(run(4, [enc('abcd\n')]).lines, ['abcd']);
});

test('multi-byte UTF-8 split across chunks decodes intact', () => {
  const bytes = enc('{"m":"ünïcødé ✓"}\n');
  const r = run(100, [bytes.subarray(0, 9), bytes.subarray(9, 10), bytes.subarray(10)]);
  assert.deepEqual(r.lines, ['{"m":"ünïcødé ✓"}']);
});

test('property: any chunking of a stream gives the same lines as splitting it at once', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, '')),
        { maxLength: 12 },
      ),
      fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 20 }),
      fc.integer({ min: 1, max: 60 }),
      (lineList, cuts, max) => {
        const stream = enc(lineList.map((l) => `${l}\n`).join(''));
        const chunks: Uint8Array[] = [];
        let o = 0;
        let i = 0;
        while (o < stream.length) {
          const n = cuts[i++ % cuts.length] as number;
          chunks.push(stream.subarray(o, o + n));
          o += n;
        }
        const r = run(max, chunks);
        const expected = lineList.filter((l) => l.length > 0 && enc(l).length <= max);
        const overlong = lineList.filter((l) => enc(l).length > max).length;
        assert.deepEqual(r.lines, expected);
        assert.equal(r.overlong.length, overlong);
      },
    ),
    { numRuns: 2000 },
  );
});
