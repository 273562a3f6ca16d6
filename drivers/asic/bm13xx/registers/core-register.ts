/**
 * Register 0x3C, core register control (docs/bm13xx.md "Registers"): indirect access to per-core registers.
 * Fields: bit 31 DO_CMD, CORE_ID[24:16], bit 15 RD#/WR (1 = write), CORE_REG_ID[11:8], CORE_REG_VAL[7:0].
 * Reads answer through register 0x40.
 */
export interface CoreRegisterCommand {
  doCmd: boolean;
  coreId: number;
  write: boolean;
  coreRegId: number;
  coreRegVal: number;
}

export function encodeCoreRegisterControl(c: CoreRegisterCommand): number {
  return ((c.doCmd ? 0x80000000 : 0) | ((c.coreId & 0x1ff) << 16) | (c.write ? 0x8000 : 0) | ((c.coreRegId & 0xf) << 8) | (c.coreRegVal & 0xff)) >>> 0;
}

export function decodeCoreRegisterControl(v: number): CoreRegisterCommand {
  return {
    doCmd: (v & 0x80000000) !== 0,
    coreId: (v >>> 16) & 0x1ff,
    write: (v & 0x8000) !== 0,
    coreRegId: (v >>> 8) & 0xf,
    coreRegVal: v & 0xff,
  };
}
