// Chip families: job-id stepping, nonce reply encode/decode per family, work encoding, init sequences
// as frames, and nonce layout placement.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readU32LE, writeU32LE } from '../../../../../src/work/bytes.js';
import { midstate } from '../../../../../src/work/sha256-engine.js';
import { incrementVersion } from '../../../../../src/work/version-rolling.js';
import { FAMILIES, familyByChipId, familyByName } from '../../../../../drivers/asic/bm13xx/family.js';
import { nonceOfReply } from '../../../../../drivers/asic/bm13xx/families/common.js';
import { decodeJobFrame } from '../../../../../drivers/asic/bm13xx/job-frame.js';
import {
  composeNonce,
  ESP_MINER_NONCE_LAYOUT,
  nonceAddressField,
  nonceCore,
  nonceFields,
  nonceSplit,
  chipIndexOfNonce,
  type NonceLayout,
} from '../../../../../drivers/asic/bm13xx/nonce-layout.js';
import { decodeRawResponse } from '../../../../../drivers/asic/bm13xx/response-frame.js';
import { unitHeaderOf } from '../../../../../drivers/asic/bm13xx/work-encoding.js';

const cycle = (name: keyof typeof FAMILIES, n: number): number[] => {
  const f = FAMILIES[name];
  const out: number[] = [];
  let id: number | undefined;
  for (let i = 0; i < n; i++) out.push((id = f.nextJobId(id)));
  return out;
};

test('job-id stepping per family (the chip overwrites the low bits)', () => {
  // ESP-Miner: BM1397 +4 mod 128 (first id 4), BM1366 +8, BM1368/70 +24; cgminer BM1362 0x10..0x78 step 8.
  assert.deepEqual(cycle('BM1397', 3), [4, 8, 12]);
  assert.deepEqual(cycle('BM1366', 3), [8, 16, 24]);
  assert.deepEqual(cycle('BM1370', 7), [24, 48, 72, 96, 120, 16, 40]);
  assert.deepEqual(cycle('BM1362', 15).slice(12), [0x70, 0x78, 0x10]);
  for (const f of Object.values(FAMILIES)) {
    const ids = cycle(f.name, 3 * f.jobIdCycle);
    assert.equal(new Set(ids).size, f.jobIdCycle, f.name);
    for (const id of ids) {
      assert.ok(id < 128, `${f.name} id ${id}`);
      assert.equal(f.chipJobId(id), id, `${f.name}: id ${id} survives the chip's overwrite`);
    }
    // No id comes back before the whole cycle passed.
    for (let i = 0; i + f.jobIdCycle < ids.length; i++) assert.equal(ids[i], ids[i + f.jobIdCycle]);
  }
});

test('nonce replies encode and decode per family (property)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...Object.values(FAMILIES)),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 200 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 15 }),
      fc.integer({ min: 0, max: 0xffff }),
      (f, nonce, seq, mid, sc, field) => {
        let id: number | undefined;
        for (let i = 0; i <= seq % f.jobIdCycle; i++) id = f.nextJobId(id);
        const jobId = id as number;
        const smallCore = sc % f.smallCoresPerCore;
        const midstateIndex = f.jobFormat === 'midstate' ? mid : 0;
        const versionBits = f.jobFormat === 'midstate' ? 0 : (field << 13) >>> 0;
        const frame = f.encodeNonceReply({ nonce, jobId, midstateIndex, smallCore, versionBits, b6: 0 });
        assert.equal(frame.length, f.responseLength);
        const raw = decodeRawResponse(frame);
        assert.equal(raw.crcOk, true);
        assert.equal(raw.isNonce, true);
        assert.equal(nonceOfReply(raw), nonce);
        const ids = f.decodeNonceIds(raw);
        assert.equal(ids.jobId, jobId);
        assert.equal(ids.midstateIndex, midstateIndex);
        assert.equal(ids.versionBits, versionBits);
        if (f.jobFormat !== 'midstate') assert.equal(ids.smallCore, smallCore);
      },
    ),
    { numRuns: 2000 },
  );
});

test('family lookup by name and chip id', () => {
  assert.equal(familyByName('bm1370').name, 'BM1370');
  assert.equal(familyByName('1366').name, 'BM1366');
  assert.throws(() => familyByName('bm1999'), { name: 'UnknownFamilyError' });
  assert.equal(familyByChipId(0x1397)?.name, 'BM1397');
  assert.equal(familyByChipId(0x1234), undefined);
});

test('BM1397 work: 4 midstates for versions +0..+3 along the mask, 1 midstate without a mask', () => {
  const header = new Uint8Array(80).map((_, i) => (i * 13 + 5) & 0xff);
  writeU32LE(header, 0, 0x20000000);
  const enc = FAMILIES.BM1397.encodeWork(unitHeaderOf(header, 0x1fffe000), 8);
  assert.equal(enc.frame.length, 152);
  const d = decodeJobFrame(enc.frame, 'midstate');
  assert.ok(d.format === 'midstate' && d.crcOk);
  if (d.format !== 'midstate') return;
  assert.equal(d.job.numMidstatesByte, 4);
  for (let k = 0; k < 4; k++) {
    const v = incrementVersion(0x20000000, 0x1fffe000, k);
    assert.equal(enc.slotVersions[k], v);
    const h = header.slice(0, 64);
    writeU32LE(h, 0, v);
    assert.deepEqual(d.job.midstates[k], midstate(h));
  }
  assert.deepEqual(Array.from(d.job.merkleTail), Array.from(header.slice(64, 68)));
  assert.equal(d.job.ntime, readU32LE(header, 68));
  assert.equal(d.job.nbits, readU32LE(header, 72));
  const one = FAMILIES.BM1397.encodeWork(unitHeaderOf(header, 0), 8);
  assert.equal(one.frame.length, 56);
  assert.deepEqual(one.slotVersions, [0x20000000]);
});

test('full-header work: frame carries the template; the chip rolls under the work mask', () => {
  const header = new Uint8Array(80).map((_, i) => (i * 31 + 7) & 0xff);
  for (const name of ['BM1362', 'BM1366', 'BM1368', 'BM1370'] as const) {
    const enc = FAMILIES[name].encodeWork(unitHeaderOf(header, 0x1fffffe0), 16);
    assert.equal(enc.frame.length, 88);
    assert.equal(enc.frame[3], name === 'BM1362' ? 0x36 : 0x56, name === 'BM1362' ? 'cgminer length byte' : 'ESP-Miner length byte');
    assert.equal(enc.chipRollMask, 0x1fffe000, 'only bits 28..13 are rollable in the chip');
    const d = decodeJobFrame(enc.frame);
    assert.ok(d.format === 'full-header' && d.crcOk);
  }
});

test('init sequences: every family step list is well formed; address-dependent steps present', () => {
  for (const f of Object.values(FAMILIES)) {
    const ctx = { chipCount: 12, ticketMask: 0xff, versionRolling: 0x9000ffff };
    const steps = [...f.preEnumeration(ctx), ...f.configure(ctx), ...f.finalize({ ...ctx, frequencyMhz: 400 })];
    assert.equal(steps.filter((s) => s.kind === 'set-addresses').length, 1, f.name);
    assert.ok(
      steps.some((s) => s.kind === 'chain-inactive'),
      f.name,
    );
    assert.ok(
      steps.some((s) => s.kind === 'write' && s.register === 0x14 && s.value === 0xff),
      `${f.name} writes the ticket mask`,
    );
    for (const s of steps) {
      if (s.kind === 'write' || s.kind === 'write-first') assert.ok(s.register >= 0 && s.register <= 0xff && s.value >>> 0 === s.value);
    }
  }
});

test('nonce layout: compose/split round trip, chip index from the address field (property)', () => {
  const layouts: NonceLayout[] = [
    ESP_MINER_NONCE_LAYOUT,
    { byteOrder: 'le', coreBits: 7, addressBits: 8 },
    { byteOrder: 'be', coreBits: 8, addressBits: 6 },
    { byteOrder: 'le', coreBits: 0, addressBits: 8 },
  ];
  fc.assert(
    fc.property(fc.constantFrom(...layouts), fc.integer({ min: 0, max: 0xffffffff }), (l, nonce) => {
      const f = nonceFields(nonce, l);
      // The driver's allocation-free split agrees with nonceFields.
      const s = nonceSplit(l);
      return composeNonce(f, l) === nonce && nonceAddressField(nonce, s) === f.addressField && nonceCore(nonce, s) === f.core;
    }),
    { numRuns: 3000 },
  );
  // 12 chips: interval 21; address field 0x2A (42) is chip 2; 0xFC (252) is past the chain.
  const n = composeNonce({ core: 5, addressField: 42, counter: 77 }, ESP_MINER_NONCE_LAYOUT);
  assert.equal(chipIndexOfNonce(n, ESP_MINER_NONCE_LAYOUT, 21, 12), 2);
  assert.equal(chipIndexOfNonce(composeNonce({ core: 0, addressField: 252, counter: 0 }, ESP_MINER_NONCE_LAYOUT), ESP_MINER_NONCE_LAYOUT, 21, 12), -1);
});
