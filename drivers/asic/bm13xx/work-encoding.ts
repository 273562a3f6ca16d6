/**
 * Turning a unit's header fields (src/mining/work-unit.ts) into the two job-frame formats (job-frame.ts)
 * and knowing which header version each returned nonce was hashed with (docs/bm13xx.md "Driver API (for the agent)").
 *
 * - Midstate format (BM1397): up to 4 midstates, one per version; slot k holds the version k steps after
 *   the unit's along its roll mask (ESP-Miner's increment_bitmask, re-derived in
 *   src/work/version-rolling.ts). Without a mask, one midstate (a 56-byte frame).
 * - Full-header format (BM1362/66/68/70): the header fields themselves; the chip rolls the version under
 *   register 0xA4 and returns the rolled bits with each nonce.
 */
import type { UnitHeader } from '../../../src/mining/work-unit.js';
import { midstate } from '../../../src/work/sha256-engine.js';
import { incrementVersion } from '../../../src/work/version-rolling.js';
import { writeU32LE, readU32LE } from '../../../src/work/bytes.js';
import { encodeFullHeaderJob, encodeMidstateJob } from './job-frame.js';
import { CHIP_ROLLABLE_MASK } from './registers/version-mask.js';

export interface EncodedWork {
  frame: Uint8Array;
  /** Midstate format: header version of each midstate slot. Full-header: [unit version]. */
  slotVersions: number[];
  /** Mask the chip itself rolls under (full-header format), 0 for midstate jobs. */
  chipRollMask: number;
}

export class WorkUnitError extends Error {
  override readonly name = 'WorkUnitError';
}

export function checkUnitHeader(w: UnitHeader): void {
  if (!(w.prevHash instanceof Uint8Array) || w.prevHash.length !== 32) throw new WorkUnitError('prev hash must be 32 bytes');
  if (!(w.merkleRoot instanceof Uint8Array) || w.merkleRoot.length !== 32) throw new WorkUnitError('merkle root must be 32 bytes');
  if (!Number.isInteger(w.rollMask) || w.rollMask < 0 || w.rollMask > 0xffffffff) throw new WorkUnitError('roll mask must be a uint32');
}

export function encodeMidstateWork(w: UnitHeader, jobId: number, maxMidstates = 4): EncodedWork {
  checkUnitHeader(w);
  const n = w.rollMask === 0 ? 1 : maxMidstates;
  const versions: number[] = [];
  const mids: Uint32Array[] = [];
  // The first header block: version, prev hash, merkle root bytes 0..27.
  const block = new Uint8Array(64);
  block.set(w.prevHash, 4);
  block.set(w.merkleRoot.subarray(0, 28), 36);
  for (let k = 0; k < n; k++) {
    const v = k === 0 ? w.version : incrementVersion(w.version, w.rollMask, k);
    versions.push(v);
    writeU32LE(block, 0, v);
    mids.push(midstate(block));
  }
  const frame = encodeMidstateJob({ jobId, startingNonce: 0, nbits: w.nbits, ntime: w.ntime, merkleTail: w.merkleRoot.slice(28, 32), midstates: mids });
  return { frame, slotVersions: versions, chipRollMask: 0 };
}

export function encodeFullHeaderWork(w: UnitHeader, jobId: number, lengthByte?: number): EncodedWork {
  checkUnitHeader(w);
  const frame = encodeFullHeaderJob(
    { jobId, startingNonce: 0, nbits: w.nbits, ntime: w.ntime, merkleRoot: w.merkleRoot, prevHash: w.prevHash, version: w.version },
    lengthByte === undefined ? {} : { lengthByte },
  );
  return { frame, slotVersions: [w.version], chipRollMask: w.rollMask & CHIP_ROLLABLE_MASK };
}

/** A unit's header fields from an 80-byte header (tests, captures): the inverse of writeUnitHeader. */
export function unitHeaderOf(header: Uint8Array, rollMask: number): UnitHeader {
  return {
    version: readU32LE(header, 0),
    rollMask,
    prevHash: header.slice(4, 36),
    merkleRoot: header.slice(36, 68),
    ntime: readU32LE(header, 68),
    nbits: readU32LE(header, 72),
  };
}
