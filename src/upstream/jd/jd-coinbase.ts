/**
 * The coinbase of a job the miner declares (Job Declaration, spec 06 section 6.4.3 and 05 section
 * 5.3.18), built from a Template Distribution template.
 *
 * Layout (the one a pool rebuilds from SetCustomMiningJob, so that both sides hash the same bytes):
 *   version | [0x00 0x01 when segwit] | 1 input | null prevout (32 x 00, ffffffff)
 *   | scriptSig length | template coinbase_prefix (BIP34 height) | full extranonce | sequence
 *   | outputs | [witness: one 32-byte item, the witness reserved value] | locktime
 * The full extranonce is the pool channel's extranonce_prefix followed by the bytes the chains roll;
 * nothing else goes into the scriptSig, because SetCustomMiningJob has no field for it.
 *
 * Outputs: the pool's outputs from AllocateMiningJobToken.Success with the whole remaining template
 * value in the first one (the pool payout output, spec 6.4.3), then the template's own outputs (the
 * witness commitment). Solo: the miner's payout script takes that place.
 *
 * A segwit serialisation (marker, flag, witness) is used exactly when the template carries a witness
 * commitment: a block whose coinbase has a witness but no commitment is invalid (BIP141).
 */
import { concatBytes, u32le } from '../../work/bytes.js';
import { writeCompactSize } from '../../work/transaction.js';
import { MAX_MONEY, outputsValue, serializeOutputList, type TxOutput } from '../../work/tx-outputs.js';
import { findWitnessCommitment, ZERO_WITNESS_RESERVED_VALUE } from '../../work/witness-commitment.js';

/** Consensus bounds on a coinbase scriptSig (Bitcoin Core CheckTransaction: bad-cb-length). */
export const MIN_COINBASE_SCRIPT_SIG = 2;
export const MAX_COINBASE_SCRIPT_SIG = 100;
/**
 * B0_32: the full extranonce (prefix + rolled part) is at most 32 bytes (docs/sv2.md "Values and their
 * sources").
 */
export const MAX_FULL_EXTRANONCE = 32;

export class CoinbaseBuildError extends Error {
  override readonly name = 'CoinbaseBuildError';
}

export interface CoinbaseSpec {
  /** coinbase_tx_version. */
  version: number;
  /** Template coinbase_prefix: the start of the scriptSig (BIP34 height push). */
  scriptSigPrefix: Uint8Array;
  /** coinbase_tx_input_sequence. */
  sequence: number;
  outputs: TxOutput[];
  locktime: number;
  /** The witness reserved value when the coinbase is serialised with a witness; null = legacy form. */
  witnessReservedValue: Uint8Array | null;
}

export interface CoinbaseParts {
  spec: CoinbaseSpec;
  fullExtranonceSize: number;
  /** Non-witness serialisation up to the full extranonce (what the txid is computed over). */
  txPrefix: Uint8Array;
  /** Non-witness serialisation after the full extranonce. */
  txSuffix: Uint8Array;
  /** The same split with BIP141 fields, as DeclareMiningJob wants it (spec 6.4.4). */
  declarePrefix: Uint8Array;
  declareSuffix: Uint8Array;
  /** The outputs with their CompactSize count (SetCustomMiningJob.coinbase_tx_outputs). */
  outputList: Uint8Array;
}

const NULL_PREVOUT = concatBytes(new Uint8Array(32), Uint8Array.of(0xff, 0xff, 0xff, 0xff));

export function buildCoinbaseParts(spec: CoinbaseSpec, fullExtranonceSize: number): CoinbaseParts {
  if (!Number.isInteger(fullExtranonceSize) || fullExtranonceSize < 0 || fullExtranonceSize > MAX_FULL_EXTRANONCE) {
    throw new CoinbaseBuildError(`full extranonce of ${fullExtranonceSize} bytes (at most ${MAX_FULL_EXTRANONCE})`);
  }
  const scriptLen = spec.scriptSigPrefix.length + fullExtranonceSize;
  if (scriptLen < MIN_COINBASE_SCRIPT_SIG || scriptLen > MAX_COINBASE_SCRIPT_SIG) {
    throw new CoinbaseBuildError(`coinbase scriptSig of ${scriptLen} bytes is outside ${MIN_COINBASE_SCRIPT_SIG}..${MAX_COINBASE_SCRIPT_SIG}`);
  }
  if (spec.outputs.length === 0) throw new CoinbaseBuildError('a coinbase needs at least one output');
  const total = outputsValue(spec.outputs);
  if (total > MAX_MONEY || spec.outputs.some((o) => o.value < 0n)) throw new CoinbaseBuildError(`coinbase outputs sum to ${total} sat, more than MAX_MONEY`);
  const segwit = spec.witnessReservedValue !== null;
  if (segwit && spec.witnessReservedValue?.length !== 32) throw new CoinbaseBuildError('witness reserved value must be 32 bytes');
  const version = u32le(spec.version);
  const inputHead = concatBytes(Uint8Array.of(1), NULL_PREVOUT, writeCompactSize(scriptLen), spec.scriptSigPrefix);
  const outputList = serializeOutputList(spec.outputs);
  const tail = concatBytes(u32le(spec.sequence), outputList);
  const locktime = u32le(spec.locktime);
  const witness = segwit ? concatBytes(Uint8Array.of(1, 32), spec.witnessReservedValue as Uint8Array) : new Uint8Array(0);
  return {
    spec,
    fullExtranonceSize,
    txPrefix: concatBytes(version, inputHead),
    txSuffix: concatBytes(tail, locktime),
    declarePrefix: concatBytes(version, segwit ? Uint8Array.of(0x00, 0x01) : new Uint8Array(0), inputHead),
    declareSuffix: concatBytes(tail, witness, locktime),
    outputList,
  };
}

/** The full coinbase for one full extranonce: with BIP141 fields when segwit (what a block carries). */
export function assembleCoinbase(parts: CoinbaseParts, fullExtranonce: Uint8Array): Uint8Array {
  if (fullExtranonce.length !== parts.fullExtranonceSize) {
    throw new CoinbaseBuildError(`full extranonce must be ${parts.fullExtranonceSize} bytes, got ${fullExtranonce.length}`);
  }
  return concatBytes(parts.declarePrefix, fullExtranonce, parts.declareSuffix);
}

/** The non-witness coinbase (its SHA-256d is the txid) for one full extranonce. */
export function assembleCoinbaseNoWitness(parts: CoinbaseParts, fullExtranonce: Uint8Array): Uint8Array {
  if (fullExtranonce.length !== parts.fullExtranonceSize) {
    throw new CoinbaseBuildError(`full extranonce must be ${parts.fullExtranonceSize} bytes, got ${fullExtranonce.length}`);
  }
  return concatBytes(parts.txPrefix, fullExtranonce, parts.txSuffix);
}

/**
 * The coinbase outputs of a declared job: the payout outputs (pool outputs from the token, the first
 * being the pool payout output; or the solo payout) with all of `valueRemaining` in the first one,
 * then the template's outputs. Pool outputs must come with value 0 (spec 6.4.3): anything else would
 * spend more than the template pays.
 */
export function declaredOutputs(valueRemaining: bigint, payout: readonly TxOutput[], templateOutputs: readonly TxOutput[]): TxOutput[] {
  if (payout.length === 0) throw new CoinbaseBuildError('no payout output');
  if (payout.some((o) => o.value !== 0n)) throw new CoinbaseBuildError('pool coinbase outputs must carry value 0 (the miner fills in the payout)');
  if (valueRemaining < 0n || valueRemaining > MAX_MONEY) throw new CoinbaseBuildError(`template value ${valueRemaining} sat out of range`);
  const [first, ...rest] = payout as [TxOutput, ...TxOutput[]];
  return [{ value: valueRemaining, scriptPubKey: first.scriptPubKey }, ...rest, ...templateOutputs];
}

/** The witness reserved value to use for a template's outputs: zero when it commits to witnesses, else none. */
export function witnessReservedFor(outputs: readonly TxOutput[]): Uint8Array | null {
  return findWitnessCommitment(outputs) >= 0 ? ZERO_WITNESS_RESERVED_VALUE : null;
}
