// The protocol analyser: every vector frame decodes to the right kind with its CRC checked and its
// fields named; damaged and odd input gives an 'invalid' object, never a throw.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { familyByName } from '../../../../../drivers/asic/bm13xx/family.js';
import { decodeFrame } from '../../../../../drivers/asic/bm13xx/frame-decoder.js';
import { cmd } from '../../../../../drivers/asic/bm13xx/command-frame.js';
import { ESP_MINER_NONCE_LAYOUT } from '../../../../../drivers/asic/bm13xx/nonce-layout.js';
import { fromHex } from '../../../../../src/work/bytes.js';
import { decodeLine, parseHexFrame } from '../../../../../src/cli/decode.js';
import { readVectorCsv, readVectorJson, vectorTest } from '../../../../helpers/vectors.js';

vectorTest('every vector frame decodes with the right kind and a good CRC', () => {
  for (const r of readVectorCsv('bm13xx/commands.csv')) {
    const d = decodeFrame(fromHex(r.frame_hex ?? ''));
    assert.equal(d.kind, 'command', r.name);
    assert.equal(d.crcOk, true, r.name);
  }
  for (const r of readVectorCsv('bm13xx/responses.csv')) {
    const d = decodeFrame(fromHex(r.frame_hex ?? ''));
    assert.equal(d.kind, r.kind === 'reg' ? 'register-reply' : 'nonce', r.name);
    assert.equal(d.crcOk, true, r.name);
  }
  const jobs = readVectorJson<Record<string, { frame_hex?: string }>>('bm13xx/jobs.json');
  for (const [k, v] of Object.entries(jobs)) {
    if (!v || typeof v !== 'object' || !v.frame_hex) continue;
    const d = decodeFrame(fromHex(v.frame_hex));
    assert.equal(d.kind, 'job', k);
    assert.equal(d.crcOk, true, k);
  }
});

test('fields by name: a PLL write with its meaning, a chip-id reply with its family, a BM1370 nonce', () => {
  const pll = decodeFrame(cmd.writeAll(0x08, 0x40a80230), familyByName('bm1370'));
  assert.equal(pll.kind, 'command');
  if (pll.kind === 'command') assert.equal(pll.meaning?.frequencyMhz, 525);
  const pll97 = decodeFrame(cmd.writeAll(0x08, 0x40440221), familyByName('bm1397'));
  if (pll97.kind === 'command') assert.equal(pll97.meaning?.frequencyMhz, 425, 'raw post dividers on BM1397');
  assert.equal(decodeFrame(cmd.writeAll(0x08, 0x40a80230).slice(0, 10)).kind, 'invalid', 'a truncated frame');
  const w = decodeLine('55 AA 51 09 00 A4 90 00 FF FF 1C', undefined, ESP_MINER_NONCE_LAYOUT).map(
    (x) => JSON.parse(x) as { fields: Record<string, unknown>; meaning: Record<string, unknown> },
  );
  assert.equal(w[0]?.fields.registerName, 'versionRolling');
  assert.equal(w[0]?.meaning.versionMask, '0x1fffe000');
  const id = decodeFrame(fromHex('AA5513971800000006'));
  assert.equal(id.kind, 'register-reply');
  if (id.kind === 'register-reply') {
    assert.equal(id.fields.family, 'BM1397');
    assert.equal(id.meaning?.coreNum, 0x18);
  }
  const n = decodeFrame(fromHex('aa554c0352750cd205a29c'), familyByName('bm1370'));
  assert.equal(n.kind, 'nonce');
  assert.equal(n.fields.nonce, '0x7552034c');
  assert.equal(n.fields.versionBits, '0x00b44000');
  assert.equal(n.fields.jobId, '0x68');
  assert.equal(n.fields.smallCore, 2);
  assert.equal(n.fields.core, 38);
  const bad = decodeFrame(fromHex('aa554c0352750cd205a29d'), familyByName('bm1370'));
  assert.equal(bad.crcOk, false);
});

test('hex input forms and several frames on one line', () => {
  assert.deepEqual(Array.from(parseHexFrame('0x55,0xAA 52:05-00 000A')), [0x55, 0xaa, 0x52, 0x05, 0x00, 0x00, 0x0a]);
  const out = decodeLine('55AA5305000003 55AA520500000A', undefined, ESP_MINER_NONCE_LAYOUT).map(
    (x) => JSON.parse(x) as { kind: string; fields: { op: string } },
  );
  assert.deepEqual(
    out.map((x) => x.fields.op),
    ['chain-inactive', 'read'],
  );
  const bad = JSON.parse(decodeLine('xyz', undefined, ESP_MINER_NONCE_LAYOUT)[0] as string) as { kind: string };
  assert.equal(bad.kind, 'invalid');
});

test('fuzz: arbitrary bytes decode to an object, never a throw (10,000 cases)', () => {
  const fams = [undefined, ...['bm1397', 'bm1362', 'bm1366', 'bm1368', 'bm1370'].map(familyByName)];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 160 }), fc.constantFrom(...fams), fc.boolean(), (b, fam, pre) => {
      const bytes = pre ? Uint8Array.of(...(b.length % 2 ? [0x55, 0xaa] : [0xaa, 0x55]), ...b) : b;
      const d = decodeFrame(bytes, fam);
      assert.ok(['command', 'job', 'register-reply', 'nonce', 'invalid'].includes(d.kind));
      JSON.stringify(d);
    }),
    { numRuns: 10_000 },
  );
});
