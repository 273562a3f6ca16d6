/**
 * What a refused declaration means, and what the Job Declarator client does about it. Every code a JDS
 * can put in DeclareMiningJob.Error and a pool in SetCustomMiningJob.Error is classified here; the
 * JdUpstream acts on the class, never on the bare code.
 *
 * Sources of the codes (each cited in the tables below):
 *  - sv2-spec @ 62e9eb2 (the last version that listed codes; sv2-spec 9fead06 "remove all error code
 *    suggestions" dropped them): 06-Job-Declaration-Protocol.md 6.4.6 DeclareMiningJob.Error and
 *    05-Mining-Protocol.md 5.3.20 SetCustomMiningJob.Error: `invalid-mining-job-token`,
 *    `invalid-job-param-value-{field}`, `invalid-channel-id`.
 *  - SRI stratum @ 268022034c: sv2/subprotocols/job-declaration/src/lib.rs (ERROR_CODE_DECLARE_MINING_JOB_*)
 *    and sv2/subprotocols/mining/src/lib.rs (ERROR_CODE_SET_CUSTOM_MINING_JOB_*), the codes SRI's JDS
 *    and pool send.
 *  - sv2-spec @ 0f38d51, 03-Protocol-Overview.md 3.5 "Error Codes": codes differ between implementations;
 *    an unknown code is logged and recovery is decided on the protocol state, not on the code. So an
 *    unknown code is never taken as censorship: it is retried a few times, then the pair is failed.
 *
 * Classes:
 *  - `stale-tip`: the pool's node is on another chain tip than ours (just after a block, the miner's own
 *    node is usually ahead). Not censorship: wait, and declare again on the pool's new tip.
 *  - `transient`: the server cannot answer now (`internal-error`, `job-not-yet-validated`...): retry with
 *    backoff; a pair that keeps failing is a failed pair, never a censorship alarm.
 *  - `token`: the token was not usable: retry with a fresh token, then fail the pair.
 *  - `template`: the code names the template itself (its transactions, or their merkle path). A censorship
 *    alarm, when the refusing side had the chance to see the transactions (full-template mode: after the
 *    ProvideMissingTransactions round; coinbase-only mode: the pool can only have recognised the
 *    template by its merkle path, which no honest pool refuses there).
 *  - `declaration`: our coinbase or job fields are refused, not the template: the pair is failed
 *    (jd-pair-failed), no alarm.
 *  - `unsupported`: the pool does not take custom jobs at all: the pair is failed.
 *  - `unknown`: spec 3.5, above.
 */

export type RefusalClass = 'stale-tip' | 'transient' | 'token' | 'template' | 'declaration' | 'unsupported' | 'unknown';

/** Where the refusal came from: the JDS (DeclareMiningJob.Error) or the pool (SetCustomMiningJob.Error). */
export type RefusalStage = 'declare' | 'custom-job';

export interface RefusalVerdict {
  cls: RefusalClass;
  /** The code as classified (lower case, first code of the string). */
  code: string;
  /** The code is one this table knows (else spec 3.5 applies). */
  known: boolean;
}

/** DeclareMiningJob.Error codes. */
const DECLARE: Record<string, RefusalClass> = {
  // sv2-spec @ 62e9eb2 6.4.6; SRI job-declaration lib.rs ERROR_CODE_DECLARE_MINING_JOB_INVALID_MINING_JOB_TOKEN.
  'invalid-mining-job-token': 'token',
  // SRI: ..._MISSING_TXS. The JDS says it lacks transactions: a refusal of the transaction set once it
  // has asked for them and got them; before that, it may still ask (JdUpstream checks `requested`).
  'missing-txs': 'template',
  // SRI: ..._INVALID_COINBASE_TX, ..._INVALID_COINBASE_TX_INPUT: our coinbase, not the template.
  'invalid-coinbase-tx': 'declaration',
  'invalid-coinbase-tx-input': 'declaration',
  // SRI: ..._INTERNAL_ERROR.
  'internal-error': 'transient',
  // SRI: ..._STALE_CHAIN_TIP (the JDS's node rejects a block for another height: bad-cb-height).
  'stale-chain-tip': 'stale-tip',
  // SRI: ..._INVALID_JOB (the JDS's node rejects the block on its own merits: its transactions).
  'invalid-job': 'template',
};

/** SetCustomMiningJob.Error codes. */
const CUSTOM_JOB: Record<string, RefusalClass> = {
  // SRI mining lib.rs ERROR_CODE_SET_CUSTOM_MINING_JOB_JD_NOT_SUPPORTED.
  'jd-not-supported': 'unsupported',
  // sv2-spec @ 62e9eb2 5.3.20; SRI ..._INVALID_CHANNEL_ID: the pool lost our channel; a new session helps.
  'invalid-channel-id': 'transient',
  // sv2-spec @ 62e9eb2 5.3.20; SRI ..._INVALID_MINING_JOB_TOKEN.
  'invalid-mining-job-token': 'token',
  // SRI ..._JOB_NOT_YET_VALIDATED: the JDS has not finished with the declaration.
  'job-not-yet-validated': 'transient',
  // SRI ..._STALE_CHAIN_TIP: prev_hash is not the pool node's tip.
  'stale-chain-tip': 'stale-tip',
  // SRI ..._INVALID_MIN_NTIME, _NBITS, _VERSION, _COINBASE_TX*, _COINBASE_PREFIX: fields of our job.
  'invalid-min-ntime': 'declaration',
  'invalid-nbits': 'declaration',
  'invalid-version': 'declaration',
  'invalid-coinbase-tx': 'declaration',
  'invalid-coinbase-tx-version': 'declaration',
  'invalid-coinbase-prefix': 'declaration',
  'invalid-coinbase-tx-input-n-sequence': 'declaration',
  'invalid-coinbase-tx-outputs': 'declaration',
  'invalid-coinbase-tx-locktime': 'declaration',
  // SRI ..._INVALID_MERKLE_PATH: the merkle path is the transaction set.
  'invalid-merkle-path': 'template',
  // SRI job-declaration lib.rs INVALID_JOB, as some pools also answer custom jobs (the lab does).
  'invalid-job': 'template',
};

/** `invalid-job-param-value-{field}` (sv2-spec @ 62e9eb2 6.4.6 and 5.3.20): by the field it names. */
function paramClass(field: string): RefusalClass {
  if (field === 'merkle_path' || field === 'wtxid_list' || field === 'tx_ids_list' || field === 'transaction_list') return 'template';
  if (field === 'prev_hash') return 'stale-tip';
  if (field === 'mining_job_token') return 'token';
  return 'declaration';
}

/** The first code of an error_code string ("Human-readable error code(s)"), lower case. */
export function primaryCode(errorCode: string): string {
  return (errorCode.trim().split(/[\s,;:]+/)[0] ?? '').toLowerCase();
}

export function classifyRefusal(stage: RefusalStage, errorCode: string): RefusalVerdict {
  const code = primaryCode(errorCode);
  const table = stage === 'declare' ? DECLARE : CUSTOM_JOB;
  const hit = table[code];
  if (hit) return { cls: hit, code, known: true };
  const param = /^invalid-job-param-value-(.+)$/.exec(code);
  if (param) return { cls: paramClass(param[1] as string), code, known: true };
  return { cls: 'unknown', code, known: false };
}

/** Every code the tables know, by stage (docs and tests). */
export function knownRefusalCodes(): { declare: Record<string, RefusalClass>; customJob: Record<string, RefusalClass> } {
  return { declare: { ...DECLARE }, customJob: { ...CUSTOM_JOB } };
}
