// The table-driven CRC5 against the definition bit by bit (poly x^5+x^2+1, init 0x1F, MSB first), for
// every bit count a frame can have; the recorded frames in vectors.commands-responses.test.ts pin it to
// real chips.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { crc5, crc5Bits, crc16CcittFalse } from '../../../../../drivers/asic/bm13xx/crc.js';

function crc5Reference(data: Uint8Array, bitCount: number, offset: number): number {
  let crc = 0x1f;
  for (let i = 0; i < bitCount; i++) {
    const bit = ((data[offset + (i >>> 3)] as number) >>> (7 - (i & 7))) & 1;
    const fb = ((crc >>> 4) ^ bit) & 1;
    crc = (((crc << 1) | fb) ^ (fb << 2)) & 0x1f;
  }
  return crc;
}

test('crc5Bits equals the bitwise definition for any length, offset and bit count', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), fc.nat(), (data, o, n) => {
      const offset = o % data.length;
      const bits = n % ((data.length - offset) * 8 + 1);
      assert.equal(crc5Bits(data, bits, offset), crc5Reference(data, bits, offset));
    }),
    { numRuns: 5000 },
  );
});

test('known values: a BM13xx read-chip-id command and the CRC-16 check value', () => {
  // 55 AA | 52 05 00 00 | 0A: the broadcast read of register 0 (docs/bm13xx.md "Command frames").
  assert.equal(crc5(Uint8Array.of(0x52, 0x05, 0x00, 0x00)), 0x0a);
  assert.equal(crc16CcittFalse(new TextEncoder().encode('123456789')), 0x29b1);
});
