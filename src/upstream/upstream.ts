/**
 * What every upstream connection (Stratum V2 mining client, Stratum V1 client, Job Declaration client,
 * solo template source) offers the rest of the agent. The pool manager (src/upstream/pools.ts) and the
 * scheduler (src/mining) only use this interface.
 */
import type { TypedEmitter } from '../typed-emitter.js';
import type { Job, JobIssuer, Share, ShareOutcome } from './job.js';
import type { SessionFailure } from './session-failure.js';

export type UpstreamState = 'idle' | 'connecting' | 'ready' | 'closed';

export type UpstreamEvents = {
  /** A new active job. `job.clean` means every earlier job of this upstream is now stale. */
  job: [job: Job];
  /**
   * The share target for jobs issued from now on changed (SV1 set_difficulty, SV2 SetTarget). For
   * information (logs, probes): jobs already issued keep their own target, and the upstream issues new
   * Jobs when it wants the chains on a new one.
   */
  target: [target: bigint];
  /** Connection state changes; a failure says why it went down (its category decides failover). */
  state: [state: UpstreamState, failure?: SessionFailure];
};

/** Counters an upstream keeps about itself (the API and status records read them). */
export interface UpstreamStats {
  accepted: number;
  rejected: number;
  stale: number;
  lost: number;
  /** Rejections and stales by the reason string the pool gave. */
  rejectReasons: Record<string, number>;
  acceptedDifficulty: number;
  rejectedDifficulty: number;
  connects: number;
  disconnects: number;
  /** Frames/lines the pool sent that we could not parse or did not expect. */
  protocolErrors: number;
  lastShareAt?: number;
  /** Current share difficulty. */
  difficulty?: number;
}

export interface Upstream extends TypedEmitter<UpstreamEvents>, JobIssuer {
  /** Pool id (config name or URL) this connection belongs to. */
  readonly id: string;
  /** The URL as configured, never with a password. */
  readonly url: string;
  readonly protocol: 'sv2' | 'sv1' | 'jd' | 'solo';
  readonly state: UpstreamState;
  /** Connects, and keeps reconnecting with backoff until `stop`. */
  start(): void;
  /** Closes the connection for good; outstanding shares resolve as lost. */
  stop(reason?: string): Promise<void>;
  /** The job chains should mine now, if any. */
  currentJob(): Job | undefined;
  /**
   * Submits a verified share of one of its jobs, judged with that job's own target; resolves when the
   * pool answers (or the share is lost).
   */
  submit(share: Share): Promise<ShareOutcome>;
  /** Reports the measured hashrate (SV2 UpdateChannel; ignored where the protocol has no such message). */
  reportHashrate(hashesPerSecond: number): void;
  stats(): UpstreamStats;
}

/**
 * Counts one share outcome the way every upstream does: accepted and rejected shares with their
 * difficulty, rejections and stales by the pool's reason, lost shares by count. Callers add what is
 * particular to their protocol (lost reasons, JD's refused jobs).
 */
export function countShareOutcome(s: UpstreamStats, o: ShareOutcome, difficulty: number, now: number): void {
  switch (o.status) {
    case 'accepted':
      s.accepted++;
      s.acceptedDifficulty += difficulty;
      s.lastShareAt = now;
      return;
    case 'rejected':
      s.rejected++;
      s.rejectedDifficulty += difficulty;
      s.rejectReasons[o.reason] = (s.rejectReasons[o.reason] ?? 0) + 1;
      return;
    case 'stale':
      s.stale++;
      s.rejectReasons[o.reason] = (s.rejectReasons[o.reason] ?? 0) + 1;
      return;
    case 'lost':
      s.lost++;
      return;
  }
}

/** A fresh zeroed stats record. */
export function emptyUpstreamStats(): UpstreamStats {
  return {
    accepted: 0,
    rejected: 0,
    stale: 0,
    lost: 0,
    rejectReasons: {},
    acceptedDifficulty: 0,
    rejectedDifficulty: 0,
    connects: 0,
    disconnects: 0,
    protocolErrors: 0,
  };
}
