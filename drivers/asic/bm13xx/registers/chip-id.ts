/**
 * Register 0x00, ChipIdentification (docs/bm13xx.md "Registers"): bits 31..16 CHIP_ID, 15..8 CORE_NUM,
 * 7..0 ADDR. Every chip answers the broadcast read of this register during enumeration.
 */
export interface ChipIdentification {
  chipId: number;
  coreNum: number;
  address: number;
}

export function decodeChipId(value: number): ChipIdentification {
  return { chipId: (value >>> 16) & 0xffff, coreNum: (value >>> 8) & 0xff, address: value & 0xff };
}

export function encodeChipId(c: ChipIdentification): number {
  return (((c.chipId & 0xffff) << 16) | ((c.coreNum & 0xff) << 8) | (c.address & 0xff)) >>> 0;
}
