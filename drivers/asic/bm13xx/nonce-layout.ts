/**
 * Where a chip puts its core id and chip address inside the nonces it returns (docs/bm13xx.md "Response
 * frames").
 *
 * ESP-Miner (production multi-chip Bitaxe boards) reads nonce bytes 2..5 big-endian ("nonce_be") and takes
 * core = nonce_be >> 25 (7 bits) and chip address = (nonce_be >> 17) & 0xFF; the chip index is
 * address / (256 / chip count). bm13xx-rs reads the same bytes little-endian instead. The sources disagree
 * (docs/bm13xx.md "Choices on disputed points"), so the layout is data: the default is ESP-Miner's, and the
 * simulator places its nonces with the same layout object the driver decodes with.
 *
 * The core field sits at the top of the 32-bit word, the address field right below it, and the rest is the
 * per-core counter.
 */
import { bswap32 } from '../../../src/work/sha256-engine.js';

export interface NonceLayout {
  /** How nonce bytes 2..5 are read to find the fields: 'be' (ESP-Miner, ntohl) or 'le' (bm13xx-rs). */
  byteOrder: 'be' | 'le';
  /** Width of the core-id field at the top of the word. */
  coreBits: number;
  /** Width of the chip-address field right below the core field. */
  addressBits: number;
}

/** ESP-Miner's convention: the default everywhere. */
export const ESP_MINER_NONCE_LAYOUT: NonceLayout = Object.freeze({ byteOrder: 'be', coreBits: 7, addressBits: 8 });

export interface NonceFields {
  core: number;
  /** The raw address field; the chip index is field / address interval. */
  addressField: number;
  /** The per-core counter (the low bits). */
  counter: number;
}

export function counterBits(l: NonceLayout): number {
  return 32 - l.coreBits - l.addressBits;
}

/** Splits a header nonce value (bytes 2..5 read little-endian) into its fields. */
export function nonceFields(nonce: number, l: NonceLayout): NonceFields {
  const w = l.byteOrder === 'be' ? bswap32(nonce) : nonce >>> 0;
  const low = counterBits(l);
  return {
    core: l.coreBits === 0 ? 0 : w >>> (32 - l.coreBits),
    addressField: (w >>> low) & ((1 << l.addressBits) - 1),
    counter: low >= 32 ? w : w & (2 ** low - 1),
  };
}

/** A layout as the shifts and masks that split a nonce (computed once; the driver splits every nonce). */
export interface NonceSplit {
  /** Bytes 2..5 read big-endian (ESP-Miner). */
  be: boolean;
  /** 32 - coreBits (the core field's shift), or 32 when there is no core field. */
  coreShift: number;
  addressShift: number;
  addressMask: number;
}

export function nonceSplit(l: NonceLayout): NonceSplit {
  return { be: l.byteOrder === 'be', coreShift: 32 - l.coreBits, addressShift: counterBits(l), addressMask: (1 << l.addressBits) - 1 };
}

/** The address field of a header nonce value (as nonceFields(nonce, l).addressField, without an object). */
export function nonceAddressField(nonce: number, s: NonceSplit): number {
  const w = s.be ? bswap32(nonce) : nonce >>> 0;
  return (w >>> s.addressShift) & s.addressMask;
}

/** The core field of a header nonce value (as nonceFields(nonce, l).core). */
export function nonceCore(nonce: number, s: NonceSplit): number {
  if (s.coreShift >= 32) return 0;
  const w = s.be ? bswap32(nonce) : nonce >>> 0;
  return w >>> s.coreShift;
}

/** Builds the header nonce value a chip returns for these fields (the simulator's placement). */
export function composeNonce(f: NonceFields, l: NonceLayout): number {
  const low = counterBits(l);
  const w =
    ((l.coreBits === 0 ? 0 : f.core * 2 ** (32 - l.coreBits)) + (f.addressField & ((1 << l.addressBits) - 1)) * 2 ** low + (f.counter % 2 ** low)) >>> 0;
  return l.byteOrder === 'be' ? bswap32(w) : w;
}

/** Chip index a nonce came from, or -1 when its address field lies outside the chain. */
export function chipIndexOfNonce(nonce: number, l: NonceLayout, addressInterval: number, chipCount: number): number {
  const f = nonceFields(nonce, l);
  const idx = Math.floor(f.addressField / addressInterval);
  return idx < chipCount ? idx : -1;
}

export function validateNonceLayout(l: NonceLayout): void {
  if (
    !Number.isInteger(l.coreBits) ||
    !Number.isInteger(l.addressBits) ||
    l.coreBits < 0 ||
    l.addressBits < 1 ||
    l.addressBits > 8 ||
    l.coreBits + l.addressBits > 24
  ) {
    throw new RangeError(`bad nonce layout: core ${l.coreBits} bits, address ${l.addressBits} bits`);
  }
}
