/**
 * Job Declaration protocol messages (spec 06-Job-Declaration-Protocol 6.4; ids 0x50-0x60, extension
 * type 0, never a channel bit). Ids 0x53/0x54 (IdentifyTransactions) were removed from the spec in
 * 2025-05 and are deliberately absent.
 */
import { B0_16M, B0_32, B0_64K, B0_255, SEQ0_64K, STR0_255, U16, U256, U32 } from '../binary/types.js';
import { defineMessage } from './message.js';

export const AllocateMiningJobToken = defineMessage('job-declaration', 0x50, 'AllocateMiningJobToken', 'AllocateMiningJobToken', false, {
  userIdentifier: STR0_255,
  requestId: U32,
});

export const AllocateMiningJobTokenSuccess = defineMessage('job-declaration', 0x51, 'AllocateMiningJobTokenSuccess', 'AllocateMiningJobToken.Success', false, {
  requestId: U32,
  miningJobToken: B0_255,
  /** CompactSize-prefixed outputs; the first is the pool payout with value 0. */
  coinbaseTxOutputs: B0_64K,
});

export const ProvideMissingTransactions = defineMessage('job-declaration', 0x55, 'ProvideMissingTransactions', 'ProvideMissingTransactions', false, {
  requestId: U32,
  unknownTxPositionList: SEQ0_64K(U16),
});

export const ProvideMissingTransactionsSuccess = defineMessage(
  'job-declaration',
  0x56,
  'ProvideMissingTransactionsSuccess',
  'ProvideMissingTransactions.Success',
  false,
  {
    requestId: U32,
    transactionList: SEQ0_64K(B0_16M),
  },
);

export const DeclareMiningJob = defineMessage('job-declaration', 0x57, 'DeclareMiningJob', 'DeclareMiningJob', false, {
  requestId: U32,
  miningJobToken: B0_255,
  version: U32,
  /** With BIP141 fields (spec 3.7.2). */
  coinbaseTxPrefix: B0_64K,
  coinbaseTxSuffix: B0_64K,
  /** wtxids of every transaction but the coinbase. */
  wtxidList: SEQ0_64K(U256),
  excessData: B0_64K,
});

export const DeclareMiningJobSuccess = defineMessage('job-declaration', 0x58, 'DeclareMiningJobSuccess', 'DeclareMiningJob.Success', false, {
  requestId: U32,
  newMiningJobToken: B0_255,
});

export const DeclareMiningJobError = defineMessage('job-declaration', 0x59, 'DeclareMiningJobError', 'DeclareMiningJob.Error', false, {
  requestId: U32,
  errorCode: STR0_255,
  errorDetails: B0_64K,
});

export const PushSolution = defineMessage('job-declaration', 0x60, 'PushSolution', 'PushSolution', false, {
  /** The full extranonce. */
  extranonce: B0_32,
  prevHash: U256,
  nonce: U32,
  ntime: U32,
  nbits: U32,
  version: U32,
});

export const JOB_DECLARATION_MESSAGES = [
  AllocateMiningJobToken,
  AllocateMiningJobTokenSuccess,
  ProvideMissingTransactions,
  ProvideMissingTransactionsSuccess,
  DeclareMiningJob,
  DeclareMiningJobSuccess,
  DeclareMiningJobError,
  PushSolution,
] as const;
