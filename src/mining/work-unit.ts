/**
 * Hops 3 and 5 of the share path (docs/architecture.md): the WorkUnit the scheduler's work generator
 * makes, and the NonceReport a chain returns for it.
 *
 * A WorkUnit is one header template for one chain, as header fields (never bytes: the chain driver
 * encodes its frame from the fields, the nonce check hashes them). The chips search the nonce range and,
 * where they can, roll the version bits in `rollMask` on top of `version` (in-chip rolling on
 * BM1366/68/70/62, or the four midstates of BM1397). Everything a returned nonce needs to be checked and
 * turned into a share is here, its Job (and so its target, version rule and upstream) included.
 */
import { writeU32LE } from '../work/bytes.js';
import { HEADER_BYTES, HeaderOffset } from '../work/header.js';
import type { Job } from '../upstream/job.js';

/** The header fields a chain needs to hash a unit (what the chain driver encodes). */
export interface UnitHeader {
  /** Header version with nonce-space bits of the work generator applied; the chips roll `rollMask` on top. */
  readonly version: number;
  /** Version bits the chips may change on top of `version` (a subset of the job's mask; 0 = none). */
  readonly rollMask: number;
  /** Internal byte order. */
  readonly prevHash: Uint8Array;
  /** Internal byte order. */
  readonly merkleRoot: Uint8Array;
  readonly ntime: number;
  readonly nbits: number;
}

export interface WorkUnit extends UnitHeader {
  /** Unique and increasing per agent run (not the chip job id, which the driver assigns). */
  readonly id: number;
  readonly job: Job;
  /** Index of the chain this unit was made for. */
  readonly chain: number;
  /** The rolled extranonce for coinbase work. */
  readonly extranonce?: Uint8Array;
  readonly createdAt: number;
}

/** A nonce a chain returned, resolved to the unit it was found for (hop 5). */
export interface NonceReport<U extends UnitHeader = WorkUnit> {
  unit: U;
  /** Full header version the chip hashed (rolled bits included). */
  version: number;
  nonce: number;
  /** Chip index on the chain (from the nonce's address bits), -1 when it lies outside the chain. */
  chip: number;
  /** Clock time the reply was parsed. */
  at: number;
  /**
   * Older units the chip job id named shortly before (newest first), with the version the nonce has for
   * each: when the nonce fails against `unit`, it may be a late nonce of one of these (issue 21 D5).
   */
  earlier?: { unit: U; version: number }[];
  /** Older units of the same id are no longer known (a job flood): a failure here is no hardware error. */
  historyCut?: boolean;
}

/** Writes the 80-byte header of `unit` with `version` and `nonce` into `out` (no allocation). */
export function writeUnitHeader(unit: UnitHeader, version: number, nonce: number, out: Uint8Array = new Uint8Array(HEADER_BYTES)): Uint8Array {
  writeU32LE(out, HeaderOffset.version, version);
  out.set(unit.prevHash, HeaderOffset.prevHash);
  out.set(unit.merkleRoot, HeaderOffset.merkleRoot);
  writeU32LE(out, HeaderOffset.ntime, unit.ntime);
  writeU32LE(out, HeaderOffset.nbits, unit.nbits);
  writeU32LE(out, HeaderOffset.nonce, nonce);
  return out;
}
