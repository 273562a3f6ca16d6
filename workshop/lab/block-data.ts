/**
 * Block material for the lab servers (pools, template provider): real mainnet blocks read from the
 * shared vectors folder (../shared/vectors/real, or $ASIC_AGENT_VECTORS) — their prev hash, version,
 * nbits, ntime, coinbase outputs, merkle branch and, where the vectors have them, full transactions.
 * Nothing is copied into the repository: when the folder is missing, `loadLabBlocks` builds synthetic
 * blocks with our own code and says so (`real: false`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../../src/package-root.js';
import { randomBytes } from 'node:crypto';
import { concatBytes, fromHex, readU32LE } from '../../src/work/bytes.js';
import { reverseBytes } from '../../src/work/byte-order.js';
import { merkleBranch } from '../../src/work/merkle.js';
import { readCompactSize, txLengthAt, txid, writeCompactSize, parseTxLayout } from '../../src/work/transaction.js';
import { sha256d } from '../../src/work/sha256d.js';

export interface LabBlock {
  height: number;
  /** Internal byte order. */
  prevHash: Uint8Array;
  version: number;
  nbits: number;
  ntime: number;
  /** Serialised coinbase outputs, CompactSize count first (as in a transaction). */
  coinbaseOutputs: Uint8Array;
  /** Siblings of the coinbase txid, deepest first, internal order. */
  merkleBranch: Uint8Array[];
  /** Non-coinbase transactions (raw, possibly with witness) when the vectors have the whole block. */
  transactions: Uint8Array[];
  /** Their txids (internal order), in block order, when known. */
  txids: Uint8Array[];
  source: string;
}

export interface LabBlocks {
  blocks: LabBlock[];
  /** True when the blocks come from real vectors; false for synthetic fallback data. */
  real: boolean;
  dir: string;
}

export function defaultVectorsDir(): string {
  return resolve(process.env.ASIC_AGENT_VECTORS ?? join(packageRoot(), '..', 'shared', 'vectors'));
}

/** Outputs section (count + outputs) of a transaction. */
function outputsOf(tx: Uint8Array): Uint8Array {
  const l = parseTxLayout(tx);
  // Skip the inputs to find where the output count begins.
  let o = l.bodyStart;
  const ins = readCompactSize(tx, o);
  o += ins.size;
  for (let i = 0; i < ins.value; i++) {
    o += 36;
    const sl = readCompactSize(tx, o);
    o += sl.size + sl.value + 4;
  }
  return tx.slice(o, l.bodyEnd);
}

function headerFields(h: Uint8Array): Pick<LabBlock, 'prevHash' | 'version' | 'nbits' | 'ntime'> {
  return { version: readU32LE(h, 0), prevHash: h.slice(4, 36), ntime: readU32LE(h, 68), nbits: readU32LE(h, 72) };
}

function readJson<T>(p: string): T {
  return JSON.parse(readFileSync(p, 'utf8')) as T;
}

function realBlocks(dir: string): LabBlock[] {
  const real = join(dir, 'real');
  const out: LabBlock[] = [];

  // Block 227836: the whole raw block, so templates can carry real transactions.
  const rawPath = join(real, 'block-227836.raw.hex');
  if (existsSync(rawPath)) {
    const raw = fromHex(readFileSync(rawPath, 'utf8').trim());
    const count = readCompactSize(raw, 80);
    let o = 80 + count.size;
    const txs: Uint8Array[] = [];
    for (let i = 0; i < count.value; i++) {
      const len = txLengthAt(raw, o);
      txs.push(raw.slice(o, o + len));
      o += len;
    }
    const ids = txs.map((t) => txid(t));
    out.push({
      height: 227836,
      ...headerFields(raw.subarray(0, 80)),
      coinbaseOutputs: outputsOf(txs[0] as Uint8Array),
      merkleBranch: merkleBranch(ids, 0),
      transactions: txs.slice(1),
      txids: ids.slice(1),
      source: 'real/block-227836.raw.hex',
    });
  }

  // Block 481829: header, coinbase and all 2020 txids (no raw transactions).
  const p481 = join(real, 'block-481829-coinbase-txids.json');
  if (existsSync(p481)) {
    const j = readJson<{ header_hex: string; coinbase_tx_nonwitness_hex: string; txids_display: string[] }>(p481);
    const ids = j.txids_display.map((h) => reverseBytes(fromHex(h)));
    out.push({
      height: 481829,
      ...headerFields(fromHex(j.header_hex)),
      coinbaseOutputs: outputsOf(fromHex(j.coinbase_tx_nonwitness_hex)),
      merkleBranch: merkleBranch(ids, 0),
      transactions: [],
      txids: ids.slice(1),
      source: 'real/block-481829-coinbase-txids.json',
    });
  }

  // Block 881423: header, coinbase and the 11-hash branch.
  const p881 = join(real, 'block-881423-stratum-job-version-rolled.json');
  if (existsSync(p881)) {
    const j = readJson<{ header_hex: string; coinbase_tx_nonwitness_hex: string; merkle_branch_internal_hex: string[] }>(p881);
    const h = fromHex(j.header_hex);
    out.push({
      height: 881423,
      ...headerFields(h),
      // The header version carries rolled bits; the job version is 0x20000000 (BIP9 top bits only).
      version: 0x20000000,
      coinbaseOutputs: outputsOf(fromHex(j.coinbase_tx_nonwitness_hex)),
      merkleBranch: j.merkle_branch_internal_hex.map(fromHex),
      transactions: [],
      txids: [],
      source: 'real/block-881423-stratum-job-version-rolled.json',
    });
  }
  return out;
}

/** Synthetic blocks when no vectors are available: random branches, a pay-to-anyone-can-spend output. */
function syntheticBlocks(n = 3): LabBlock[] {
  const out: LabBlock[] = [];
  for (let i = 0; i < n; i++) {
    const branch = Array.from({ length: 6 + i }, () => new Uint8Array(randomBytes(32)));
    // One output of 3.125 BTC to OP_TRUE (0x51): obviously lab-only.
    const value = new Uint8Array(8);
    new DataView(value.buffer).setBigUint64(0, 312_500_000n, true);
    out.push({
      height: 900_000 + i,
      prevHash: new Uint8Array(randomBytes(32)),
      version: 0x20000000,
      nbits: 0x17023a04,
      ntime: Math.floor(Date.now() / 1000),
      coinbaseOutputs: concatBytes(Uint8Array.of(1), value, Uint8Array.of(1, 0x51)),
      merkleBranch: branch,
      transactions: [],
      txids: [],
      source: 'synthetic (vectors folder not found)',
    });
  }
  return out;
}

export function loadLabBlocks(dir = defaultVectorsDir()): LabBlocks {
  const blocks = existsSync(dir) ? realBlocks(dir) : [];
  if (blocks.length > 0) return { blocks, real: true, dir };
  return { blocks: syntheticBlocks(), real: false, dir };
}

/** BIP34 height push: the minimal little-endian encoding of the height, prefixed by its length. */
export function bip34HeightPush(height: number): Uint8Array {
  const bytes: number[] = [];
  let h = height;
  while (h > 0) {
    bytes.push(h & 0xff);
    h = Math.floor(h / 256);
  }
  if (bytes.length > 0 && ((bytes[bytes.length - 1] as number) & 0x80) !== 0) bytes.push(0);
  return Uint8Array.of(bytes.length, ...bytes);
}

/** The height a coinbase scriptSig commits to (its first push, BIP34); undefined when it is not one. */
export function bip34Height(scriptSig: Uint8Array): number | undefined {
  const n = scriptSig[0];
  if (n === undefined || n < 1 || n > 8 || scriptSig.length < 1 + n) return undefined;
  let h = 0;
  for (let i = n; i >= 1; i--) h = h * 256 + (scriptSig[i] as number);
  return h;
}

/**
 * A lab coinbase (non-witness, version 1) split around `extranonceBytes` of extranonce space:
 * scriptSig = BIP34 height | extranonce | tag. Returns prefix (up to the extranonce) and suffix.
 */
export function labCoinbase(block: LabBlock, extranonceBytes: number, tag = '/asic-agent lab/'): { prefix: Uint8Array; suffix: Uint8Array } {
  const height = bip34HeightPush(block.height);
  const tagBytes = new TextEncoder().encode(tag);
  const scriptLen = height.length + extranonceBytes + tagBytes.length;
  if (scriptLen > 100) throw new RangeError(`coinbase scriptSig of ${scriptLen} bytes exceeds the consensus limit of 100`);
  const prefix = concatBytes(
    Uint8Array.of(1, 0, 0, 0), // version 1
    Uint8Array.of(1), // one input
    new Uint8Array(32), // null prevout hash
    Uint8Array.of(0xff, 0xff, 0xff, 0xff), // prevout index
    writeCompactSize(scriptLen),
    height,
  );
  const suffix = concatBytes(tagBytes, Uint8Array.of(0xff, 0xff, 0xff, 0xff), block.coinbaseOutputs, new Uint8Array(4));
  return { prefix, suffix };
}

/** A varied prev hash for job N of a block, so that consecutive lab rounds differ (never a real tip). */
export function variedPrevHash(block: Pick<LabBlock, 'prevHash'>, round: number): Uint8Array {
  if (round === 0) return block.prevHash;
  return sha256d(concatBytes(block.prevHash, Uint8Array.of(round & 0xff, (round >>> 8) & 0xff, (round >>> 16) & 0xff, round >>> 24)));
}
