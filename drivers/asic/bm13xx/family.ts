/**
 * A BM13xx chip family as data plus small encoders (one file per family in families/), and the registry.
 *
 * Everything that differs between families lives behind this interface: reply length, job format, job-id
 * stepping and how the chip hands the id back, PLL encoding, baud registers, the init sequence, and the
 * choices made where sources disagree (each family's `choices`, shown by docs/bm13xx.md).
 */
import { BM1397 } from './families/bm1397.js';
import { BM1362 } from './families/bm1362.js';
import { BM1366 } from './families/bm1366.js';
import { BM1368 } from './families/bm1368.js';
import { BM1370 } from './families/bm1370.js';
import type { EncodedWork } from './work-encoding.js';
import type { JobFormat } from './job-frame.js';
import type { PllSpec, PllSetting } from './pll.js';
import type { BaudScheme } from './registers/baud.js';
import type { RawResponse, ResponseLength } from './response-frame.js';
import type { UnitHeader } from '../../../src/mining/work-unit.js';

export type FamilyName = 'BM1397' | 'BM1362' | 'BM1366' | 'BM1368' | 'BM1370';

/** What a family reads out of a nonce reply (besides the nonce itself, which every family reads the same). */
export interface NonceIds {
  /** The job id as the host sent it. */
  jobId: number;
  /** BM1397: midstate slot; 0 elsewhere. */
  midstateIndex: number;
  smallCore: number | undefined;
  /** Rolled header-version bits (already shifted to bits 28..13); 0 on BM1397. */
  versionBits: number;
}

/** What a chip puts in a nonce reply (the simulator's side of NonceIds). */
export interface NonceReplyFields extends NonceIds {
  /** Header nonce value. */
  nonce: number;
  /** Byte 6 (ESP-Miner calls it midstate_num; its meaning on BM1366+ is unknown). */
  b6: number;
}

/** One step of a family's bring-up sequence, run by chain.ts. */
export type InitStep =
  /** Broadcast write. */
  | { kind: 'write'; register: number; value: number }
  /** Write to the first chip only. */
  | { kind: 'write-first'; register: number; value: number }
  /** For each chip in turn: these writes to its address, then `pauseMs` (chain timing may override it). */
  | { kind: 'per-chip'; writes: RegisterWrite[]; pauseMs: number }
  | { kind: 'chain-inactive'; repeat: number }
  | { kind: 'set-addresses' }
  | { kind: 'delay'; ms: number };

export interface RegisterWrite {
  register: number;
  value: number;
}

export interface InitContext {
  chipCount: number;
  /** Register 0x14 value. */
  ticketMask: number;
  /** Register 0xA4 value. */
  versionRolling: number;
}

export interface ChipFamily {
  readonly name: FamilyName;
  /** CHIP_ID in register 0x00 bits 31..16. */
  readonly chipId: number;
  /** CORE_NUM byte of register 0x00 after reset. */
  readonly coreNum: number;
  /** Big cores; the core-id field of a nonce counts these. */
  readonly cores: number;
  readonly smallCoresPerCore: number;
  /** Small cores as ESP-Miner counts them for the expected hashrate (f · smallCores per chip, in MH/s). */
  readonly smallCores: number;
  readonly responseLength: ResponseLength;
  readonly jobFormat: JobFormat;
  readonly baudScheme: BaudScheme;
  readonly pll: PllSpec;
  /** PLL0 value after reset (what register 0x08 reads before the host writes it). */
  readonly resetPll0: number;
  /** Frequency the ramp starts from (ESP-Miner assumes 50 MHz). */
  readonly resetFrequencyMhz: number;
  readonly defaultFrequencyMhz: number;
  readonly defaultFastBaud: number;
  /** Versions the chip hashes per job at once (BM1397: 4 midstates; full-header: 65536 via 0xA4). */
  readonly parallelVersions: number;
  /** Named choices on disputed points (docs/bm13xx.md "Choices on disputed points"), for logs. */
  readonly choices: Readonly<Record<string, string>>;

  /** The id after `prev` (undefined = first job after bring-up). */
  nextJobId(prev: number | undefined): number;
  /** How many distinct ids the stepping visits before repeating. */
  readonly jobIdCycle: number;
  /** Encodes a work unit as this family's job frame. */
  encodeWork(w: UnitHeader, jobId: number): EncodedWork;
  /** Job id, midstate/small core and rolled bits from a nonce reply. */
  decodeNonceIds(r: RawResponse): NonceIds;
  /** The reply frame a chip of this family sends for a nonce (used by the simulator). */
  encodeNonceReply(f: NonceReplyFields): Uint8Array;
  /** What the chip stores as the job id when it receives `jobIdByte` (the bits it can hand back). */
  chipJobId(jobIdByte: number): number;

  /** Writes sent before the enumeration read. */
  preEnumeration(ctx: InitContext): InitStep[];
  /** Writes from enumeration up to the frequency ramp (addressing included). */
  configure(ctx: InitContext): InitStep[];
  /** Writes for one ramp step to `setting`. */
  frequencyWrites(setting: PllSetting): RegisterWrite[];
  /** Pause before each frequency write and after the last one, ms (BM1397: 10; 0 = none). */
  readonly frequencyWriteGapMs: number;
  /** Writes after the ramp (hash counting number, version rolling). */
  finalize(ctx: InitContext & { frequencyMhz: number }): InitStep[];
}

export const FAMILIES: Readonly<Record<FamilyName, ChipFamily>> = Object.freeze({ BM1397, BM1362, BM1366, BM1368, BM1370 });

export class UnknownFamilyError extends Error {
  override readonly name = 'UnknownFamilyError';
}

/** Looks a family up by name, case-insensitive ('bm1370', 'BM1370', '1370'). */
export function familyByName(name: string): ChipFamily {
  const key = name
    .trim()
    .toUpperCase()
    .replace(/^(?!BM)/, 'BM');
  const f = (FAMILIES as Record<string, ChipFamily | undefined>)[key];
  if (!f) throw new UnknownFamilyError(`unknown chip family '${name}' (known: ${Object.keys(FAMILIES).join(', ')})`);
  return f;
}

export function familyByChipId(chipId: number): ChipFamily | undefined {
  return Object.values(FAMILIES).find((f) => f.chipId === chipId);
}
