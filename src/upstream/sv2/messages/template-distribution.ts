/**
 * Template Distribution protocol messages (spec 07-Template-Distribution-Protocol; ids 0x70-0x76,
 * extension type 0, never a channel bit). 0x70 was called CoinbaseOutputDataSize before 2024-06.
 */
import { B0_16M, B0_64K, B0_255, BOOL, SEQ0_255, SEQ0_64K, STR0_255, U16, U256, U32, U64 } from '../binary/types.js';
import { defineMessage } from './message.js';

export const CoinbaseOutputConstraints = defineMessage('template-distribution', 0x70, 'CoinbaseOutputConstraints', 'CoinbaseOutputConstraints', false, {
  coinbaseOutputMaxAdditionalSize: U32,
  coinbaseOutputMaxAdditionalSigops: U16,
});

export const NewTemplate = defineMessage('template-distribution', 0x71, 'NewTemplate', 'NewTemplate', false, {
  templateId: U64,
  futureTemplate: BOOL,
  version: U32,
  coinbaseTxVersion: U32,
  /** At most 8 bytes (BIP34 height ...). */
  coinbasePrefix: B0_255,
  coinbaseTxInputSequence: U32,
  coinbaseTxValueRemaining: U64,
  coinbaseTxOutputsCount: U32,
  /** Outputs without a CompactSize count (the count is the field above). */
  coinbaseTxOutputs: B0_64K,
  coinbaseTxLocktime: U32,
  merklePath: SEQ0_255(U256),
});

/** The template-distribution SetNewPrevHash (0x72), not the mining one (0x20). */
export const SetNewPrevHashTdp = defineMessage('template-distribution', 0x72, 'SetNewPrevHashTdp', 'SetNewPrevHash (Template Distribution)', false, {
  templateId: U64,
  prevHash: U256,
  headerTimestamp: U32,
  nbits: U32,
  target: U256,
});

export const RequestTransactionData = defineMessage('template-distribution', 0x73, 'RequestTransactionData', 'RequestTransactionData', false, {
  templateId: U64,
});

export const RequestTransactionDataSuccess = defineMessage(
  'template-distribution',
  0x74,
  'RequestTransactionDataSuccess',
  'RequestTransactionData.Success',
  false,
  {
    templateId: U64,
    excessData: B0_64K,
    transactionList: SEQ0_64K(B0_16M),
  },
);

export const RequestTransactionDataError = defineMessage('template-distribution', 0x75, 'RequestTransactionDataError', 'RequestTransactionData.Error', false, {
  templateId: U64,
  errorCode: STR0_255,
});

export const SubmitSolution = defineMessage('template-distribution', 0x76, 'SubmitSolution', 'SubmitSolution', false, {
  templateId: U64,
  version: U32,
  headerTimestamp: U32,
  headerNonce: U32,
  /** The full coinbase, with witness (spec 3.7.3). */
  coinbaseTx: B0_64K,
});

export const TEMPLATE_DISTRIBUTION_MESSAGES = [
  CoinbaseOutputConstraints,
  NewTemplate,
  SetNewPrevHashTdp,
  RequestTransactionData,
  RequestTransactionDataSuccess,
  RequestTransactionDataError,
  SubmitSolution,
] as const;
