/**
 * Counters of a chain and of each chip on it. CRC errors are counted per chain only: a frame that fails
 * its CRC cannot be attributed to a chip reliably (the damaged bytes may be the ones naming it).
 */
export interface ChipCounters {
  index: number;
  address: number;
  /** Nonces passed on (a job id the driver knows); checking them is the scheduler's (src/mining/nonce-check.ts). */
  nonces: number;
  /** Nonces naming a job id the driver has no job for. */
  unknownJobIds: number;
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
  unknownJobIds: number;
  /** Nonces whose address field points past the last chip. */
  unattributedNonces: number;
  registerReplies: number;
  /** Register replies no read was waiting for (chips send some on their own). */
  unsolicitedRegisterReplies: number;
  portErrors: number;
}

export function emptyChainCounters(): ChainCounters {
  return {
    framesOk: 0,
    crcErrors: 0,
    bytesDiscarded: 0,
    jobsSent: 0,
    nonces: 0,
    unknownJobIds: 0,
    unattributedNonces: 0,
    registerReplies: 0,
    unsolicitedRegisterReplies: 0,
    portErrors: 0,
  };
}

export function emptyChipCounters(index: number, address: number): ChipCounters {
  return { index, address, nonces: 0, unknownJobIds: 0, lastNonceAt: undefined, silent: false };
}
