/**
 * The two CRCs of the BM13xx UART protocol (docs/bm13xx.md "Command frames" and docs/bm13xx.md "Job frames").
 *
 * - CRC5 (poly x^5+x^2+1, init 0x1F, MSB first, no reflection, no final XOR) protects command frames
 *   (over HDR..payload, sent as the whole last byte) and response frames (over every bit from byte 2 up to
 *   and including the 3 top bits of the last byte; the low 5 bits of the last byte carry it).
 * - CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xorout) protects job frames, computed
 *   over HDR..payload and appended big-endian.
 */

/**
 * CRC5 one byte at a time: entry [crc << 8 | byte] is the register after shifting the byte's 8 bits
 * through it (the same recurrence as the bit loop below, tabulated: 32 × 256 entries).
 */
const CRC5_TABLE = (() => {
  const t = new Uint8Array(32 * 256);
  for (let c = 0; c < 32; c++) {
    for (let b = 0; b < 256; b++) {
      let crc = c;
      for (let k = 7; k >= 0; k--) {
        const fb = ((crc >>> 4) ^ (b >>> k)) & 1;
        crc = (((crc << 1) | fb) ^ (fb << 2)) & 0x1f;
      }
      t[(c << 8) | b] = crc;
    }
  }
  return t;
})();

/** CRC5 over the first `bitCount` bits of `data` (MSB first), starting at `offset`. */
export function crc5Bits(data: Uint8Array, bitCount: number, offset = 0): number {
  let crc = 0x1f;
  // Whole bytes through the table (this runs for every frame a chain returns), then the odd bits.
  const whole = bitCount >>> 3;
  for (let j = 0; j < whole; j++) crc = CRC5_TABLE[(crc << 8) | (data[offset + j] as number)] as number;
  for (let i = whole * 8; i < bitCount; i++) {
    const byte = data[offset + (i >>> 3)] as number;
    const bit = (byte >>> (7 - (i & 7))) & 1;
    const fb = ((crc >>> 4) ^ bit) & 1;
    // Shift left, feed back into bit 0 and toggle bit 2 (the x^2 term).
    crc = (((crc << 1) | fb) ^ (fb << 2)) & 0x1f;
  }
  return crc;
}

/** CRC5 over whole bytes `data[start, end)`. */
export function crc5(data: Uint8Array, start = 0, end = data.length): number {
  return crc5Bits(data, (end - start) * 8, start);
}

/** Precomputed table for CRC-16/CCITT-FALSE, one byte at a time. */
const CRC16_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/** CRC-16/CCITT-FALSE over `data[start, end)`. "123456789" gives 0x29B1. */
export function crc16CcittFalse(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >>> 8) ^ (data[i] as number)) & 0xff] as number);
  return crc;
}
