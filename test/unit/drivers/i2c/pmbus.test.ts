import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeLinear11,
  decodeUlinear16,
  encodeLinear11,
  encodeUlinear16,
  PmbusEncodingError,
  STATUS,
  STATUS_FAULT_MASK,
  statusWordNames,
  voutModeExponent,
} from '../../../../drivers/i2c/pmbus.js';

test('LINEAR11 decodes the published worked examples', () => {
  // LTC2978 datasheet, "PMBus command summary / data formats": READ_VIN = 0xD280 = 640 × 2^-6 = 10 V.
  assert.equal(decodeLinear11(0xd280), 10);
  // TI E2E thread on the UCD9244 (FAST_OC_FAULT_LIMIT script line "F7 40 D2", LSB first = 0xD240): 9.00 A.
  assert.equal(decodeLinear11(0xd240), 9);
  // Artesyn iHP manual: READ_TEMPERATURE (8Dh) returned 0xEAC0: N = -3, Y = 704 → 88 °C.
  assert.equal(decodeLinear11(0xeac0), 88);
  // Negative mantissa: Y = 0x7FF = -1, N = 0 → -1.
  assert.equal(decodeLinear11(0x07ff), -1);
  // Positive exponent: N = 1, Y = 1 → 2.
  assert.equal(decodeLinear11(0x0801), 2);
});

test('LINEAR11 encodes ESP-Miner limit values to words that decode back exactly', () => {
  // 25 A (IOUT_OC_WARN on 5 V boards): 800 × 2^-5 = 0xDB20, the word ESP-Miner's float_2_slinear11 produces.
  assert.equal(encodeLinear11(25), 0xdb20);
  assert.equal(decodeLinear11(encodeLinear11(145)), 145);
  assert.equal(decodeLinear11(encodeLinear11(650)), 650);
  // 4.8 is not a multiple of 2^-7: the nearest word is 614 × 2^-7 = 4.796875 (also what ESP-Miner writes).
  assert.equal(encodeLinear11(4.8), 0xca66);
  assert.equal(decodeLinear11(0xca66), 4.796875);
  assert.equal(decodeLinear11(encodeLinear11(0.25)), 0.25);
  assert.equal(decodeLinear11(encodeLinear11(-40)), -40);
  assert.throws(() => encodeLinear11(1024 * 2 ** 15), PmbusEncodingError);
  assert.throws(() => encodeLinear11(Number.NaN), PmbusEncodingError);
});

test('LINEAR11 round trip stays within half a step of the chosen exponent (property)', () => {
  fc.assert(
    fc.property(fc.double({ min: -1000, max: 1000, noNaN: true }), (v) => {
      const raw = encodeLinear11(v);
      assert.ok(raw >= 0 && raw <= 0xffff);
      const n = (raw >> 11) & 0x10 ? ((raw >> 11) & 0x1f) - 32 : (raw >> 11) & 0x1f;
      const back = decodeLinear11(raw);
      assert.ok(Math.abs(back - v) <= 2 ** n / 2 + 1e-12, `${v} -> ${raw.toString(16)} -> ${back}`);
    }),
    { numRuns: 20_000 },
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), (raw) => {
      // Every word decodes, and re-encoding its value gives a word with the same value.
      const v = decodeLinear11(raw);
      assert.equal(decodeLinear11(encodeLinear11(v)), v);
    }),
    { numRuns: 65_536 },
  );
});

test('ULINEAR16 follows VOUT_MODE', () => {
  // LTC2978 datasheet: VOUT_MODE exponent -13, VOUT_COMMAND 0x9800 = 38912 × 2^-13 = 4.75 V.
  assert.equal(decodeUlinear16(0x9800, 0x13), 4.75);
  assert.equal(encodeUlinear16(4.75, 0x13), 0x9800);
  // TPS546: exponent -9 (1/512 V); 1.2 V → 614.4 → 614 = 0x0266.
  assert.equal(voutModeExponent(0x97), -9);
  assert.equal(encodeUlinear16(1.2, 0x97), 0x0266);
  assert.equal(decodeUlinear16(0x0266, 0x97), 614 / 512);
  assert.throws(() => voutModeExponent(0x40), PmbusEncodingError); // VID mode, not linear
  assert.throws(() => encodeUlinear16(200, 0x17), PmbusEncodingError);
  assert.throws(() => encodeUlinear16(-1, 0x17), PmbusEncodingError);
});

test('STATUS_WORD names and fault mask', () => {
  assert.deepEqual(statusWordNames(STATUS.IOUT_POUT | STATUS.IOUT_OC_FAULT | STATUS.OFF), ['IOUT/POUT', 'OFF', 'IOUT_OC_FAULT']);
  assert.equal(STATUS.OFF & STATUS_FAULT_MASK, 0, 'OFF alone is not a fault');
  assert.notEqual(STATUS.TEMPERATURE & STATUS_FAULT_MASK, 0);
  assert.deepEqual(statusWordNames(0), []);
});
