/**
 * Shares and blocks of the Job Declaration upstream (jd-upstream.ts composes it). A share goes back to
 * the job record that issued its job (jd-declarations.ts): solo jobs only count it, a job the pool has
 * not acknowledged yet holds it (optimistic mining, spec 6.3.1), an accepted custom job sends it to the
 * pair that declared it (SubmitSharesExtended on the pool's job id), a refused or abandoned job loses it.
 * Every share that meets the network target is a block: it goes to the own node (SubmitSolution) and in
 * full-template mode to the JDS (PushSolution), whatever the pool says.
 */
import { concatBytes, toHex } from '../../work/bytes.js';
import { buildHeader, headerHash } from '../../work/header.js';
import { merkleRootFromBranch } from '../../work/merkle.js';
import { hashToBigInt, nbitsToTarget, targetToDifficulty } from '../../work/target.js';
import { txid } from '../../work/transaction.js';
import type { Share, ShareOutcome } from '../job.js';
import { countShareOutcome, emptyUpstreamStats, type UpstreamStats } from '../upstream.js';
import { assembleCoinbase } from './jd-coinbase.js';
import type { JdPair } from './jd-pair.js';
import { primaryCode } from './declaration-refusal.js';
import type { ShareCode } from '../share-code.js';
import type { JdContext } from './jd-context.js';
import type { HeldShareSink, JobRecord } from './jd-declarations.js';

/**
 * SubmitShares.Error codes about one share, not the job (SRI mining lib.rs ERROR_CODE_SUBMIT_SHARES_*,
 * stratum @ 268022034c): a pool answering these is not refusing our template.
 */
const SHARE_LEVEL_CODES: ReadonlySet<ShareCode> = new Set<ShareCode>(['difficulty-too-low', 'duplicate-share', 'stale-share', 'bad-extranonce-size']);

export class JdShares implements HeldShareSink {
  /** The upstream's share counters (`stats()` without its `jd` part). */
  readonly counters: UpstreamStats = emptyUpstreamStats();
  private readonly blocksSeen = new Set<string>();

  /**
   * `rejected` hears of a verified share of an acknowledged custom job that the pool rejected for a
   * reason about the job, not the share: a refusal of our work (jd-fallback.ts raises the alarm).
   */
  constructor(
    private readonly ctx: JdContext,
    private readonly rejected: (rec: JobRecord, error: string, code: string) => void,
  ) {}

  submit(share: Share, rec: JobRecord | undefined): Promise<ShareOutcome> {
    if (share.isBlock || this.meetsNetwork(share)) this.propagateBlock(share, rec);
    if (!rec) return this.done(share, { status: 'lost', reason: 'lost-to-switch' });
    switch (rec.state) {
      case 'solo':
        // No pool: the share only measures our hashrate against the local share target.
        this.ctx.jd.soloShares++;
        return this.done(share, { status: 'accepted' });
      case 'pending':
        if (rec.held.length >= (this.ctx.o.maxHeldShares ?? 10_000)) return this.done(share, { status: 'lost', reason: 'lost-to-timeout' });
        this.ctx.jd.sharesHeldTotal++;
        // Counted when it resolves (sent on acceptance, or lost on refusal).
        return new Promise<ShareOutcome>((resolve) => rec.held.push({ share, resolve }));
      case 'accepted':
        return this.send(rec, share);
      case 'refused':
      case 'abandoned':
        return this.done(share, { status: 'lost', reason: rec.lostReason ?? 'lost-refused-job' });
    }
  }

  /**
   * Hands a block candidate to the own node (SubmitSolution) and, in full-template mode, to the JDS
   * (PushSolution). Checked against nbits first; each block once. The share path can call this for a
   * block whose job it considers stale (the block may still be good). Returns true when submitted.
   */
  propagateBlock(share: Share, rec: JobRecord | undefined): boolean {
    if (!rec || !share.extranonce) return false;
    const full = concatBytes(rec.extranoncePrefix, share.extranonce);
    let coinbase: Uint8Array;
    try {
      coinbase = assembleCoinbase(rec.parts, full);
    } catch {
      return false;
    }
    const t = rec.template;
    const root = merkleRootFromBranch(txid(coinbase), t.template.merklePath);
    const header = buildHeader({
      version: share.version >>> 0,
      prevHash: t.prevHash,
      merkleRoot: root,
      ntime: share.ntime >>> 0,
      nbits: t.nbits,
      nonce: share.nonce >>> 0,
    });
    const hash = headerHash(header);
    let target: bigint;
    try {
      target = nbitsToTarget(t.nbits);
    } catch {
      return false;
    }
    if (hashToBigInt(hash) > target) return false;
    const key = toHex(hash);
    if (this.blocksSeen.has(key)) return false;
    this.blocksSeen.add(key);
    if (this.blocksSeen.size > 64) this.blocksSeen.delete(this.blocksSeen.values().next().value as string);
    this.ctx.jd.blocksFound++;
    const sent = this.ctx.tdp.submitSolution({
      templateId: t.template.templateId,
      version: share.version,
      headerTimestamp: share.ntime,
      headerNonce: share.nonce,
      coinbaseTx: coinbase,
    });
    if (sent) this.ctx.jd.blocksSubmitted++;
    let pushed = false;
    if (rec.pair && this.ctx.o.mode === 'full-template') {
      pushed = rec.pair.jds.pushSolution({
        extranonce: full,
        prevHash: t.prevHash,
        nonce: share.nonce,
        ntime: share.ntime,
        nbits: t.nbits,
        version: share.version,
      });
    }
    const hashDisplay = toHex(hash.slice().reverse());
    this.ctx.log.warn(
      { hash: hashDisplay, templateId: String(t.template.templateId), pool: rec.pair?.name ?? 'solo', submitted: sent, pushedToJds: pushed },
      'BLOCK FOUND: handed to the own node (SubmitSolution)',
    );
    this.ctx.emit('block', { hash: hashDisplay, templateId: String(t.template.templateId), pool: rec.pair?.name ?? null, pushedToJds: pushed });
    return true;
  }

  private meetsNetwork(share: Share): boolean {
    try {
      return hashToBigInt(share.hash) <= nbitsToTarget(share.job.nbits);
    } catch {
      return false;
    }
  }

  async send(rec: JobRecord, share: Share): Promise<ShareOutcome> {
    const pair = rec.pair as JdPair;
    const o = await pair.mining.submitCustom(share, rec.customJobId as number, rec.poolTarget ?? rec.job.target);
    // A verified share of an acknowledged custom job that the pool rejects is a refusal of our work
    // (spec 6.2). Stale answers, and codes about the one share rather than the job, are not.
    if (o.status === 'rejected' && !rec.alarmed && rec.state === 'accepted' && !SHARE_LEVEL_CODES.has(o.reason)) {
      // A code outside the known list arrives as `other` with the pool's own code as its detail.
      const said = o.reason === 'other' && o.detail ? o.detail : o.reason;
      this.rejected(rec, said, primaryCode(said));
    }
    return this.count(share, o);
  }

  private done(share: Share, o: ShareOutcome): Promise<ShareOutcome> {
    return Promise.resolve(this.count(share, o));
  }

  count(share: Share, o: ShareOutcome): ShareOutcome {
    const c = this.counters;
    countShareOutcome(c, o, targetToDifficulty(share.job.target), this.ctx.clock.now());
    if (o.status === 'lost') {
      // JD keeps lost reasons with the pool's reasons, and counts shares of refused jobs apart.
      if (o.reason === 'lost-refused-job') this.ctx.jd.lostRefused++;
      c.rejectReasons[o.reason] = (c.rejectReasons[o.reason] ?? 0) + 1;
    }
    return o;
  }
}
