/**
 * BM1397 (S17/T17, Bitaxe Max): 168 cores × 4 small cores, midstate jobs with up to 4 midstates
 * (AsicBoost: versions +0..+3 along the mask), 9-byte replies (docs/bm13xx.md "Frames and registers").
 */
import type { ChipFamily, InitContext, InitStep } from '../family.js';
import { pllRegister, solvePll, type PllSpec } from '../pll.js';
import { Reg } from '../registers/addresses.js';
import { encodeMidstateWork } from '../work-encoding.js';
import { midstateReply, stepMod128 } from './common.js';

const pll: PllSpec = {
  // ESP-Miner: FBDIV 60..200, post dividers raw, top byte always 0x40 (components/asic/bm1397.c @5c27713116c7).
  fbMin: 60,
  fbMax: 200,
  postDivMinusOne: false,
  vcoHighFlagAtMhz: undefined,
};

export const BM1397: ChipFamily = {
  name: 'BM1397',
  chipId: 0x1397,
  // Reset value 0x13971800: CORE_NUM 0x18.
  coreNum: 0x18,
  cores: 168,
  smallCoresPerCore: 4,
  smallCores: 672,
  responseLength: 9,
  jobFormat: 'midstate',
  baudScheme: 'misc-control',
  pll,
  // Modelled, not captured: the solver's 50 MHz setting under the raw encoding.
  resetPll0: pllRegister(solvePll(50, pll), pll),
  resetFrequencyMhz: 50,
  defaultFrequencyMhz: 425,
  defaultFastBaud: 3_125_000,
  parallelVersions: 4,
  choices: {
    midstateIndex: 'b7 & 3 (ESP-Miner, verified by SHA-256 on the real-chip vector); bm13xx-rs reads b6',
    pllPostDividers: 'raw P1, P2 (ESP-Miner, cgminer); bm13xx-rs and the Saleae analyser decode with +1',
    jobIdStep: '+4 mod 128 (ESP-Miner, cgminer)',
    midstates: '4 midstates (versions +0..+3 along the mask) when the work has a mask, else 1 (56-byte frame)',
    frequencyWrite: '0x70 = 0x0F0F0F00 twice, then 0x08 twice, per ramp step, 10 ms before each and after (ESP-Miner, cgminer)',
  },
  nextJobId: (prev) => stepMod128(prev, 4),
  jobIdCycle: 32,
  encodeWork: (w, jobId) => encodeMidstateWork(w, jobId, 4),
  decodeNonceIds: midstateReply.decode,
  encodeNonceReply: midstateReply.encode,
  chipJobId: midstateReply.chipJobId,

  preEnumeration: (): InitStep[] => [],
  configure(ctx: InitContext): InitStep[] {
    return [
      { kind: 'delay', ms: 20 },
      { kind: 'chain-inactive', repeat: 1 },
      { kind: 'set-addresses' },
      { kind: 'write', register: Reg.clockOrderControl0, value: 0x00000000 },
      { kind: 'write', register: Reg.clockOrderControl1, value: 0x00000000 },
      { kind: 'write', register: Reg.orderedClockEnable, value: 0x00000001 },
      { kind: 'write', register: Reg.coreRegisterControl, value: 0x80008074 },
      { kind: 'write', register: Reg.ticketMask, value: ctx.ticketMask },
      { kind: 'write', register: Reg.pll3Parameter, value: 0xc0700111 },
      { kind: 'write', register: Reg.fastUart, value: 0x0600000f },
      { kind: 'write', register: Reg.miscControl, value: 0x00007a31 },
    ];
  },
  // 10 ms before each of the four writes and after the last (ESP-Miner components/asic/bm1397.c
  // BM1397_send_hash_frequency @5c27713116c7; cgminer driver-gekko.c calc_gsf_freq @d689d3a9057e).
  frequencyWriteGapMs: 10,
  frequencyWrites: (s) => {
    const div = { register: Reg.pll0Divider, value: 0x0f0f0f00 };
    const p = { register: Reg.pll0Parameter, value: pllRegister(s, pll) };
    return [div, div, p, p];
  },
  // No hash counting number and no 0xA4 on BM1397: version rolling is done by the host with midstates.
  finalize: (): InitStep[] => [],
};
