/**
 * Just enough of the Bitcoin transaction serialisation to compute txids: CompactSize integers, the
 * BIP141 (segwit) layout, and the non-witness form a txid is computed over.
 *
 * BIP141 serialisation: version | marker 0x00 | flag 0x01 | inputs | outputs | witnesses | locktime.
 * The txid is SHA-256d of the same transaction without marker, flag and witnesses.
 */
import { concatBytes } from './bytes.js';
import { sha256d } from './sha256d.js';

export class TxParseError extends Error {
  override readonly name = 'TxParseError';
}

/** Upper bound on any count or length read from a transaction (a block is at most 4 MB). */
const MAX_TX_ITEM = 4_000_000;

export function readCompactSize(b: Uint8Array, o: number): { value: number; size: number } {
  if (o >= b.length) throw new TxParseError(`CompactSize past end at ${o}`);
  const first = b[o] as number;
  if (first < 0xfd) return { value: first, size: 1 };
  const n = first === 0xfd ? 2 : first === 0xfe ? 4 : 8;
  if (o + 1 + n > b.length) throw new TxParseError(`CompactSize past end at ${o}`);
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + (b[o + 1 + i] as number);
  if (v > MAX_TX_ITEM) throw new TxParseError(`CompactSize ${v} at ${o} is larger than any transaction`);
  return { value: v, size: 1 + n };
}

export function writeCompactSize(v: number): Uint8Array {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`CompactSize must be a non-negative integer, got ${v}`);
  if (v < 0xfd) return Uint8Array.of(v);
  if (v <= 0xffff) return Uint8Array.of(0xfd, v & 0xff, v >>> 8);
  if (v <= 0xffffffff) return Uint8Array.of(0xfe, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  const out = new Uint8Array(9);
  out[0] = 0xff;
  let x = v;
  for (let i = 1; i < 9; i++) {
    out[i] = x % 256;
    x = Math.floor(x / 256);
  }
  return out;
}

/** Byte ranges of a serialised transaction. */
export interface TxLayout {
  segwit: boolean;
  inputCount: number;
  outputCount: number;
  /** [start, end) of the inputs and outputs (count prefixes included), excluding marker/flag. */
  bodyStart: number;
  bodyEnd: number;
  /** [start, end) of the witness section (empty when not segwit). */
  witnessStart: number;
  witnessEnd: number;
  /** Offset of the 4-byte locktime; equals length - 4. */
  locktime: number;
}

function need(b: Uint8Array, o: number, n: number, what: string): void {
  if (o + n > b.length) throw new TxParseError(`${what} runs past the end of the transaction (${o}+${n} > ${b.length})`);
}

/** Parses the layout of a transaction (either serialisation). Throws TxParseError on malformed bytes. */
export function parseTxLayout(tx: Uint8Array): TxLayout {
  const l = layoutAt(tx, 0);
  if (l.locktime + 4 !== tx.length) throw new TxParseError(`${tx.length - l.locktime - 4} trailing bytes after locktime`);
  return l;
}

/**
 * Length in bytes of the transaction that starts at `offset` inside a larger buffer (a block or a list
 * of transactions). Throws TxParseError when it is malformed or truncated.
 */
export function txLengthAt(b: Uint8Array, offset: number): number {
  return layoutAt(b, offset).locktime + 4 - offset;
}

/** Layout of the transaction starting at `start`; offsets are absolute within `tx`. */
function layoutAt(tx: Uint8Array, start: number): TxLayout {
  need(tx, start, 4, 'version');
  let o = start + 4;
  let segwit = false;
  if (tx.length > o + 2 && tx[o] === 0x00 && tx[o + 1] === 0x01) {
    segwit = true;
    o += 2;
  }
  const bodyStart = o;
  const ins = readCompactSize(tx, o);
  o += ins.size;
  for (let i = 0; i < ins.value; i++) {
    need(tx, o, 36, `input ${i} outpoint`);
    o += 36;
    const sl = readCompactSize(tx, o);
    o += sl.size;
    need(tx, o, sl.value + 4, `input ${i} script`);
    o += sl.value + 4;
  }
  const outs = readCompactSize(tx, o);
  o += outs.size;
  for (let i = 0; i < outs.value; i++) {
    need(tx, o, 8, `output ${i} value`);
    o += 8;
    const sl = readCompactSize(tx, o);
    o += sl.size;
    need(tx, o, sl.value, `output ${i} script`);
    o += sl.value;
  }
  const bodyEnd = o;
  const witnessStart = o;
  if (segwit) {
    for (let i = 0; i < ins.value; i++) {
      const items = readCompactSize(tx, o);
      o += items.size;
      for (let j = 0; j < items.value; j++) {
        const len = readCompactSize(tx, o);
        o += len.size;
        need(tx, o, len.value, `witness ${i}.${j}`);
        o += len.value;
      }
    }
  }
  const witnessEnd = o;
  need(tx, o, 4, 'locktime');
  return { segwit, inputCount: ins.value, outputCount: outs.value, bodyStart, bodyEnd, witnessStart, witnessEnd, locktime: o };
}

/** The non-witness serialisation (unchanged when the transaction has no BIP141 fields). */
export function stripWitness(tx: Uint8Array): Uint8Array {
  const l = parseTxLayout(tx);
  if (!l.segwit) return tx;
  return concatBytes(tx.subarray(0, 4), tx.subarray(l.bodyStart, l.bodyEnd), tx.subarray(l.locktime));
}

/** txid in internal byte order: SHA-256d of the non-witness serialisation. */
export function txid(tx: Uint8Array): Uint8Array {
  return sha256d(stripWitness(tx));
}

/** wtxid in internal byte order: SHA-256d of the full serialisation (BIP141). */
export function wtxid(tx: Uint8Array): Uint8Array {
  return sha256d(tx);
}
