/**
 * Counters of a chain and of each chip on it. CRC errors are counted per chain only: a frame that fails
 * its CRC cannot be attributed to a chip reliably (the damaged bytes may be the ones naming it).
 */
export interface ChipCounters {
  index: number;
  address: number;
  /** Nonces accepted (valid job id, not a duplicate). */
  nonces: number;
  /** Nonces dropped as a repeat of (job, nonce, version). */
  duplicates: number;
  /** Nonces naming a job id the driver has no job for. */
  unknownJobIds: number;
  /** Nonces whose rolled version leaves the work's mask. */
  versionOutOfMask: number;
  /** Nonces the agent found invalid (reported back through reportHardwareError). */
  hardwareErrors: number;
  /** Clock time of the last accepted nonce. */
  lastNonceAt: number | undefined;
  /** True while the chip is reported silent. */
  silent: boolean;
}

export interface ChainCounters {
  framesOk: number;
  crcErrors: number;
  bytesDiscarded: number;
  jobsSent: number;
  nonces: number;
  duplicates: number;
  unknownJobIds: number;
  versionOutOfMask: number;
  /** Nonces whose address field points past the last chip. */
  unattributedNonces: number;
  registerReplies: number;
  /** Register replies no read was waiting for (chips send some on their own). */
  unsolicitedRegisterReplies: number;
  hardwareErrors: number;
  portErrors: number;
}

export function emptyChainCounters(): ChainCounters {
  return {
    framesOk: 0,
    crcErrors: 0,
    bytesDiscarded: 0,
    jobsSent: 0,
    nonces: 0,
    duplicates: 0,
    unknownJobIds: 0,
    versionOutOfMask: 0,
    unattributedNonces: 0,
    registerReplies: 0,
    unsolicitedRegisterReplies: 0,
    hardwareErrors: 0,
    portErrors: 0,
  };
}

export function emptyChipCounters(index: number, address: number): ChipCounters {
  return { index, address, nonces: 0, duplicates: 0, unknownJobIds: 0, versionOutOfMask: 0, hardwareErrors: 0, lastNonceAt: undefined, silent: false };
}
