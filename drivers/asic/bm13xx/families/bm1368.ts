/**
 * BM1368 (S21, Bitaxe Supra): 80 cores × 16 small cores, full-header jobs, 11-byte replies with the job
 * id shifted left one bit, like BM1370 (docs/bm13xx.md "Frames and registers").
 */
import type { ChipFamily, InitContext, InitStep } from '../family.js';
import { pllRegister, type PllSpec } from '../pll.js';
import { Reg } from '../registers/addresses.js';
import { hashCountingNumber } from '../registers/hash-counting.js';
import { encodeFullHeaderWork } from '../work-encoding.js';
import { shiftedReply, stepMod128 } from './common.js';

const pll: PllSpec = {
  // ESP-Miner's FBDIV range (components/asic/bm1368.c BM1368_send_hash_frequency @5c27713116c7).
  fbMin: 144,
  fbMax: 235,
  postDivMinusOne: true,
  vcoHighFlagAtMhz: 2400,
};

const CORES = 80;

export const BM1368: ChipFamily = {
  name: 'BM1368',
  chipId: 0x1368,
  // ESP-Miner's comment: reg 0 reads `AA55 1368 0000 00 00 0000 0F`.
  coreNum: 0x00,
  cores: CORES,
  smallCoresPerCore: 16,
  smallCores: 1276,
  responseLength: 11,
  jobFormat: 'full-header',
  baudScheme: 'fast-uart-v2',
  pll,
  resetPll0: 0xc0540165,
  resetFrequencyMhz: 50,
  defaultFrequencyMhz: 490,
  // 0x28 = 0x11300200 gives 25 MHz / (8 · 3) = 1,041,667 baud (registers/baud.ts). ESP-Miner writes that
  // register (components/asic/bm1368.c BM1368_set_max_baud @5c27713116c7) and runs its host at 1,000,000,
  // 4 % off; the host here asks for the chips' own rate (0.17 % off on a 48 MHz PL011).
  defaultFastBaud: 1_041_667,
  parallelVersions: 65536,
  choices: {
    jobIdStep: '+24 mod 128 (ESP-Miner current and cgminer)',
    jobIdFromReply: '(b7 & 0xF0) >> 1, small core = b7 & 0x0F',
    jobLengthByte: '0x56 (ESP-Miner)',
    perChipPause: "500 ms after each chip's writes (ESP-Miner); chain timing can shorten it",
    hashCountingErratum: 'none (the 268 erratum is documented for BM1370 only)',
  },
  nextJobId: (prev) => stepMod128(prev, 24),
  jobIdCycle: 16,
  encodeWork: (w, jobId) => encodeFullHeaderWork(w, jobId),
  decodeNonceIds: shiftedReply.decode,
  encodeNonceReply: shiftedReply.encode,
  chipJobId: shiftedReply.chipJobId,

  preEnumeration(ctx: InitContext): InitStep[] {
    const a4: InitStep = { kind: 'write', register: Reg.versionRolling, value: ctx.versionRolling };
    return [a4, a4, a4, a4];
  },
  configure(ctx: InitContext): InitStep[] {
    return [
      { kind: 'chain-inactive', repeat: 1 },
      { kind: 'write', register: Reg.regA8, value: 0x00070000 },
      { kind: 'write', register: Reg.miscControl, value: 0xff0fc100 },
      { kind: 'write', register: Reg.coreRegisterControl, value: 0x80008b00 },
      { kind: 'write', register: Reg.coreRegisterControl, value: 0x80008018 },
      { kind: 'write', register: Reg.ticketMask, value: ctx.ticketMask },
      { kind: 'write', register: Reg.analogMux, value: 0x00000003 },
      { kind: 'write', register: Reg.ioDriverStrength, value: 0x02111111 },
      { kind: 'set-addresses' },
      {
        kind: 'per-chip',
        pauseMs: 500,
        writes: [
          { register: Reg.regA8, value: 0x000701f0 },
          { register: Reg.miscControl, value: 0xf000c100 },
          { register: Reg.coreRegisterControl, value: 0x80008b00 },
          { register: Reg.coreRegisterControl, value: 0x80008018 },
          { register: Reg.coreRegisterControl, value: 0x800082aa },
        ],
      },
      { kind: 'write', register: Reg.ticketMask, value: ctx.ticketMask },
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
