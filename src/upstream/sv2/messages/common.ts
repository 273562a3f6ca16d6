/**
 * Common messages (spec 03-Protocol-Overview 3.6; ids 0x00-0x04, extension_type 0). Every protocol
 * starts with SetupConnection. The flag bits are protocol-specific (spec 5.3.1 for mining, 6.4.1 for
 * job declaration; template distribution has none).
 */
import { STR0_255, U16, U32, U8 } from '../binary/types.js';
import { defineMessage, type MessageOf } from './message.js';

/** SetupConnection.protocol (spec 3.6.1). */
export const Sv2SubProtocol = { Mining: 0, JobDeclaration: 1, TemplateDistribution: 2 } as const;

/** The only protocol version there is (spec 3.6.1: min_version = max_version = 2). */
export const SV2_PROTOCOL_VERSION = 2;

/** SetupConnection.flags for the mining protocol (spec 5.3.1; bit 0 = least significant). */
export const MiningSetupFlags = {
  /** The device can only take NewMiningJob (standard jobs): no group or extended jobs for it. */
  REQUIRES_STANDARD_JOBS: 1 << 0,
  /** The client will send SetCustomMiningJob (job declaration). */
  REQUIRES_WORK_SELECTION: 1 << 1,
  /** The server must only send jobs that allow version rolling. */
  REQUIRES_VERSION_ROLLING: 1 << 2,
} as const;

/** SetupConnection.Success.flags for the mining protocol (spec 5.3.2). */
export const MiningSuccessFlags = {
  /** The server accepts no change of the version field (must not be set if the client asked REQUIRES_VERSION_ROLLING). */
  REQUIRES_FIXED_VERSION: 1 << 0,
  /** The server refuses standard channels. */
  REQUIRES_EXTENDED_CHANNELS: 1 << 1,
} as const;

/** SetupConnection.flags for job declaration (spec 6.4.1). */
export const JobDeclarationSetupFlags = {
  /** Full-Template mode: the JDC will reveal transaction data. */
  DECLARE_TX_DATA: 1 << 0,
} as const;

export const SetupConnection = defineMessage('common', 0x00, 'SetupConnection', 'SetupConnection', false, {
  protocol: U8,
  minVersion: U16,
  maxVersion: U16,
  flags: U32,
  endpointHost: STR0_255,
  endpointPort: U16,
  vendor: STR0_255,
  hardwareVersion: STR0_255,
  firmware: STR0_255,
  deviceId: STR0_255,
});

export const SetupConnectionSuccess = defineMessage('common', 0x01, 'SetupConnectionSuccess', 'SetupConnection.Success', false, {
  usedVersion: U16,
  flags: U32,
});

export const SetupConnectionError = defineMessage('common', 0x02, 'SetupConnectionError', 'SetupConnection.Error', false, {
  /** The unsupported flags; 0 when the reason is something else. */
  flags: U32,
  errorCode: STR0_255,
});

export const ChannelEndpointChanged = defineMessage('common', 0x03, 'ChannelEndpointChanged', 'ChannelEndpointChanged', true, {
  channelId: U32,
});

export const Reconnect = defineMessage('common', 0x04, 'Reconnect', 'Reconnect', false, {
  /** Empty = the same host. */
  newHost: STR0_255,
  /** 0 = the same port. */
  newPort: U16,
});

export const COMMON_MESSAGES = [SetupConnection, SetupConnectionSuccess, SetupConnectionError, ChannelEndpointChanged, Reconnect] as const;

export type SetupConnectionMsg = MessageOf<typeof SetupConnection>;
export type SetupConnectionSuccessMsg = MessageOf<typeof SetupConnectionSuccess>;
export type SetupConnectionErrorMsg = MessageOf<typeof SetupConnectionError>;
export type ReconnectMsg = MessageOf<typeof Reconnect>;
