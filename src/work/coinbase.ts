/**
 * Coinbase assembly for the two upstream protocols, and its txid.
 *
 * Stratum V1 (mining.notify): coinbase = coinb1 | extranonce1 | extranonce2 | coinb2.
 * Stratum V2 extended channel (NewExtendedMiningJob, spec 05-Mining-Protocol):
 *   coinbase = coinbase_tx_prefix | extranonce_prefix | extranonce | coinbase_tx_suffix.
 * The txid is taken over the non-witness serialisation: the SV2 spec requires pools to strip BIP141
 * fields from prefix/suffix, but SRI's own test data does not, so a defensive client strips them.
 */
import { concatBytes } from './bytes.js';
import { merkleRootFromBranch } from './merkle.js';
import { sha256d } from './sha256d.js';
import { parseTxLayout, stripWitness, txid } from './transaction.js';

export function assembleSv1Coinbase(coinb1: Uint8Array, extranonce1: Uint8Array, extranonce2: Uint8Array, coinb2: Uint8Array): Uint8Array {
  return concatBytes(coinb1, extranonce1, extranonce2, coinb2);
}

export function assembleSv2Coinbase(prefix: Uint8Array, extranoncePrefix: Uint8Array, extranonce: Uint8Array, suffix: Uint8Array): Uint8Array {
  return concatBytes(prefix, extranoncePrefix, extranonce, suffix);
}

/** txid of a coinbase in internal order, stripping BIP141 fields when present. */
export function coinbaseTxid(coinbase: Uint8Array): Uint8Array {
  return txid(coinbase);
}

/**
 * A coinbase split around its extranonce, in non-witness form, so that rolling the extranonce needs no
 * reparse: txid(prefix | extranonce | suffix).
 */
export interface CoinbaseTemplate {
  prefix: Uint8Array;
  suffix: Uint8Array;
  extranonceLength: number;
}

/**
 * Builds a non-witness template from a prefix/suffix pair that may carry BIP141 marker, flag and
 * witness. Throws TxParseError when prefix | zeros(extranonceLength) | suffix is not a transaction.
 */
export function coinbaseTemplate(prefix: Uint8Array, extranonceLength: number, suffix: Uint8Array): CoinbaseTemplate {
  const probe = concatBytes(prefix, new Uint8Array(extranonceLength), suffix);
  const layout = parseTxLayout(probe);
  if (!layout.segwit) return { prefix, suffix, extranonceLength };
  // Marker and flag sit at bytes 4..5, before the extranonce; the witness sits after it (in the suffix).
  if (prefix.length < 6 || layout.witnessStart < prefix.length + extranonceLength) {
    throw new RangeError('extranonce overlaps the BIP141 fields of the coinbase');
  }
  const stripped = stripWitness(probe);
  const cut = prefix.length - 2;
  return {
    prefix: stripped.slice(0, cut),
    suffix: stripped.slice(cut + extranonceLength),
    extranonceLength,
  };
}

/** Merkle root for one extranonce of a coinbase template and the job's merkle branch. */
export function merkleRootForExtranonce(t: CoinbaseTemplate, extranonce: Uint8Array, branch: readonly Uint8Array[]): Uint8Array {
  if (extranonce.length !== t.extranonceLength) {
    throw new RangeError(`extranonce must be ${t.extranonceLength} bytes, got ${extranonce.length}`);
  }
  // The template is already in non-witness form, so its txid is a plain SHA-256d.
  return merkleRootFromBranch(sha256d(concatBytes(t.prefix, extranonce, t.suffix)), branch);
}
