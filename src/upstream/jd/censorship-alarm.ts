/**
 * A censorship alarm: the miner's own node built the template (so it is valid), yet the pool refused
 * it with a code that names the template itself, after it had the chance to see its transactions
 * (full-template mode: DeclareMiningJob.Error once ProvideMissingTransactions was answered, or
 * SetCustomMiningJob.Error for a template its JDS accepted; coinbase-only mode: a template the pool
 * could only have recognised by its merkle path), or it rejected verified shares of a custom job it had
 * acknowledged (spec 6.2). Every other refusal (a stale chain tip, a transient error, a refused coinbase,
 * a timeout, an unknown code) is classified in declaration-refusal.ts and never raises one.
 * The agent logs it with `msg: "censorship-alarm"`, counts it, shows it in its stats and API, and falls
 * back as configured (`on_censorship`).
 */
export type AlarmKind = 'declare-refused' | 'custom-job-refused' | 'shares-rejected';

export type CensorshipPolicy = 'retry' | 'next-pool' | 'solo';

export interface CensorshipAlarm {
  /** The pool + JDS pair's name. */
  pool: string;
  /** TDP template id, as a decimal string (U64). */
  templateId: string;
  kind: AlarmKind;
  /** The refusal's code (first code of the error string). */
  code: string;
  /** The error code and details the pool gave. */
  error: string;
  /**
   * The transactions involved, txids in display order: those the refusal names, else those the JDS
   * asked for and then refused; empty when the pool named none (coinbase-only mode: it never saw them).
   */
  txids: string[];
  /** What the agent does about it (`stay`: a recheck of a pool already left found it still refusing). */
  action: CensorshipPolicy | 'next-pool->solo' | 'next-pool->first' | 'stay';
  /** Clock time (ms). */
  at: number;
  /** Wall-clock time (ISO 8601), for the API. */
  time: string;
}
