/**
 * Why a share was not accepted, as one typed code whichever protocol or check said so: the pool's
 * SubmitShares.Error code (SV2), the SV1 error code mapped onto the same words, or the agent's own
 * judgement before sending. Counters, Prometheus labels and logs use the code; a pool's free text
 * travels beside it as `detail` and is never parsed again.
 */
import { SUBMIT_SHARES_ERROR_CODES, type SubmitSharesErrorCode } from './sv2/messages/mining.js';

/**
 * SubmitShares.Error codes (docs/sv2.md "Values and their sources": the spec leaves `error_code`
 * free-form, these are the ones SRI sends; the list lives with the message, messages/mining.ts); any
 * other code a pool sends is `other`.
 */
export const SV2_SHARE_ERRORS = SUBMIT_SHARES_ERROR_CODES;
export type Sv2ShareError = SubmitSharesErrorCode;

/** What the agent decides before a share reaches a pool (never sent). */
export type LocalShareCode =
  /** The job is no longer active on the channel (replaced, or a new prev hash). */
  | 'job-not-active'
  /** The hash does not meet the target of the share's own job. */
  | 'below-job-target'
  /** The job's prev hash was replaced by a newer block. */
  | 'prev-hash-changed'
  /** The pool sent a newer job (clean) that replaced this one. */
  | 'job-replaced'
  /** SV1: the job is no longer known to the client (expired locally). */
  | 'job-expired'
  /** SV1: a difficulty raised after the job was sent applies to it (docs/stratum-v1-and-pools.md). */
  | 'below-new-difficulty'
  /** The version mask changed since the job: the rolled bits are no longer allowed. */
  | 'version-mask-changed'
  /** Rolled version bits outside the job's mask. */
  | 'version-outside-mask';

/** SV1 error codes 24 and 25 (docs/stratum-v1-and-pools.md "What the pool sends") have no SV2 equivalent. */
export type Sv1OnlyShareCode = 'unauthorized-worker' | 'not-subscribed';

export type ShareCode = Sv2ShareError | LocalShareCode | Sv1OnlyShareCode | 'other';

/** The code for a SubmitShares.Error `error_code`. */
export function sv2ShareCode(errorCode: string): ShareCode {
  return (SV2_SHARE_ERRORS as readonly string[]).includes(errorCode) ? (errorCode as Sv2ShareError) : 'other';
}

/** SV1 pools that give no code say stale in many words (docs/stratum-v1-and-pools.md "What the pool sends"). */
const SV1_STALE_TEXT = /stale|job not found|unknown job|old job|expired|job_id|obsolete/i;
const SV1_DUPLICATE_TEXT = /duplicate/i;
const SV1_LOW_DIFFICULTY_TEXT = /low difficulty|above target|difficulty too low|high-hash|low-diff/i;

/**
 * An SV1 reply error as a share outcome: code 21 (job not found) or a stale text is stale; 22
 * duplicate, 23 low difficulty, 24 unauthorized worker, 25 not subscribed, the rest `other`
 * (docs/stratum-v1-and-pools.md "What the pool sends").
 */
export function sv1ShareCode(code: number | null, message: string): { status: 'stale' | 'rejected'; code: ShareCode } {
  if (code === 21 || (code === null || code === 20 ? SV1_STALE_TEXT.test(message) : false)) return { status: 'stale', code: 'stale-share' };
  if (code === 22 || (code === null && SV1_DUPLICATE_TEXT.test(message))) return { status: 'rejected', code: 'duplicate-share' };
  if (code === 23 || (code === null && SV1_LOW_DIFFICULTY_TEXT.test(message))) return { status: 'rejected', code: 'difficulty-too-low' };
  if (code === 24) return { status: 'rejected', code: 'unauthorized-worker' };
  if (code === 25) return { status: 'rejected', code: 'not-subscribed' };
  // Some pools give any code with a text that says stale.
  if (SV1_STALE_TEXT.test(message)) return { status: 'stale', code: 'stale-share' };
  return { status: 'rejected', code: 'other' };
}
