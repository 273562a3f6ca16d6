/**
 * BM1362 (S19j Pro+, GekkoScience R909). UNVERIFIED ON HARDWARE: the only source is cgminer's gekko
 * driver (kanoi/cgminer driver-gekko.c @d689d3a9057e, and one bm13xx-rs chip-id example), so this family
 * follows cgminer where it speaks: job length byte 0x36, one 0xA4 write after the frequency ramp and none
 * before enumeration, the chain left at 115200 (cgminer's 3 Mbaud write is commented out). The rest are
 * choices, named in `choices` and in docs/bm13xx.md: full-header jobs with in-chip rolling, 11-byte
 * replies, job id = b7 & 0xF8 (cgminer JOBID_1362), ids 0x10..0x78 stepping 8.
 */
import type { ChipFamily, InitContext, InitStep } from '../family.js';
import { pllRegister, type PllSpec } from '../pll.js';
import { Reg } from '../registers/addresses.js';
import { encodeFullHeaderWork } from '../work-encoding.js';
import { lowBitsReply } from './common.js';

const pll: PllSpec = {
  // [?] No ESP-Miner range for BM1362: BM1366's FBDIV range and ESP-Miner's rule.
  fbMin: 144,
  fbMax: 235,
  postDivMinusOne: true,
  vcoHighFlagAtMhz: 2400,
};

/** cgminer: min_job_id 0x10, add_job_id 8, max_job_id 0x78. */
const JOB_ID_MIN = 0x10;
const JOB_ID_MAX = 0x78;
const JOB_ID_STEP = 0x08;
/** cgminer's job LEN byte for BM1362 (task[1] = 0x36 in its task builder), where ESP-Miner's BM1366 sends 0x56. */
const JOB_LENGTH_BYTE = 0x36;
/** cgminer's fixed hash counting number for BM1362. */
const HCN_CGMINER = 0x000012c9;

export const BM1362: ChipFamily = {
  name: 'BM1362',
  chipId: 0x1362,
  // bm13xx-rs example reply AA55 1362 0300 ...: CORE_NUM 3.
  coreNum: 0x03,
  // [?] cgminer counts 512 "cores" for hashrate; split as 64 × 8 to match the 3-bit small-core field.
  cores: 64,
  smallCoresPerCore: 8,
  smallCores: 512,
  responseLength: 11,
  jobFormat: 'full-header',
  baudScheme: 'fast-uart-v2',
  pll,
  resetPll0: 0xc0540165,
  resetFrequencyMhz: 50,
  // cgminer's fall-back default for BM1362.
  defaultFrequencyMhz: 200,
  // cgminer leaves BM1362 chains at 115200 (its 0x28 = 0x11300000 "3M" write is commented out).
  defaultFastBaud: 115_200,
  parallelVersions: 65536,
  choices: {
    jobIdStep: '0x10..0x78 step 8 (cgminer)',
    jobIdFromReply: 'b7 & 0xF8, small core = b7 & 0x07 (cgminer JOBID_1362, like BM1366)',
    versionField: 'bytes 8..9 << 13 (as BM1366/70; cgminer shifts by 5 then applies its own scaling)',
    cores: '64 × 8 = 512 (cgminer counts 512)',
    pll: 'BM1366 FBDIV range 144..235 and -1 post dividers (no BM1362 source)',
    verified: 'no: cgminer is the only source; unverified on hardware',
    jobLengthByte: '0x36 (cgminer)',
    baud: 'left at 115200 (cgminer has its 0x28 = 0x11300000 "3M" write commented out); a configured fast_baud uses register 0x28 as BM1366',
    hashCountingNumber: '0x000012C9 fixed (cgminer)',
    versionRolling: '0xA4 written once, after the ramp and the hash counting number (cgminer init0)',
  },
  nextJobId: (prev) => (prev === undefined || prev + JOB_ID_STEP > JOB_ID_MAX ? JOB_ID_MIN : prev + JOB_ID_STEP),
  jobIdCycle: (JOB_ID_MAX - JOB_ID_MIN) / JOB_ID_STEP + 1,
  encodeWork: (w, jobId) => encodeFullHeaderWork(w, jobId, JOB_LENGTH_BYTE),
  decodeNonceIds: lowBitsReply.decode,
  encodeNonceReply: lowBitsReply.encode,
  chipJobId: lowBitsReply.chipJobId,

  // cgminer writes nothing before it addresses the chips.
  preEnumeration: (): InitStep[] => [],
  configure(ctx: InitContext): InitStep[] {
    // cgminer's BM1362 init (driver-gekko.c), gaps left to the chain's timing.
    return [
      { kind: 'chain-inactive', repeat: 1 },
      { kind: 'set-addresses' },
      { kind: 'write', register: Reg.coreRegisterControl, value: 0x80008540 },
      { kind: 'write', register: Reg.coreRegisterControl, value: 0x80008008 },
      { kind: 'write', register: Reg.ticketMask, value: ctx.ticketMask },
      { kind: 'write', register: Reg.analogMux, value: 0x00000003 },
      { kind: 'write', register: Reg.ioDriverStrength, value: 0x00011111 },
      {
        kind: 'per-chip',
        pauseMs: 0,
        writes: [
          { register: Reg.regA8, value: 0x00000002 },
          { register: Reg.miscControl, value: 0xb000c100 },
          { register: Reg.coreRegisterControl, value: 0x80008540 },
          { register: Reg.coreRegisterControl, value: 0x80008008 },
          { register: Reg.coreRegisterControl, value: 0x800082aa },
        ],
      },
    ];
  },
  frequencyWriteGapMs: 0,
  frequencyWrites: (s) => [
    // cgminer writes the PLL0 divider register before each frequency change.
    { register: Reg.pll0Divider, value: 0x0f0f0f00 },
    { register: Reg.pll0Parameter, value: pllRegister(s, pll) },
  ],
  finalize: (ctx) => [
    { kind: 'write', register: Reg.hashCountingNumber, value: HCN_CGMINER },
    { kind: 'write', register: Reg.versionRolling, value: ctx.versionRolling },
  ],
};
