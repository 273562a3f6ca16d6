/**
 * A lab SV2 extended-channel Job for driving chains in tests: a minimal coinbase (one input, one
 * OP_TRUE output), an 8-byte extranonce, one merkle branch and the BIP320 version mask. The prev hash
 * is filled with `prevHashFill`; the share target is `difficulty`.
 */
import { systemClock } from '../../src/clock.js';
import type { Job } from '../../src/upstream/job.js';
import { fromHex } from '../../src/work/bytes.js';
import { difficultyToTarget } from '../../src/work/target.js';
import { BIP320_MASK } from '../../src/work/version-rolling.js';
import { testIssuer } from './job-issuer.js';

export function coinbaseJob(o: { id: string; prevHashFill: number; difficulty: number }): Job {
  return {
    id: o.id,
    source: { poolId: 'lab', protocol: 'sv2', channelId: 1 },
    upstream: testIssuer('lab'),
    prevHash: new Uint8Array(32).fill(o.prevHashFill),
    version: 0x20000000,
    versionMask: BIP320_MASK,
    nbits: 0x1d00ffff,
    ntime: Math.floor(Date.now() / 1000),
    ntimeRolling: true,
    target: difficultyToTarget(o.difficulty),
    clean: true,
    receivedAt: systemClock.now(),
    work: {
      kind: 'coinbase',
      coinbasePrefix: fromHex('01000000' + '01' + '00'.repeat(32) + 'ffffffff' + '0c' + '03a08601'),
      coinbaseSuffix: fromHex('ffffffff' + '01' + '0000000000000000' + '0151' + '00000000'),
      extranonceSize: 8,
      merkleBranch: [new Uint8Array(32).fill(5)],
    },
  };
}
