/**
 * Hop 3 of the share path (docs/architecture.md): turns one Job into a stream of work units (header
 * fields, src/mining/work-unit.ts) per chain such that no two chains, and no two units of a chain, ever
 * cover the same search space.
 *
 * The space of a job is (extranonce, ntime, version, nonce). The nonce range is split among the chips of
 * a chain by the chips themselves (address and core bits). The version bits under `rollMask` are rolled
 * by the chips (in-chip rolling or BM1397 midstates). What remains is partitioned here:
 *   - coinbase work: extranonce = chain index (first byte) | per-chain counter (remaining bytes, big-endian);
 *   - header-only work (SV2 standard channel): the job's version-mask bits outside rollMask carry
 *     (counter × chains + chain index);
 *   - when both run out, ntime advances one second per exhausted space, but never beyond the seconds
 *     elapsed since the job became active when the job allows ntime rolling (SV2 spec: ntime ≤ min_ntime
 *     + elapsed), and not at all when it does not.
 */
import type { Clock } from '../clock.js';
import type { Job } from '../upstream/job.js';
import { coinbaseTemplate, merkleRootForExtranonce, type CoinbaseTemplate } from '../work/coinbase.js';
import { depositBits, popcount32 } from '../work/version-rolling.js';
import type { WorkUnit } from './work-unit.js';

export class WorkSpaceError extends Error {
  override readonly name = 'WorkSpaceError';
}

let nextUnitId = 1;

/** The largest counter that fits in `bytes` bytes, capped to keep arithmetic exact. */
function capacity(bytes: number): number {
  return bytes >= 6 ? 2 ** 48 : 2 ** (8 * bytes);
}

export class JobWorkGenerator {
  private readonly template?: CoinbaseTemplate;
  private readonly counters: number[];
  /** Units per ntime value for one chain. */
  private readonly perNtime: number;
  /** Distinct extranonce counter values per chain (1 when there is no counter byte). */
  private readonly enCapacity: number;
  private readonly chainInVersion: boolean;

  constructor(
    readonly job: Job,
    private readonly chains: number,
    private readonly clock: Clock,
    /** Version bits the chips of every chain roll themselves (must be within job.versionMask). */
    private readonly rollMask: number,
  ) {
    if (chains < 1 || chains > 256) throw new WorkSpaceError(`chain count ${chains} outside 1..256`);
    if ((rollMask & ~job.versionMask) !== 0) throw new WorkSpaceError('roll mask exceeds the job version mask');
    this.counters = new Array<number>(chains).fill(0);
    const freeVersionBits = popcount32(job.versionMask & ~rollMask);
    const enSize = job.work.kind === 'coinbase' ? job.work.extranonceSize : 0;
    if (job.work.kind === 'coinbase') {
      this.template = coinbaseTemplate(job.work.coinbasePrefix, enSize, job.work.coinbaseSuffix);
    }
    // The first extranonce byte names the chain; without extranonce the chain goes into version bits.
    this.chainInVersion = enSize === 0;
    const chainBits = this.chainInVersion ? Math.ceil(Math.log2(chains)) : 0;
    if (freeVersionBits < chainBits) {
      throw new WorkSpaceError(`${freeVersionBits} free version bits cannot separate ${chains} chains of a job without extranonce`);
    }
    this.enCapacity = enSize >= 2 ? capacity(enSize - 1) : 1;
    this.perNtime = this.enCapacity * 2 ** Math.min(freeVersionBits - chainBits, 24);
  }

  /**
   * The next unit for `chain`, or undefined when its space is used up for now (the job forbids further
   * ntime rolling yet): the caller keeps the chain on its current unit and counts the exhaustion.
   */
  next(chain: number): WorkUnit | undefined {
    if (chain < 0 || chain >= this.chains) throw new WorkSpaceError(`chain ${chain} outside 0..${this.chains - 1}`);
    const job = this.job;
    const k = this.counters[chain] as number;
    const ntimeStep = Math.floor(k / this.perNtime);
    if (ntimeStep > 0) {
      if (!job.ntimeRolling) return undefined;
      const elapsed = Math.floor((this.clock.now() - job.receivedAt) / 1000);
      if (ntimeStep > elapsed) return undefined;
    }
    this.counters[chain] = k + 1;
    const within = k % this.perNtime;
    const freeMask = (job.versionMask & ~this.rollMask) >>> 0;
    const enCounter = within % this.enCapacity;
    const versionIndex = this.chainInVersion ? Math.floor(within / this.enCapacity) * this.chains + chain : Math.floor(within / this.enCapacity);
    let extranonce: Uint8Array | undefined;
    let merkleRoot: Uint8Array;
    if (job.work.kind === 'coinbase') {
      const t = this.template as CoinbaseTemplate;
      extranonce = new Uint8Array(t.extranonceLength);
      if (extranonce.length >= 1) extranonce[0] = chain;
      let c = enCounter;
      for (let i = extranonce.length - 1; i >= 1 && c > 0; i--) {
        extranonce[i] = c % 256;
        c = Math.floor(c / 256);
      }
      merkleRoot = merkleRootForExtranonce(t, extranonce, job.work.merkleBranch);
    } else {
      merkleRoot = job.work.merkleRoot;
    }
    // One unit of header fields (hop 3): the chain encodes its frame from these, the nonce check hashes them.
    return {
      id: nextUnitId++,
      job,
      chain,
      version: ((job.version & ~freeMask) | depositBits(versionIndex, freeMask)) >>> 0,
      rollMask: this.rollMask,
      prevHash: job.prevHash,
      merkleRoot,
      ntime: (job.ntime + ntimeStep) >>> 0,
      nbits: job.nbits,
      createdAt: this.clock.now(),
      ...(extranonce ? { extranonce } : {}),
    };
  }
}
