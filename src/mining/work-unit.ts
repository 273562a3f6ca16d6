/**
 * A work unit: one header template handed to one chain. The chain's chips search the nonce range and,
 * where they can, roll the version bits in `rollMask` on top of `versionBase` (in-chip rolling on
 * BM1366/68/70/62, or the four midstates of BM1397). Everything a returned nonce needs to be verified
 * and turned into a share is here.
 */
import type { Job } from '../upstream/job.js';

export interface WorkUnit {
  /** Unique and increasing per agent run (not the chip job id, which the driver assigns). */
  id: number;
  job: Job;
  /** Index of the chain this unit was made for. */
  chain: number;
  /** The 80-byte header with nonce 0 and version = versionBase. */
  header: Uint8Array;
  /** The rolled extranonce for coinbase work. */
  extranonce?: Uint8Array;
  ntime: number;
  versionBase: number;
  /** Version bits the chip may change on top of versionBase (a subset of job.versionMask). */
  rollMask: number;
  createdAt: number;
}
