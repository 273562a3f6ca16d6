/**
 * A censorship alarm: the miner's own node built the template (so it is valid), yet the pool's JDS or
 * the pool refused it (spec 6.2: DeclareMiningJob.Error, SetCustomMiningJob.Error, shares rejected on
 * an acknowledged custom job), or did not answer in time (timeouts count as failures, spec 5.3.19).
 * The agent logs it with `msg: "censorship-alarm"`, counts it, shows it in its stats, and falls back
 * as configured (`on_censorship`).
 */
export type AlarmKind = 'declare-refused' | 'custom-job-refused' | 'shares-rejected' | 'timeout';

export type CensorshipPolicy = 'retry' | 'next-pool' | 'solo';

export interface CensorshipAlarm {
  /** The pool + JDS pair's name. */
  pool: string;
  /** TDP template id, as a decimal string (U64). */
  templateId: string;
  kind: AlarmKind;
  /** The error code (and details) the pool gave, or what timed out. */
  error: string;
  /** What the agent does about it. */
  action: CensorshipPolicy | 'next-pool->solo' | 'next-pool->first';
  /** Clock time (ms). */
  at: number;
  /** Wall-clock time (ISO 8601), for the API. */
  time: string;
}
