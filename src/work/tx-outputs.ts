/**
 * Transaction outputs as the coinbase protocols carry them: `value u64 LE | CompactSize script length |
 * script`, either as a CompactSize-prefixed list (a transaction's outputs section;
 * AllocateMiningJobToken.Success and SetCustomMiningJob `coinbase_tx_outputs`) or as a bare list whose
 * count travels separately (Template Distribution NewTemplate `coinbase_tx_outputs` +
 * `coinbase_tx_outputs_count`, spec 07 section 7.3).
 */
import { concatBytes } from './bytes.js';
import { readCompactSize, TxParseError, writeCompactSize } from './transaction.js';

export interface TxOutput {
  /** Satoshis. */
  value: bigint;
  scriptPubKey: Uint8Array;
}

/** Bitcoin's MAX_MONEY (21 million BTC in satoshis): no output or sum of outputs may exceed it. */
export const MAX_MONEY = 2_100_000_000_000_000n;

/** Parses exactly `count` outputs filling `b` (no trailing bytes). Throws TxParseError. */
export function parseOutputs(b: Uint8Array, count: number, offset = 0): TxOutput[] {
  const out: TxOutput[] = [];
  let o = offset;
  for (let i = 0; i < count; i++) {
    if (o + 8 > b.length) throw new TxParseError(`output ${i} value runs past the end (${o}+8 > ${b.length})`);
    let v = 0n;
    for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[o + k] as number);
    o += 8;
    const len = readCompactSize(b, o);
    o += len.size;
    if (o + len.value > b.length) throw new TxParseError(`output ${i} script runs past the end (${o}+${len.value} > ${b.length})`);
    out.push({ value: v, scriptPubKey: b.slice(o, o + len.value) });
    o += len.value;
  }
  if (o !== b.length) throw new TxParseError(`${b.length - o} bytes after the last of ${count} outputs`);
  return out;
}

/** Parses a CompactSize-prefixed output list. Throws TxParseError. */
export function parseOutputList(b: Uint8Array): TxOutput[] {
  const n = readCompactSize(b, 0);
  return parseOutputs(b, n.value, n.size);
}

function encodeValue(v: bigint): Uint8Array {
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`output value ${v} does not fit a u64`);
  const b = new Uint8Array(8);
  let x = v;
  for (let k = 0; k < 8; k++) {
    b[k] = Number(x & 0xffn);
    x >>= 8n;
  }
  return b;
}

/** Serialises outputs without a count. */
export function serializeOutputs(outputs: readonly TxOutput[]): Uint8Array {
  return concatBytes(...outputs.flatMap((o) => [encodeValue(o.value), writeCompactSize(o.scriptPubKey.length), o.scriptPubKey]));
}

/** Serialises outputs with their CompactSize count first (a transaction's outputs section). */
export function serializeOutputList(outputs: readonly TxOutput[]): Uint8Array {
  return concatBytes(writeCompactSize(outputs.length), serializeOutputs(outputs));
}

/** Sum of output values. */
export function outputsValue(outputs: readonly TxOutput[]): bigint {
  return outputs.reduce((a, o) => a + o.value, 0n);
}

/**
 * Legacy sigops of output scripts, counted as Bitcoin Core's GetLegacySigOpCount (inaccurate mode):
 * OP_CHECKSIG(VERIFY) = 1, OP_CHECKMULTISIG(VERIFY) = 20. Push data is skipped so that a 0xac byte
 * inside a pushed key is not counted. Template Distribution reserves sigops in weight units (x4).
 */
export function legacySigops(script: Uint8Array): number {
  let n = 0;
  let i = 0;
  while (i < script.length) {
    const op = script[i] as number;
    i++;
    if (op >= 0x01 && op <= 0x4b) i += op;
    else if (op === 0x4c) i += 1 + (script[i] ?? 0);
    else if (op === 0x4d) i += 2 + ((script[i] ?? 0) | ((script[i + 1] ?? 0) << 8));
    else if (op === 0x4e) i += 4 + ((script[i] ?? 0) | ((script[i + 1] ?? 0) << 8) | ((script[i + 2] ?? 0) << 16) | ((script[i + 3] ?? 0) << 24));
    else if (op === 0xac || op === 0xad) n += 1;
    else if (op === 0xae || op === 0xaf) n += 20;
  }
  return n;
}
