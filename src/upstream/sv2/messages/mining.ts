/**
 * Mining protocol messages (spec 05-Mining-Protocol 5.3; ids 0x10-0x25, extension_type 0).
 * U256 fields (targets, hashes, merkle nodes) stay raw 32-byte little-endian / internal-order values.
 * Channel bits follow SRI's CHANNEL_BIT_* constants (docs/sv2.md "Values and their sources").
 */
import { B0_32, B0_64K, B0_255, BOOL, F32, OPTION, SEQ0_255, SEQ0_64K, STR0_255, U16, U256, U32, U64 } from '../binary/types.js';
import { defineMessage, type MessageOf } from './message.js';

export const OpenStandardMiningChannel = defineMessage('mining', 0x10, 'OpenStandardMiningChannel', 'OpenStandardMiningChannel', false, {
  requestId: U32,
  userIdentity: STR0_255,
  /** Expected hashrate in H/s (IEEE-754 single, LE). */
  nominalHashRate: F32,
  /** Largest target the device accepts (all 0xff = no limit). */
  maxTarget: U256,
});

export const OpenStandardMiningChannelSuccess = defineMessage('mining', 0x11, 'OpenStandardMiningChannelSuccess', 'OpenStandardMiningChannel.Success', false, {
  requestId: U32,
  channelId: U32,
  target: U256,
  extranoncePrefix: B0_32,
  groupChannelId: U32,
});

export const OpenMiningChannelError = defineMessage('mining', 0x12, 'OpenMiningChannelError', 'OpenMiningChannel.Error', false, {
  requestId: U32,
  errorCode: STR0_255,
});

export const OpenExtendedMiningChannel = defineMessage('mining', 0x13, 'OpenExtendedMiningChannel', 'OpenExtendedMiningChannel', false, {
  requestId: U32,
  userIdentity: STR0_255,
  nominalHashRate: F32,
  maxTarget: U256,
  /** Bytes (not bits, docs/sv2.md "Values and their sources") of extranonce the client wants to roll. */
  minExtranonceSize: U16,
});

export const OpenExtendedMiningChannelSuccess = defineMessage(
  'mining',
  0x14,
  'OpenExtendedMiningChannelSuccess',
  'OpenExtendedMiningChannel.Success',
  false,
  {
    requestId: U32,
    channelId: U32,
    target: U256,
    /** Bytes the client may roll. */
    extranonceSize: U16,
    extranoncePrefix: B0_32,
    groupChannelId: U32,
  },
  // group_channel_id joined this message in sv2-spec 7babb93 / SRI 09fc631a (2025-12-18); pools built
  // before send the message without it, and are not in a group.
  { groupChannelId: 0 },
);

export const NewMiningJob = defineMessage('mining', 0x15, 'NewMiningJob', 'NewMiningJob', true, {
  channelId: U32,
  jobId: U32,
  /** Absent: a future job, activated by SetNewPrevHash. Present: active at once on the last prev hash. */
  minNtime: OPTION(U32),
  version: U32,
  merkleRoot: U256,
});

export const UpdateChannel = defineMessage('mining', 0x16, 'UpdateChannel', 'UpdateChannel', true, {
  channelId: U32,
  nominalHashRate: F32,
  maximumTarget: U256,
});

export const UpdateChannelError = defineMessage('mining', 0x17, 'UpdateChannelError', 'UpdateChannel.Error', true, {
  channelId: U32,
  errorCode: STR0_255,
});

export const CloseChannel = defineMessage('mining', 0x18, 'CloseChannel', 'CloseChannel', true, {
  channelId: U32,
  reasonCode: STR0_255,
});

export const SetExtranoncePrefix = defineMessage('mining', 0x19, 'SetExtranoncePrefix', 'SetExtranoncePrefix', true, {
  channelId: U32,
  extranoncePrefix: B0_32,
});

export const SubmitSharesStandard = defineMessage('mining', 0x1a, 'SubmitSharesStandard', 'SubmitSharesStandard', true, {
  channelId: U32,
  sequenceNumber: U32,
  jobId: U32,
  nonce: U32,
  ntime: U32,
  /** Full nVersion, rolled bits included. */
  version: U32,
});

export const SubmitSharesExtended = defineMessage('mining', 0x1b, 'SubmitSharesExtended', 'SubmitSharesExtended', true, {
  channelId: U32,
  sequenceNumber: U32,
  jobId: U32,
  nonce: U32,
  ntime: U32,
  version: U32,
  /** Exactly the channel's extranonce_size bytes. */
  extranonce: B0_32,
});

export const SubmitSharesSuccess = defineMessage('mining', 0x1c, 'SubmitSharesSuccess', 'SubmitShares.Success', true, {
  channelId: U32,
  /** Acknowledges every share up to this sequence number that was not rejected (batched, pitfall 10). */
  lastSequenceNumber: U32,
  newSubmitsAcceptedCount: U32,
  newSharesSum: U64,
});

export const SubmitSharesError = defineMessage('mining', 0x1d, 'SubmitSharesError', 'SubmitShares.Error', true, {
  channelId: U32,
  sequenceNumber: U32,
  errorCode: STR0_255,
});

export const NewExtendedMiningJob = defineMessage('mining', 0x1f, 'NewExtendedMiningJob', 'NewExtendedMiningJob', true, {
  channelId: U32,
  jobId: U32,
  minNtime: OPTION(U32),
  version: U32,
  versionRollingAllowed: BOOL,
  /** Siblings of the coinbase txid, deepest first. */
  merklePath: SEQ0_255(U256),
  coinbaseTxPrefix: B0_64K,
  coinbaseTxSuffix: B0_64K,
});

export const SetNewPrevHash = defineMessage('mining', 0x20, 'SetNewPrevHash', 'SetNewPrevHash', true, {
  channelId: U32,
  /** The future job this prev hash activates; every other job becomes invalid. */
  jobId: U32,
  prevHash: U256,
  minNtime: U32,
  nbits: U32,
});

export const SetTarget = defineMessage('mining', 0x21, 'SetTarget', 'SetTarget', true, {
  channelId: U32,
  maximumTarget: U256,
});

export const SetCustomMiningJob = defineMessage('mining', 0x22, 'SetCustomMiningJob', 'SetCustomMiningJob', true, {
  channelId: U32,
  requestId: U32,
  miningJobToken: B0_255,
  version: U32,
  prevHash: U256,
  minNtime: U32,
  nbits: U32,
  coinbaseTxVersion: U32,
  /** Up to 8 bytes placed at the start of the coinbase scriptSig (BIP34 height...). */
  coinbasePrefix: B0_255,
  coinbaseTxInputNSequence: U32,
  /** CompactSize-prefixed serialized outputs. */
  coinbaseTxOutputs: B0_64K,
  coinbaseTxLocktime: U32,
  merklePath: SEQ0_255(U256),
});

export const SetCustomMiningJobSuccess = defineMessage('mining', 0x23, 'SetCustomMiningJobSuccess', 'SetCustomMiningJob.Success', true, {
  channelId: U32,
  requestId: U32,
  jobId: U32,
});

export const SetCustomMiningJobError = defineMessage('mining', 0x24, 'SetCustomMiningJobError', 'SetCustomMiningJob.Error', true, {
  channelId: U32,
  requestId: U32,
  errorCode: STR0_255,
});

export const SetGroupChannel = defineMessage('mining', 0x25, 'SetGroupChannel', 'SetGroupChannel', false, {
  groupChannelId: U32,
  channelIds: SEQ0_64K(U32),
});

export const MINING_MESSAGES = [
  OpenStandardMiningChannel,
  OpenStandardMiningChannelSuccess,
  OpenMiningChannelError,
  OpenExtendedMiningChannel,
  OpenExtendedMiningChannelSuccess,
  NewMiningJob,
  UpdateChannel,
  UpdateChannelError,
  CloseChannel,
  SetExtranoncePrefix,
  SubmitSharesStandard,
  SubmitSharesExtended,
  SubmitSharesSuccess,
  SubmitSharesError,
  NewExtendedMiningJob,
  SetNewPrevHash,
  SetTarget,
  SetCustomMiningJob,
  SetCustomMiningJobSuccess,
  SetCustomMiningJobError,
  SetGroupChannel,
] as const;

/**
 * SubmitShares.Error codes SRI sends (docs/sv2.md "Values and their sources"); other codes are counted as
 * they come.
 */
export const SUBMIT_SHARES_ERROR_CODES = [
  'invalid-channel-id',
  'invalid-share',
  'stale-share',
  'invalid-job-id',
  'difficulty-too-low',
  'duplicate-share',
  'bad-extranonce-size',
  'version-rolling-not-allowed',
  'invalid-non-rollable-version-bit',
] as const;
export type SubmitSharesErrorCode = (typeof SUBMIT_SHARES_ERROR_CODES)[number];

export type NewMiningJobMsg = MessageOf<typeof NewMiningJob>;
export type NewExtendedMiningJobMsg = MessageOf<typeof NewExtendedMiningJob>;
export type SetNewPrevHashMsg = MessageOf<typeof SetNewPrevHash>;
export type SubmitSharesStandardMsg = MessageOf<typeof SubmitSharesStandard>;
export type SubmitSharesExtendedMsg = MessageOf<typeof SubmitSharesExtended>;
