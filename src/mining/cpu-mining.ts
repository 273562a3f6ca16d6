/**
 * What `probe --cpu-mine` asks of a CPU miner: mine the latest job at its own target and hand every
 * share found to `onShare`. The miner itself is a workshop tool (workshop/cpu-miner): a few MH/s prove
 * that a pool's work turns into shares it accepts, and no miner needs it; the command line's
 * composition root hands it to the probe (src/cli/workshop.ts).
 */
import type { Job, Share } from '../upstream/job.js';

export interface CpuMiner {
  /** Mines this job from now on (any earlier one is dropped). */
  setJob(job: Job): void;
  start(): void;
  stop(): void;
  /** Hashes done so far. */
  readonly hashes: number;
}

export interface CpuMining {
  miner(onShare: (share: Share) => void): CpuMiner;
  /** A rough rate of this CPU, H/s (what a probe announces before it mines). */
  measureRate(): number;
}
