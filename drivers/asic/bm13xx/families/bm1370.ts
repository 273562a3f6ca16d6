/**
 * BM1370 (S21 Pro, Bitaxe Gamma): 128 cores × 16 small cores, full-header jobs with in-chip version
 * rolling, 11-byte replies with the job id shifted left one bit (docs/bm13xx.md "Frames and registers").
 */
import type { ChipFamily, InitContext, InitStep } from '../family.js';
import { pllRegister, type PllSpec } from '../pll.js';
import { Reg } from '../registers/addresses.js';
import { hashCountingNumber } from '../registers/hash-counting.js';
import { encodeFullHeaderWork } from '../work-encoding.js';
import { shiftedReply, stepMod128 } from './common.js';

const pll: PllSpec = {
  // ESP-Miner's FBDIV range for BM1370 (components/asic/bm1370.c BM1370_send_hash_frequency @5c27713116c7).
  fbMin: 160,
  fbMax: 239,
  postDivMinusOne: true,
  vcoHighFlagAtMhz: 2400,
};

const CORES = 128;

export const BM1370: ChipFamily = {
  name: 'BM1370',
  chipId: 0x1370,
  // Register 0x00 reads 0x13700000 (mujina capture `AA 55 13 70 00 00 00 00 00 00 10`).
  coreNum: 0x00,
  cores: CORES,
  smallCoresPerCore: 16,
  smallCores: 2040,
  responseLength: 11,
  jobFormat: 'full-header',
  baudScheme: 'fast-uart-v2',
  pll,
  // bm13xx-rs BM1366 reset value (50 MHz); assumed the same on BM1370.
  resetPll0: 0xc0540165,
  resetFrequencyMhz: 50,
  defaultFrequencyMhz: 525,
  // 0x28 = 0x11300200 gives 25 MHz / (8 · 3) = 1,041,667 baud (registers/baud.ts). ESP-Miner writes that
  // register (components/asic/bm1370.c BM1370_set_max_baud @5c27713116c7) and runs its host at 1,000,000,
  // 4 % off; the host here asks for the chips' own rate (0.17 % off on a 48 MHz PL011).
  defaultFastBaud: 1_041_667,
  parallelVersions: 65536,
  choices: {
    jobIdStep: '+24 mod 128 (ESP-Miner current and cgminer); older ESP-Miner used +8',
    jobIdFromReply: '(b7 & 0xF0) >> 1, small core = b7 & 0x0F (ESP-Miner, cgminer; not bm13xx-rs 16-bit chunk)',
    jobLengthByte: '0x56, the true length (ESP-Miner); bm13xx-rs sends 0x36, cgminer 0xFF',
    coreRegister3C: '0x8000800C (S21 Pro dump, ESP-Miner); the S21 dump used 0x80008018',
    hashCountingErratum: '268 = 2 × 134 (ESP-Miner)',
  },
  nextJobId: (prev) => stepMod128(prev, 24),
  jobIdCycle: 16,
  encodeWork: (w, jobId) => encodeFullHeaderWork(w, jobId),
  decodeNonceIds: shiftedReply.decode,
  encodeNonceReply: shiftedReply.encode,
  chipJobId: shiftedReply.chipJobId,

  preEnumeration(ctx: InitContext): InitStep[] {
    const a4: InitStep = { kind: 'write', register: Reg.versionRolling, value: ctx.versionRolling };
    return [a4, a4, a4];
  },
  configure(ctx: InitContext): InitStep[] {
    return [
      { kind: 'write', register: Reg.versionRolling, value: ctx.versionRolling },
      { kind: 'write', register: Reg.regA8, value: 0x00070000 },
      { kind: 'write', register: Reg.miscControl, value: 0xf000c100 },
      { kind: 'chain-inactive', repeat: 1 },
      { kind: 'set-addresses' },
      { kind: 'write', register: Reg.coreRegisterControl, value: 0x80008b00 },
      { kind: 'write', register: Reg.coreRegisterControl, value: 0x8000800c },
      { kind: 'write', register: Reg.ticketMask, value: ctx.ticketMask },
      { kind: 'write', register: Reg.ioDriverStrength, value: 0x00011111 },
      {
        kind: 'per-chip',
        pauseMs: 0,
        writes: [
          { register: Reg.regA8, value: 0x000701f0 },
          { register: Reg.miscControl, value: 0xf000c100 },
          { register: Reg.coreRegisterControl, value: 0x80008b00 },
          { register: Reg.coreRegisterControl, value: 0x8000800c },
          { register: Reg.coreRegisterControl, value: 0x800082aa },
        ],
      },
      { kind: 'write', register: Reg.regB9, value: 0x00004480 },
      // Analog mux: 2 on BM1370 (3 on BM1366/68).
      { kind: 'write', register: Reg.analogMux, value: 0x00000002 },
      { kind: 'write', register: Reg.regB9, value: 0x00004480 },
      { kind: 'write', register: Reg.coreRegisterControl, value: 0x80008dee },
    ];
  },
  frequencyWriteGapMs: 0,
  frequencyWrites: (s) => [{ register: Reg.pll0Parameter, value: pllRegister(s, pll) }],
  finalize: (ctx) => [
    {
      kind: 'write',
      register: Reg.hashCountingNumber,
      value: hashCountingNumber({ cores: CORES, chips: ctx.chipCount, frequencyMhz: ctx.frequencyMhz, erratum: 268 }),
    },
    { kind: 'write', register: Reg.versionRolling, value: ctx.versionRolling },
  ],
};
