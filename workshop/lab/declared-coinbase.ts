/**
 * A declared coinbase as a Job Declarator Server receives it in DeclareMiningJob (spec 6.4.4): prefix
 * and suffix around the full extranonce, WITH BIP141 fields. The extranonce is not sent; its size is
 * what the scriptSig length leaves after the scriptSig bytes in the prefix (the convention every JDC
 * follows, since a custom job's scriptSig is coinbase_prefix | full extranonce, spec 5.3.18).
 * Pure; throws DeclaredCoinbaseError on anything that is not such a coinbase.
 */
import { concatBytes, readU32LE } from '../../src/work/bytes.js';
import { readCompactSize } from '../../src/work/transaction.js';
import type { TxOutput } from '../../src/work/tx-outputs.js';
import { parseCoinbase } from './solution-check.js';

export class DeclaredCoinbaseError extends Error {
  override readonly name = 'DeclaredCoinbaseError';
}

export interface DeclaredCoinbase {
  version: number;
  segwit: boolean;
  /** The scriptSig bytes before the extranonce (the template's coinbase_prefix). */
  scriptSigPrefix: Uint8Array;
  fullExtranonceSize: number;
  sequence: number;
  outputs: TxOutput[];
  locktime: number;
  /** The coinbase witness (one 32-byte reserved value when segwit). */
  witness: Uint8Array[];
}

/** B0_32 bounds the full extranonce. */
const MAX_EXTRANONCE = 32;

export function parseDeclaredCoinbase(prefix: Uint8Array, suffix: Uint8Array): DeclaredCoinbase {
  if (prefix.length < 4 + 1 + 36 + 1) throw new DeclaredCoinbaseError(`coinbase prefix of ${prefix.length} bytes is too short`);
  const version = readU32LE(prefix, 0);
  let o = 4;
  const segwit = prefix[4] === 0x00 && prefix[5] === 0x01;
  if (segwit) o += 2;
  if (prefix[o] !== 1) throw new DeclaredCoinbaseError(`a coinbase has one input, the prefix says ${prefix[o] ?? '?'}`);
  o += 1 + 36;
  let sl: { value: number; size: number };
  try {
    sl = readCompactSize(prefix, o);
  } catch (err) {
    throw new DeclaredCoinbaseError(`scriptSig length: ${err instanceof Error ? err.message : String(err)}`);
  }
  o += sl.size;
  const inPrefix = prefix.length - o;
  if (inPrefix < 0) throw new DeclaredCoinbaseError('prefix ends inside the scriptSig length');
  const n = sl.value - inPrefix;
  if (n < 0 || n > MAX_EXTRANONCE) throw new DeclaredCoinbaseError(`scriptSig of ${sl.value} bytes leaves ${n} bytes of extranonce (0..${MAX_EXTRANONCE})`);
  let cb: ReturnType<typeof parseCoinbase>;
  try {
    cb = parseCoinbase(concatBytes(prefix, new Uint8Array(n), suffix));
  } catch (err) {
    throw new DeclaredCoinbaseError(`not a coinbase transaction: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    version,
    segwit,
    scriptSigPrefix: prefix.slice(o),
    fullExtranonceSize: n,
    sequence: cb.sequence,
    outputs: cb.outputs,
    locktime: cb.locktime,
    witness: cb.witness,
  };
}
