/**
 * Turning a WorkUnit into the two job-frame formats (job-frame.ts) and knowing which header version each
 * returned nonce was hashed with.
 *
 * - Midstate format (BM1397, docs/bm13xx.md "Job frames"): up to 4 midstates, one per version; slot k holds
 * the   version k steps after the template's along the version mask (ESP-Miner's increment_bitmask,
 * re-derived   in src/work/version-rolling.ts). Without a mask, one midstate (a 56-byte frame).
 * - Full-header format (BM1362/66/68/70): the header itself; the chip rolls the version under register
 *   0xA4 and returns the rolled bits with each nonce.
 */
import { readU32LE } from '../../../src/work/bytes.js';
import { HeaderOffset } from '../../../src/work/header.js';
import { midstate } from '../../../src/work/sha256-engine.js';
import { incrementVersion } from '../../../src/work/version-rolling.js';
import { writeU32LE } from '../../../src/work/bytes.js';
import { encodeFullHeaderJob, encodeMidstateJob } from './job-frame.js';
import { CHIP_ROLLABLE_MASK } from './registers/version-mask.js';
import { checkWorkUnit, type WorkUnit } from './work-unit.js';

export interface EncodedWork {
  frame: Uint8Array;
  /** Midstate format: header version of each midstate slot. Full-header: [template version]. */
  slotVersions: number[];
  /** Mask the chip itself rolls under (full-header format), 0 for midstate jobs. */
  chipRollMask: number;
}

export function encodeMidstateWork(w: WorkUnit, jobId: number, maxMidstates = 4): EncodedWork {
  checkWorkUnit(w);
  const h = w.header;
  const v0 = readU32LE(h, HeaderOffset.version);
  const n = w.versionMask === 0 ? 1 : maxMidstates;
  const versions: number[] = [];
  const mids: Uint32Array[] = [];
  const tmp = h.slice(0, 64);
  for (let k = 0; k < n; k++) {
    const v = k === 0 ? v0 : incrementVersion(v0, w.versionMask, k);
    versions.push(v);
    writeU32LE(tmp, 0, v);
    mids.push(midstate(tmp));
  }
  const frame = encodeMidstateJob({
    jobId,
    startingNonce: 0,
    nbits: readU32LE(h, HeaderOffset.nbits),
    ntime: readU32LE(h, HeaderOffset.ntime),
    merkleTail: h.slice(64, 68),
    midstates: mids,
  });
  return { frame, slotVersions: versions, chipRollMask: 0 };
}

export function encodeFullHeaderWork(w: WorkUnit, jobId: number, lengthByte?: number): EncodedWork {
  checkWorkUnit(w);
  const h = w.header;
  const version = readU32LE(h, HeaderOffset.version);
  const frame = encodeFullHeaderJob(
    {
      jobId,
      startingNonce: 0,
      nbits: readU32LE(h, HeaderOffset.nbits),
      ntime: readU32LE(h, HeaderOffset.ntime),
      merkleRoot: h.slice(HeaderOffset.merkleRoot, HeaderOffset.merkleRoot + 32),
      prevHash: h.slice(HeaderOffset.prevHash, HeaderOffset.prevHash + 32),
      version,
    },
    lengthByte === undefined ? {} : { lengthByte },
  );
  return { frame, slotVersions: [version], chipRollMask: w.versionMask & CHIP_ROLLABLE_MASK };
}
