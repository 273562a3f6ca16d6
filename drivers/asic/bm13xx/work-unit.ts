/**
 * What the mining pipeline hands a chain (WorkUnit) and what comes back for every nonce (NonceReport).
 * `headerOfReport` rebuilds the exact 80-byte header a nonce was found for, so that the agent (and the
 * tests) can verify it with MiningHasher.
 */
import { writeU32LE, readU32LE } from '../../../src/work/bytes.js';
import { HEADER_BYTES, HeaderOffset } from '../../../src/work/header.js';

export interface WorkUnit {
  /** 80-byte header template: version, prev hash, merkle root, ntime, nbits; the nonce bytes are ignored. */
  header: Uint8Array;
  /** Header version bits the chips may roll (BIP320 0x1FFFE000 or a subset); 0 = no rolling. */
  versionMask: number;
}

export interface NonceReport<W extends WorkUnit = WorkUnit> {
  /** The work unit the chip was working on (the driver's ring lookup by job id). */
  work: W;
  /** Chip job id (as sent in the job frame). */
  jobId: number;
  /** Full header version, rolled bits included. */
  version: number;
  /** The rolled bits alone: version XOR the template's version. */
  versionBits: number;
  ntime: number;
  /** Header nonce value (the 4 nonce bytes of the frame read little-endian). */
  nonce: number;
  /** Chip index from the nonce's address field, or -1 when it lies outside the chain. */
  chipIndex: number;
  /** The raw address field of the nonce. */
  chipAddress: number;
  core: number;
  /** Small core (BM1362/66: 3 bits, BM1368/70: 4 bits); undefined on BM1397. */
  smallCore: number | undefined;
  /** BM1397 midstate slot (0..3); 0 on full-header families. */
  midstateIndex: number;
  /** The raw reply frame. */
  frame: Uint8Array;
  /** Clock time (ms) the frame was parsed. */
  receivedAt: number;
  /** The unit's generation: the driver's count of units sent (chip job ids repeat, generations do not). */
  generation: number;
  /**
   * Older units that held the same chip job id shortly before (newest first), with the version the nonce
   * would have for each: a nonce that fails verification against `work` may be a late one of these
   * (issue 21 D5). Absent when the id was not reused recently.
   */
  earlier?: EarlierUnit<W>[];
  /**
   * Units held this chip job id within the late window that are older than `earlier` goes back (a
   * flood of jobs): a nonce matching none of the units above may belong to one of those, so its failure
   * proves nothing about the chip.
   */
  historyCut?: boolean;
}

export interface EarlierUnit<W extends WorkUnit = WorkUnit> {
  work: W;
  generation: number;
  version: number;
  versionBits: number;
  ntime: number;
}

export class WorkUnitError extends Error {
  override readonly name = 'WorkUnitError';
}

export function checkWorkUnit(w: WorkUnit): void {
  if (!(w.header instanceof Uint8Array) || w.header.length !== HEADER_BYTES) throw new WorkUnitError(`work header must be ${HEADER_BYTES} bytes`);
  if (!Number.isInteger(w.versionMask) || w.versionMask < 0 || w.versionMask > 0xffffffff) throw new WorkUnitError('version mask must be a uint32');
}

export const templateVersion = (w: WorkUnit): number => readU32LE(w.header, HeaderOffset.version);
export const templateNtime = (w: WorkUnit): number => readU32LE(w.header, HeaderOffset.ntime);

/** The 80-byte header a nonce report was found for: template + rolled version + nonce. */
export function headerOfReport(r: Pick<NonceReport, 'work' | 'version' | 'ntime' | 'nonce'>): Uint8Array {
  const h = r.work.header.slice(0, HEADER_BYTES);
  writeU32LE(h, HeaderOffset.version, r.version);
  writeU32LE(h, HeaderOffset.ntime, r.ntime);
  writeU32LE(h, HeaderOffset.nonce, r.nonce);
  return h;
}
