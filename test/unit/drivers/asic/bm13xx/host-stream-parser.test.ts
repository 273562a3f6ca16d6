// The chips' side of the wire: commands and jobs framed out of a byte stream, damaged frames skipped
// and counted, and a fuzz over random and mutated streams.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { cmd, encodeCommand } from '../../../../../drivers/asic/bm13xx/command-frame.js';
import { FAMILIES } from '../../../../../drivers/asic/bm13xx/family.js';
import { HostStreamParser, type HostFrame } from '../../../../../drivers/asic/bm13xx/host-stream-parser.js';
import { decodeJobFrame, encodeFullHeaderJob, type FullHeaderJob } from '../../../../../drivers/asic/bm13xx/job-frame.js';
import { testWork } from '../../../../helpers/bm13xx.js';

test('commands and jobs of both formats are framed; LEN of full-header jobs is not trusted', () => {
  const full = FAMILIES.BM1370.encodeWork(testWork(1), 24).frame;
  // cgminer's BM1370 path sends LEN 0xFF (with a CRC over it): still one 88-byte job.
  const cg = encodeFullHeaderJob({ ...(decodeJobFrame(full).job as FullHeaderJob) }, { lengthByte: 0xff });
  const frames: HostFrame[] = [];
  const p = new HostStreamParser('full-header', (f) => frames.push(f));
  p.push(Uint8Array.of(...cmd.chainInactive(), 0x00, 0x11, ...full, ...cg, ...cmd.writeAll(0x14, 0xff)));
  assert.deepEqual(
    frames.map((f) => [f.kind, f.frame.length]),
    [
      ['command', 7],
      ['job', 88],
      ['job', 88],
      ['command', 11],
    ],
  );
  assert.equal(p.stats.bytesDiscarded, 2);
  // A LEN changed on the wire is caught by the CRC16 that covers it.
  const damaged = full.slice();
  damaged[3] = 0x36;
  frames.length = 0;
  p.push(damaged);
  assert.equal(frames.length, 0);
  assert.equal(p.stats.crcErrors, 1);
  // Midstate jobs, fed one byte at a time: 4 midstates (152 bytes) and 1 (56).
  const m: HostFrame[] = [];
  const q = new HostStreamParser('midstate', (f) => m.push(f));
  for (const b of [...FAMILIES.BM1397.encodeWork(testWork(2), 4).frame, ...FAMILIES.BM1397.encodeWork(testWork(3, 0), 8).frame]) q.push(Uint8Array.of(b));
  assert.deepEqual(
    m.map((f) => [f.kind, f.frame.length]),
    [
      ['job', 152],
      ['job', 56],
    ],
  );
});

test('fuzz: random and mutated host streams never throw; every frame out passes its CRC (20,000 cases)', () => {
  const good = [
    cmd.readAll(0),
    cmd.setAddress(4),
    encodeCommand({ op: 'write', broadcast: false, address: 8, register: 0x3c, value: 0x80008540 }),
    FAMILIES.BM1366.encodeWork(testWork(4), 8).frame,
  ];
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constantFrom(...good), fc.uint8Array({ maxLength: 20 })), { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 3 }),
      fc.constantFrom<'midstate' | 'full-header'>('midstate', 'full-header'),
      (parts, flips, fmt) => {
        const bytes = parts.flatMap((x) => Array.from(x));
        for (const f of flips) if (bytes.length) bytes[f % bytes.length] = (bytes[f % bytes.length] as number) ^ (1 << (f & 7));
        const out: HostFrame[] = [];
        const p = new HostStreamParser(fmt, (x) => out.push(x));
        p.push(Uint8Array.from(bytes));
        for (const f of out) {
          assert.equal(f.frame[0], 0x55);
          assert.equal(f.frame[1], 0xaa);
        }
        assert.equal(p.stats.commands + p.stats.jobs, out.length);
      },
    ),
    { numRuns: 20_000 },
  );
});
