/**
 * What a node does with a SubmitSolution (spec 07 section 7.3.7), as far as the lab Template Provider
 * can: rebuild the block from the template it sent and the miner's coinbase, header fields and nonce,
 * and check it. Pure: the TP looks the template up and reports the verdict.
 *
 * Checks, in order: the coinbase parses and is a coinbase (one input spending the null outpoint); its
 * version, sequence and locktime are the template's; its scriptSig starts with the template's
 * coinbase_prefix (BIP34 height) and is 2..100 bytes; it carries the template's outputs and claims no
 * more than the template allows; the witness commitment matches (BIP141, when the template has one);
 * the merkle root over the coinbase txid and the template's txids; the header hash meets nbits.
 */
import { concatBytes, equalBytes, toHex } from '../../src/work/bytes.js';
import { buildHeader, headerHash } from '../../src/work/header.js';
import { merkleRoot } from '../../src/work/merkle.js';
import { hashToBigInt, nbitsToTarget } from '../../src/work/target.js';
import { parseTxLayout, readCompactSize, txid, writeCompactSize } from '../../src/work/transaction.js';
import { outputsValue, parseOutputs, type TxOutput } from '../../src/work/tx-outputs.js';
import { commitmentOf, findWitnessCommitment, witnessCommitment, witnessMerkleRoot } from '../../src/work/witness-commitment.js';
import { readU32LE } from '../../src/work/bytes.js';

export interface SolutionTemplate {
  version: number;
  coinbaseTxVersion: number;
  coinbasePrefix: Uint8Array;
  sequence: number;
  locktime: number;
  valueRemaining: bigint;
  outputs: TxOutput[];
  txids: Uint8Array[];
  wtxids: Uint8Array[];
  transactions: Uint8Array[];
}

export interface SolutionHeader {
  prevHash: Uint8Array;
  nbits: number;
}

export interface SubmittedSolution {
  version: number;
  headerTimestamp: number;
  headerNonce: number;
  coinbaseTx: Uint8Array;
}

export type SolutionVerdict =
  | { ok: true; hash: Uint8Array; header: Uint8Array; block: Uint8Array; coinbaseTxid: Uint8Array }
  | { ok: false; reason: string; hash?: Uint8Array };

interface ParsedCoinbase {
  version: number;
  scriptSig: Uint8Array;
  sequence: number;
  outputs: TxOutput[];
  locktime: number;
  /** Witness stack of the only input (empty when not segwit). */
  witness: Uint8Array[];
}

/** Parses a coinbase transaction; throws TxParseError (or a plain Error for a non-coinbase). */
export function parseCoinbase(tx: Uint8Array): ParsedCoinbase {
  const l = parseTxLayout(tx);
  if (l.inputCount !== 1) throw new Error(`a coinbase has exactly one input, this one has ${l.inputCount}`);
  let o = l.bodyStart + 1;
  const prevout = tx.subarray(o, o + 36);
  if (!prevout.subarray(0, 32).every((b) => b === 0) || readU32LE(prevout, 32) !== 0xffffffff) throw new Error('the input does not spend the null outpoint');
  o += 36;
  const sl = readCompactSize(tx, o);
  o += sl.size;
  const scriptSig = tx.slice(o, o + sl.value);
  o += sl.value;
  const sequence = readU32LE(tx, o);
  o += 4;
  const oc = readCompactSize(tx, o);
  const outputs = parseOutputs(tx.subarray(0, l.bodyEnd), oc.value, o + oc.size);
  const witness: Uint8Array[] = [];
  if (l.segwit) {
    let w = l.witnessStart;
    const items = readCompactSize(tx, w);
    w += items.size;
    for (let i = 0; i < items.value; i++) {
      const len = readCompactSize(tx, w);
      w += len.size;
      witness.push(tx.slice(w, w + len.value));
      w += len.value;
    }
  }
  return { version: readU32LE(tx, 0), scriptSig, sequence, outputs, locktime: readU32LE(tx, l.locktime), witness };
}

function sameOutput(a: TxOutput, b: TxOutput): boolean {
  return a.value === b.value && equalBytes(a.scriptPubKey, b.scriptPubKey);
}

export function checkSolution(t: SolutionTemplate, h: SolutionHeader, s: SubmittedSolution): SolutionVerdict {
  let cb: ParsedCoinbase;
  try {
    cb = parseCoinbase(s.coinbaseTx);
  } catch (err) {
    return { ok: false, reason: `bad-cb: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (cb.version !== t.coinbaseTxVersion) return { ok: false, reason: `bad-cb-version: ${cb.version}, template says ${t.coinbaseTxVersion}` };
  if (cb.sequence !== t.sequence) return { ok: false, reason: `bad-cb-sequence: ${cb.sequence.toString(16)}` };
  if (cb.locktime !== t.locktime) return { ok: false, reason: `bad-cb-locktime: ${cb.locktime}` };
  if (cb.scriptSig.length < 2 || cb.scriptSig.length > 100) return { ok: false, reason: `bad-cb-length: scriptSig of ${cb.scriptSig.length} bytes` };
  if (!equalBytes(cb.scriptSig.subarray(0, t.coinbasePrefix.length), t.coinbasePrefix))
    return { ok: false, reason: 'bad-cb-height: scriptSig does not start with the template coinbase_prefix (BIP34)' };
  for (const req of t.outputs) if (!cb.outputs.some((o) => sameOutput(o, req))) return { ok: false, reason: 'bad-cb-outputs: a template output is missing' };
  const allowed = t.valueRemaining + outputsValue(t.outputs);
  if (outputsValue(cb.outputs) > allowed)
    return { ok: false, reason: `bad-cb-amount: coinbase pays ${outputsValue(cb.outputs)} sat, the template allows ${allowed}` };

  const ci = findWitnessCommitment(cb.outputs);
  const anyWitness = t.wtxids.some((w, i) => !equalBytes(w, t.txids[i] as Uint8Array));
  if (ci >= 0) {
    if (cb.witness.length !== 1 || cb.witness[0]?.length !== 32)
      return { ok: false, reason: 'bad-witness-nonce-size: the coinbase witness must be one 32-byte item' };
    const expected = witnessCommitment(witnessMerkleRoot(t.wtxids), cb.witness[0]);
    if (!equalBytes(commitmentOf((cb.outputs[ci] as TxOutput).scriptPubKey), expected))
      return { ok: false, reason: 'bad-witness-merkle-match: the witness commitment does not match the transactions' };
  } else if (anyWitness || cb.witness.length > 0) {
    return { ok: false, reason: 'unexpected-witness: witness data without a commitment' };
  }

  const cbTxid = txid(s.coinbaseTx);
  const root = merkleRoot([cbTxid, ...t.txids]);
  const header = buildHeader({
    version: s.version >>> 0,
    prevHash: h.prevHash,
    merkleRoot: root,
    ntime: s.headerTimestamp >>> 0,
    nbits: h.nbits,
    nonce: s.headerNonce >>> 0,
  });
  const hash = headerHash(header);
  if (hashToBigInt(hash) > nbitsToTarget(h.nbits))
    return { ok: false, reason: `high-hash: ${toHex(hash.slice().reverse())} does not meet nbits ${h.nbits.toString(16)}`, hash };
  const block = concatBytes(header, writeCompactSize(1 + t.transactions.length), s.coinbaseTx, ...t.transactions);
  return { ok: true, hash, header, block, coinbaseTxid: cbTxid };
}
