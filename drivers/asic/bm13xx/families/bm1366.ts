/**
 * BM1366 (S19XP, S19k Pro, Bitaxe Ultra/Hex): 112 cores × 8 small cores, full-header jobs, 11-byte replies
 * with the small-core id in the low 3 bits of b7 (docs/bm13xx.md "Frames and registers").
 */
import type { ChipFamily, InitContext, InitStep } from '../family.js';
import { pllRegister, type PllSpec } from '../pll.js';
import { Reg } from '../registers/addresses.js';
import { hashCountingNumber } from '../registers/hash-counting.js';
import { encodeFullHeaderWork } from '../work-encoding.js';
import { lowBitsReply, stepMod128 } from './common.js';

const pll: PllSpec = {
  // ESP-Miner's FBDIV range (components/asic/bm1366.c BM1366_send_hash_frequency @5c27713116c7).
  fbMin: 144,
  fbMax: 235,
  postDivMinusOne: true,
  vcoHighFlagAtMhz: 2400,
};

const CORES = 112;

export const BM1366: ChipFamily = {
  name: 'BM1366',
  chipId: 0x1366,
  // bm13xx-rs reset value 0x13660000.
  coreNum: 0x00,
  cores: CORES,
  smallCoresPerCore: 8,
  smallCores: 894,
  responseLength: 11,
  jobFormat: 'full-header',
  baudScheme: 'fast-uart-v2',
  pll,
  resetPll0: 0xc0540165,
  resetFrequencyMhz: 50,
  defaultFrequencyMhz: 485,
  // 0x28 = 0x11300200 gives 25 MHz / (8 · 3) = 1,041,667 baud (registers/baud.ts). ESP-Miner writes that
  // register (components/asic/bm1366.c BM1366_set_max_baud @5c27713116c7) and runs its host at 1,000,000,
  // 4 % off; the host here asks for the chips' own rate (0.17 % off on a 48 MHz PL011).
  defaultFastBaud: 1_041_667,
  parallelVersions: 65536,
  choices: {
    jobIdStep: '+8 mod 128 (ESP-Miner)',
    jobIdFromReply: 'b7 & 0xF8, small core = b7 & 0x07',
    jobLengthByte: '0x56 (ESP-Miner)',
    hashCountingErratum: 'none',
  },
  nextJobId: (prev) => stepMod128(prev, 8),
  jobIdCycle: 16,
  encodeWork: (w, jobId) => encodeFullHeaderWork(w, jobId),
  decodeNonceIds: lowBitsReply.decode,
  encodeNonceReply: lowBitsReply.encode,
  chipJobId: lowBitsReply.chipJobId,

  preEnumeration(ctx: InitContext): InitStep[] {
    const a4: InitStep = { kind: 'write', register: Reg.versionRolling, value: ctx.versionRolling };
    return [a4, a4, a4];
  },
  configure(ctx: InitContext): InitStep[] {
    return [
      { kind: 'write', register: Reg.regA8, value: 0x00070000 },
      { kind: 'write', register: Reg.miscControl, value: 0xff0fc100 },
      { kind: 'chain-inactive', repeat: 1 },
      { kind: 'set-addresses' },
      { kind: 'write', register: Reg.coreRegisterControl, value: 0x80008540 },
      { kind: 'write', register: Reg.coreRegisterControl, value: 0x80008020 },
      { kind: 'write', register: Reg.ticketMask, value: ctx.ticketMask },
      { kind: 'write', register: Reg.analogMux, value: 0x00000003 },
      { kind: 'write', register: Reg.ioDriverStrength, value: 0x02111111 },
      // UART relay on chip 0 only on single-domain boards (ESP-Miner).
      { kind: 'write-first', register: Reg.uartRelay, value: 0x007c0003 },
      {
        kind: 'per-chip',
        pauseMs: 0,
        writes: [
          { register: Reg.regA8, value: 0x000701f0 },
          { register: Reg.miscControl, value: 0xf000c100 },
          { register: Reg.coreRegisterControl, value: 0x80008540 },
          { register: Reg.coreRegisterControl, value: 0x80008020 },
          { register: Reg.coreRegisterControl, value: 0x800082aa },
        ],
      },
    ];
  },
  frequencyWriteGapMs: 0,
  frequencyWrites: (s) => [{ register: Reg.pll0Parameter, value: pllRegister(s, pll) }],
  finalize: (ctx) => [
    {
      kind: 'write',
      register: Reg.hashCountingNumber,
      value: hashCountingNumber({ cores: CORES, chips: ctx.chipCount, frequencyMhz: ctx.frequencyMhz, erratum: 0 }),
    },
    { kind: 'write', register: Reg.versionRolling, value: ctx.versionRolling },
  ],
};
