/**
 * BIP141 witness commitment: the coinbase output that commits a block to its witness data.
 *
 *   witness root  = merkle root of the wtxids, with the coinbase's wtxid taken as 32 zero bytes
 *   commitment    = SHA-256d(witness root | witness reserved value)
 *   scriptPubKey  = OP_RETURN (0x6a) | push 36 (0x24) | 0xaa21a9ed | commitment (32)
 * The witness reserved value is the single 32-byte item of the coinbase input's witness. When several
 * outputs match the pattern, the one with the highest index is the commitment (BIP141 "Commitment
 * structure").
 */
import { concatBytes, equalBytes } from './bytes.js';
import { merkleRoot } from './merkle.js';
import { sha256d } from './sha256d.js';
import type { TxOutput } from './tx-outputs.js';

/** BIP141 commitment header. */
export const WITNESS_COMMITMENT_HEADER = Uint8Array.of(0xaa, 0x21, 0xa9, 0xed);
/** The reserved value every miner uses today (BIP141 leaves it for future soft forks). */
export const ZERO_WITNESS_RESERVED_VALUE = new Uint8Array(32);

/** Witness merkle root over the non-coinbase wtxids (internal order), the coinbase counted as zero. */
export function witnessMerkleRoot(wtxids: readonly Uint8Array[]): Uint8Array {
  return merkleRoot([new Uint8Array(32), ...wtxids]);
}

export function witnessCommitment(witnessRoot: Uint8Array, reservedValue: Uint8Array = ZERO_WITNESS_RESERVED_VALUE): Uint8Array {
  if (reservedValue.length !== 32) throw new RangeError(`witness reserved value must be 32 bytes, got ${reservedValue.length}`);
  return sha256d(concatBytes(witnessRoot, reservedValue));
}

/** The commitment output script for a commitment hash. */
export function witnessCommitmentScript(commitment: Uint8Array): Uint8Array {
  if (commitment.length !== 32) throw new RangeError('witness commitment must be 32 bytes');
  return concatBytes(Uint8Array.of(0x6a, 0x24), WITNESS_COMMITMENT_HEADER, commitment);
}

/** True when a script has the commitment pattern (at least 38 bytes, BIP141). */
export function isWitnessCommitmentScript(script: Uint8Array): boolean {
  return script.length >= 38 && script[0] === 0x6a && script[1] === 0x24 && equalBytes(script.subarray(2, 6), WITNESS_COMMITMENT_HEADER);
}

/** Index of the commitment output (the highest matching one), or -1. */
export function findWitnessCommitment(outputs: readonly TxOutput[]): number {
  for (let i = outputs.length - 1; i >= 0; i--) if (isWitnessCommitmentScript((outputs[i] as TxOutput).scriptPubKey)) return i;
  return -1;
}

/** The 32-byte commitment carried by a commitment script. */
export function commitmentOf(script: Uint8Array): Uint8Array {
  if (!isWitnessCommitmentScript(script)) throw new RangeError('not a witness commitment script');
  return script.slice(6, 38);
}
