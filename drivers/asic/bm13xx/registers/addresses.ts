/**
 * Register addresses of the BM13xx chips (docs/bm13xx.md "Registers"; BM1397 names from skot's register
 * notes, which mostly carry over to later chips). All registers are 32-bit and sent big-endian.
 */
export const Reg = {
  chipId: 0x00,
  hashRate: 0x04,
  pll0Parameter: 0x08,
  chipNonceOffset: 0x0c,
  hashCountingNumber: 0x10,
  ticketMask: 0x14,
  miscControl: 0x18,
  i2cControl: 0x1c,
  orderedClockEnable: 0x20,
  fastUart: 0x28,
  uartRelay: 0x2c,
  ticketMask2: 0x38,
  coreRegisterControl: 0x3c,
  coreRegisterValue: 0x40,
  externalTempSensor: 0x44,
  errorFlag: 0x48,
  nonceErrorCounter: 0x4c,
  nonceOverflowCounter: 0x50,
  analogMux: 0x54,
  ioDriverStrength: 0x58,
  timeout: 0x5c,
  pll1Parameter: 0x60,
  pll2Parameter: 0x64,
  pll3Parameter: 0x68,
  pll0Divider: 0x70,
  pll1Divider: 0x74,
  pll2Divider: 0x78,
  pll3Divider: 0x7c,
  clockOrderControl0: 0x80,
  clockOrderControl1: 0x84,
  /** BM1366+: per-domain hash counters 0x88..0x8B, total at 0x8C (ESP-Miner); BM1397: clock order status. */
  domainHashCounter0: 0x88,
  totalHashCounter: 0x8c,
  nonceReturnedTimeout: 0x9c,
  versionRolling: 0xa4,
  /** BM1366+, undocumented: written 0x00070000 broadcast then 0x000701F0 per chip (ESP-Miner). */
  regA8: 0xa8,
  /** BM1370, undocumented: written 0x00004480 (ESP-Miner). */
  regB9: 0xb9,
} as const;

const NAMES = new Map<number, string>(Object.entries(Reg).map(([k, v]) => [v, k]));

/** A register's name for logs and the protocol analyser ("reg_0xNN" when unknown). */
export function registerName(reg: number): string {
  return NAMES.get(reg) ?? `reg_0x${reg.toString(16).padStart(2, '0')}`;
}
