/**
 * Stratum V1 `mining.notify` + session state → the uniform Job (src/upstream/job.ts).
 *
 *   coinbase      = coinb1 | extranonce1 | extranonce2 | coinb2   → prefix = coinb1|extranonce1, suffix = coinb2
 *   prevHash      = notify prevhash with each 4-byte word byte-reversed (byte-order.ts)
 *   versionMask   = the mask the pool granted (mining.configure result or the last mining.set_version_mask), 0 if none
 *   target        = from the last mining.set_difficulty (difficulty 1 until the pool sends one: slush's protocol default)
 *   ntimeRolling  = true: V1 has no message limiting ntime; pools accept ntime from the job's value up to
 *                   about two hours ahead (Bitcoin's future-block limit), and the Job contract only lets the
 *                   miner move by the seconds actually elapsed.
 */
import { concatBytes } from '../../work/bytes.js';
import { prevHashFromStratumV1 } from '../../work/byte-order.js';
import { coinbaseTemplate } from '../../work/coinbase.js';
import type { Job, JobIssuer } from '../job.js';
import { Sv1ProtocolError } from './json-rpc.js';
import type { NotifyParams } from './pool-messages.js';

export interface Sv1Session {
  poolId: string;
  /** The client the jobs come from (their shares go back through it). */
  upstream: JobIssuer;
  extranonce1: Uint8Array;
  extranonce2Size: number;
  versionMask: number;
  target: bigint;
}

/**
 * Builds the Job. Throws Sv1ProtocolError('bad-params') when coinb1 | extranonce1 | extranonce2 | coinb2
 * is not a transaction: work on such a coinbase could never give an accepted share.
 */
export function jobFromNotify(n: NotifyParams, s: Sv1Session, receivedAt: number, clean = n.cleanJobs): Job {
  const prefix = concatBytes(n.coinb1, s.extranonce1);
  try {
    coinbaseTemplate(prefix, s.extranonce2Size, n.coinb2);
  } catch (err) {
    throw new Sv1ProtocolError('bad-params', `mining.notify ${n.jobId}: coinbase does not parse (${err instanceof Error ? err.message : String(err)})`);
  }
  return {
    id: n.jobId,
    source: { poolId: s.poolId, protocol: 'sv1' },
    upstream: s.upstream,
    prevHash: prevHashFromStratumV1(n.prevHashStratum),
    version: n.version,
    versionMask: s.versionMask,
    nbits: n.nbits,
    ntime: n.ntime,
    ntimeRolling: true,
    target: s.target,
    clean,
    receivedAt,
    work: {
      kind: 'coinbase',
      coinbasePrefix: prefix,
      coinbaseSuffix: n.coinb2,
      extranonceSize: s.extranonce2Size,
      merkleBranch: n.merkleBranch,
    },
  };
}
