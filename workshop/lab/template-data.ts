/**
 * Block templates for the lab Template Provider, built from real block data: block 227836's 99 raw
 * transactions from ../shared/vectors/real (or, without the vectors, synthetic transactions, half of
 * them with witnesses so that wtxids differ from txids).
 *
 * A template is the first `count` transactions of a block in block order: any prefix of a valid
 * block keeps every parent before its children, so it is a valid transaction set too. Its coinbase
 * value is the subsidy plus the block's fees in proportion to the transactions kept (the lab cannot
 * know each fee without the spent outputs). Like Bitcoin Core since segwit, every template carries a
 * witness commitment output (BIP141), computed from the wtxids.
 */
import { randomBytes } from 'node:crypto';
import { concatBytes } from '../../src/work/bytes.js';
import { merkleBranch } from '../../src/work/merkle.js';
import { writeCompactSize, txid, wtxid } from '../../src/work/transaction.js';
import { outputsValue, parseOutputList, type TxOutput } from '../../src/work/tx-outputs.js';
import { blockSubsidy } from '../../src/work/subsidy.js';
import { witnessCommitment, witnessCommitmentScript, witnessMerkleRoot, ZERO_WITNESS_RESERVED_VALUE } from '../../src/work/witness-commitment.js';
import { bip34HeightPush, type LabBlocks } from './block-data.js';

export interface TemplateBlock {
  height: number;
  /** Internal byte order. */
  prevHash: Uint8Array;
  nbits: number;
  transactions: Uint8Array[];
  txids: Uint8Array[];
  wtxids: Uint8Array[];
  /** Fees of all the transactions (sat). */
  fees: bigint;
  source: string;
}

export interface LabTemplate {
  templateId: bigint;
  block: TemplateBlock;
  /** Height the template's coinbase commits to (BIP34). */
  height: number;
  /** How many of the block's transactions it carries. */
  count: number;
  transactions: Uint8Array[];
  txids: Uint8Array[];
  wtxids: Uint8Array[];
  merklePath: Uint8Array[];
  version: number;
  coinbaseTxVersion: number;
  coinbasePrefix: Uint8Array;
  sequence: number;
  locktime: number;
  valueRemaining: bigint;
  /** The template's own coinbase outputs (the witness commitment). */
  outputs: TxOutput[];
}

/** BIP9 top bits: what Bitcoin Core puts in a template's version today. */
export const TEMPLATE_VERSION = 0x20000000;

function syntheticTransactions(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const value = new Uint8Array(8);
    new DataView(value.buffer).setBigUint64(0, BigInt(10_000 + i), true);
    const input = concatBytes(new Uint8Array(randomBytes(32)), Uint8Array.of(i & 0xff, 0, 0, 0), Uint8Array.of(0), Uint8Array.of(0xff, 0xff, 0xff, 0xff));
    const outputs = concatBytes(Uint8Array.of(1), value, Uint8Array.of(1, 0x51));
    const segwit = i % 2 === 1;
    out.push(
      segwit
        ? concatBytes(
            Uint8Array.of(2, 0, 0, 0, 0, 1, 1),
            input,
            outputs,
            Uint8Array.of(1),
            writeCompactSize(64),
            new Uint8Array(randomBytes(64)),
            new Uint8Array(4),
          )
        : concatBytes(Uint8Array.of(2, 0, 0, 0, 1), input, outputs, new Uint8Array(4)),
    );
  }
  return out;
}

/** The blocks the TP can serve templates from: those with raw transactions, else synthetic ones. */
export function templateBlocks(labBlocks: LabBlocks): TemplateBlock[] {
  const withTxs = labBlocks.blocks.filter((b) => b.transactions.length > 0);
  if (withTxs.length > 0) {
    return withTxs.map((b) => {
      let total = 0n;
      try {
        total = outputsValue(parseOutputList(b.coinbaseOutputs));
      } catch {
        total = 0n;
      }
      const subsidy = blockSubsidy(b.height);
      return {
        height: b.height,
        prevHash: b.prevHash,
        nbits: b.nbits,
        transactions: b.transactions,
        txids: b.transactions.map((t) => txid(t)),
        wtxids: b.transactions.map((t) => wtxid(t)),
        fees: total > subsidy ? total - subsidy : 0n,
        source: b.source,
      };
    });
  }
  return labBlocks.blocks.slice(0, 2).map((b, i) => {
    const txs = syntheticTransactions(24 + 8 * i);
    return {
      height: b.height,
      prevHash: b.prevHash,
      nbits: b.nbits,
      transactions: txs,
      txids: txs.map((t) => txid(t)),
      wtxids: txs.map((t) => wtxid(t)),
      fees: BigInt(txs.length) * 1_000n,
      source: 'synthetic transactions (vectors folder not found)',
    };
  });
}

/** The template carrying the first `count` transactions of `block`, at `height`. */
export function buildLabTemplate(templateId: bigint, block: TemplateBlock, count: number, height = block.height): LabTemplate {
  const n = Math.max(0, Math.min(count, block.transactions.length));
  const txids = block.txids.slice(0, n);
  const wtxids = block.wtxids.slice(0, n);
  const fees = block.transactions.length === 0 ? 0n : (block.fees * BigInt(n)) / BigInt(block.transactions.length);
  const commitment = witnessCommitment(witnessMerkleRoot(wtxids), ZERO_WITNESS_RESERVED_VALUE);
  return {
    templateId,
    block,
    height,
    count: n,
    transactions: block.transactions.slice(0, n),
    txids,
    wtxids,
    // The branch of the coinbase (index 0) does not depend on the coinbase itself: a placeholder leaf.
    merklePath: merkleBranch([new Uint8Array(32), ...txids], 0),
    version: TEMPLATE_VERSION,
    coinbaseTxVersion: 2,
    coinbasePrefix: bip34HeightPush(height),
    sequence: 0xffffffff,
    locktime: 0,
    valueRemaining: blockSubsidy(height) + fees,
    outputs: [{ value: 0n, scriptPubKey: witnessCommitmentScript(commitment) }],
  };
}
