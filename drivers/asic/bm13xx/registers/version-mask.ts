/**
 * Register 0xA4, version rolling (docs/bm13xx.md "Registers"): 0x9000_0000 | (mask >> 13).
 * Bit 31 is MID_AUTO_GEN (full-header job format), bits 30..28 = 001, bits 15..0 the rolled header bits
 * 28..13. The BIP320 mask 0x1FFFE000 gives 0x9000FFFF. Bits of a pool mask below bit 13 (BIP323) cannot be
 * rolled by the chip and are dropped.
 */
export const VERSION_ROLLING_ENABLE = 0x90000000;
/** Header version bits a BM13xx can roll: 28..13. */
export const CHIP_ROLLABLE_MASK = 0x1fffe000;

export function versionRollingRegister(mask: number): number {
  return (VERSION_ROLLING_ENABLE | (((mask & CHIP_ROLLABLE_MASK) >>> 13) & 0xffff)) >>> 0;
}

/** The header-version mask a chip rolls under, from its 0xA4 value (0 when rolling is off). */
export function versionMaskFromRegister(value: number): number {
  if ((value & 0x80000000) === 0) return 0;
  return ((value & 0xffff) << 13) >>> 0;
}
