/**
 * Templates -> jobs -> declarations, the Job Declaration upstream's own work (jd-upstream.ts composes
 * it): every template from the own node becomes a coinbase and a Job for the chains at once (spec 6.3.1
 * "optimistic mining"), recorded with the pair and token it was built for, and is declared to that
 * pair's JDS and pool (DeclareMiningJob in full-template mode, then SetCustomMiningJob). The job
 * records live here: their state (solo, pending, accepted, refused, abandoned), the shares held until
 * the pool acknowledges, and the retries of a refused declaration (a stale chain tip at the pool, a
 * transient refusal). What a refusal or a failure means for the pair is the fallback's to decide
 * (jd-fallback.ts, through `DeclarationVerdicts`); held shares go out through jd-shares.ts.
 */
import type { TimerHandle } from '../../clock.js';
import { concatBytes, equalBytes, toHex } from '../../work/bytes.js';
import { merkleBranch } from '../../work/merkle.js';
import { difficultyToTarget, targetToDifficulty } from '../../work/target.js';
import { txid, wtxid } from '../../work/transaction.js';
import { legacySigops, serializeOutputs, type TxOutput } from '../../work/tx-outputs.js';
import { BIP320_MASK } from '../../work/version-rolling.js';
import type { Job, JobIssuer, Share, ShareOutcome } from '../job.js';
import { TemplateRequestError, type ActiveTemplate } from '../sv2/template-client.js';
import { JdsRequestError } from '../sv2/jds-client.js';
import { buildCoinbaseParts, CoinbaseBuildError, declaredOutputs, witnessReservedFor, type CoinbaseParts } from './jd-coinbase.js';
import type { JdPair, PairToken } from './jd-pair.js';
import type { AlarmKind } from './censorship-alarm.js';
import { classifyRefusal, type RefusalStage } from './declaration-refusal.js';
import type { JdContext } from './jd-context.js';

type JobState = 'solo' | 'pending' | 'accepted' | 'refused' | 'abandoned';
export type LostReason = Extract<ShareOutcome, { status: 'lost' }>['reason'];

/** A share waiting for SetCustomMiningJob.Success; `resolve` takes an outcome already counted. */
export interface Held {
  share: Share;
  resolve: (o: ShareOutcome) => void;
}

export interface JobRecord {
  job: Job;
  template: ActiveTemplate;
  parts: CoinbaseParts;
  extranoncePrefix: Uint8Array;
  pair: JdPair | null;
  state: JobState;
  /** The pool's outputs the coinbase pays (from the token): a new token must carry the same to reuse the record. */
  payout: Uint8Array;
  /** Declarations tried after transient refusals. */
  attempts: number;
  /** Stale-tip waits so far, and since when (the wait is bounded by staleTipWaitMs). */
  tipWaits: number;
  staleSince?: number;
  retryTimer?: TimerHandle;
  customJobId?: number;
  /**
   * The custom job's share target as the pool holds it: the channel target in force when the pool
   * accepted it (spec 5.3.21). Set on SetCustomMiningJob.Success; shares are judged against it.
   */
  poolTarget?: bigint;
  held: Held[];
  /** Outcome for shares of a refused / abandoned job. */
  lostReason?: LostReason;
  alarmed: boolean;
}

/** What a declaration's outcome asks of the censorship watch and fallback (jd-fallback.ts). */
export interface DeclarationVerdicts {
  /** The pool refused the template itself: a censorship alarm, then the policy. */
  refusal(rec: JobRecord, kind: AlarmKind, error: string, code: string, txids: string[]): void;
  /** The pair cannot take our declarations (no alarm): the policy. */
  pairFailed(pair: JdPair, detail: string): void;
  /** A custom job was accepted: the `retry` policy's delay starts over. */
  accepted(): void;
  /** The own node moved to a new prev hash: a pending `retry` of the old tip is pointless. */
  newTip(): void;
}

/** How held shares go out and are counted (jd-shares.ts). */
export interface HeldShareSink {
  /** Sends a share of an accepted custom job to its pair. */
  send(rec: JobRecord, share: Share): Promise<ShareOutcome>;
  /** Counts an outcome decided here (a held share lost); returns it. */
  count(share: Share, o: ShareOutcome): ShareOutcome;
}

/** How one declaration ended. */
export type Attempt =
  | { kind: 'accepted'; jobId: number }
  | { kind: 'refused'; stage: RefusalStage; code: string; error: string; txids: string[]; asked: boolean }
  | { kind: 'timeout'; detail: string }
  | { kind: 'interrupted'; reason: LostReason; detail: string };

const MAX_RECORDS = 64;
/** Outputs of the coinbase beyond the pool's: a generous default until the pool's are known. */
const DEFAULT_OUTPUTS_RESERVE = 256;

/** Room the coinbase needs beyond the template's outputs (CoinbaseOutputConstraints), before any pool's outputs are known. */
export function initialReserve(soloPayoutScript: Uint8Array | undefined): { size: number; sigops: number } {
  const reserve = { size: DEFAULT_OUTPUTS_RESERVE, sigops: 4 };
  if (!soloPayoutScript) return reserve;
  const solo: TxOutput = { value: 0n, scriptPubKey: soloPayoutScript };
  return { size: Math.max(reserve.size, serializeOutputs([solo]).length), sigops: Math.max(reserve.sigops, legacySigops(soloPayoutScript)) };
}

export class JdDeclarations {
  private readonly records = new Map<string, JobRecord>();
  private buildSeq = 0;
  private jobSeq = 0;
  private job: Job | undefined;
  private reserve: { size: number; sigops: number };

  /**
   * `issuer` is the upstream the jobs name (their shares go back through it); `ready` is called before
   * each new job is emitted (the upstream is ready).
   */
  constructor(
    private readonly ctx: JdContext,
    private readonly issuer: JobIssuer,
    private readonly shares: HeldShareSink,
    private readonly verdicts: DeclarationVerdicts,
    private readonly ready: () => void,
  ) {
    this.reserve = initialReserve(ctx.o.soloPayoutScript);
  }

  currentJob(): Job | undefined {
    return this.job;
  }

  /** The record that issued a job (undefined for a job it no longer keeps, or not its own). */
  find(job: Job): JobRecord | undefined {
    const rec = this.records.get(job.id);
    return rec && rec.job === job ? rec : undefined;
  }

  /** Shares waiting for SetCustomMiningJob.Success right now. */
  heldShares(): number {
    let held = 0;
    for (const r of this.records.values()) held += r.held.length;
    return held;
  }

  /** The template provider is gone: no template, no job, and the next one is clean. */
  forgetTemplate(): void {
    this.ctx.template = undefined;
    this.job = undefined;
    this.buildSeq++;
    this.ctx.forceClean = true;
  }

  /** Jobs of a pair left behind: their held shares resolve lost (accepted jobs keep draining). */
  abandonPair(pair: JdPair): void {
    for (const r of this.records.values()) if (r.pair === pair) this.abandon(r, 'lost-to-switch');
  }

  abandonAll(): void {
    for (const r of this.records.values()) this.abandon(r, 'lost-to-switch');
  }

  /** One declaration of `t` on a pair, outside the records (a recheck's probe: nothing is mined). */
  async tryOnce(t: ActiveTemplate, pair: JdPair, token: PairToken, alive: () => boolean): Promise<Attempt> {
    const rec = this.makeRecord(t, pair, token, false);
    if (!rec) return { kind: 'interrupted', reason: 'lost-to-switch', detail: 'no coinbase for this pool' };
    return this.attempt(rec, pair, token, alive);
  }

  /** Tells the TP when a pool's outputs need more room than announced (CoinbaseOutputConstraints). */
  private noteReserve(outputs: readonly TxOutput[]): void {
    const size = serializeOutputs(outputs).length;
    const sigops = outputs.reduce((a, x) => a + legacySigops(x.scriptPubKey), 0);
    if (size <= this.reserve.size && sigops <= this.reserve.sigops) return;
    this.reserve = { size: Math.max(size, this.reserve.size), sigops: Math.max(sigops, this.reserve.sigops) };
    this.ctx.log.info(
      { maxAdditionalSize: this.reserve.size, maxAdditionalSigops: this.reserve.sigops },
      'pool outputs need more coinbase room: new constraints for the template provider',
    );
    this.ctx.tdp.setConstraints({ maxAdditionalSize: this.reserve.size, maxAdditionalSigops: this.reserve.sigops });
  }

  onTemplate(t: ActiveTemplate): void {
    if (this.ctx.stopped) return;
    this.ctx.jd.templates++;
    this.ctx.template = t;
    if (t.newPrevHash) {
      // Work on the old tip is worthless; held shares of it resolve when their jobs are answered.
      this.verdicts.newTip();
    }
    this.build(t, t.newPrevHash);
  }

  build(t: ActiveTemplate, clean: boolean): void {
    const seq = ++this.buildSeq;
    if (this.ctx.solo) {
      this.emitJob(this.makeRecord(t, null, null, clean || this.ctx.forceClean));
      return;
    }
    const pair = this.ctx.pair;
    if (!pair || !pair.ready) return; // built when the pair becomes ready
    pair.takeToken(this.ctx.o.timeouts?.tokenMs ?? 10_000).then(
      (token) => {
        if (seq !== this.buildSeq || pair !== this.ctx.pair || this.ctx.solo || this.ctx.template !== t || this.ctx.stopped) {
          pair.returnToken(token);
          return;
        }
        const rec = this.makeRecord(t, pair, token, clean || this.ctx.forceClean);
        if (!rec) return;
        this.emitJob(rec);
        void this.declare(rec, token);
      },
      (err: unknown) => {
        if (pair !== this.ctx.pair || this.ctx.stopped) return;
        // A JDS that does not answer AllocateMiningJobToken raises its alarm through the pair's
        // `failure` event (the request's own timeout); here the template just goes undeclared.
        this.ctx.log.info({ pool: pair.name, err: err instanceof Error ? err.message : String(err) }, 'no token for this template');
      },
    );
  }

  /** Builds the coinbase and the Job for a template; null when the coinbase cannot be built. */
  private makeRecord(t: ActiveTemplate, pair: JdPair | null, token: PairToken | null, clean: boolean): JobRecord | null {
    const tpl = t.template;
    const ch = pair?.channel();
    const size = ch ? ch.extranonceSize : (this.ctx.o.extranonceSize ?? 8);
    const prefix = ch ? ch.extranoncePrefix.slice() : new Uint8Array(0);
    let parts: CoinbaseParts;
    try {
      const payout: TxOutput[] = token ? token.outputs : [{ value: 0n, scriptPubKey: this.ctx.o.soloPayoutScript as Uint8Array }];
      if (token) this.noteReserve(token.outputs);
      const outputs = declaredOutputs(tpl.valueRemaining, payout, tpl.outputs);
      parts = buildCoinbaseParts(
        {
          version: tpl.coinbaseTxVersion,
          scriptSigPrefix: tpl.coinbasePrefix,
          sequence: tpl.coinbaseTxInputSequence,
          outputs,
          locktime: tpl.locktime,
          witnessReservedValue: witnessReservedFor(tpl.outputs),
        },
        prefix.length + size,
      );
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.ctx.log.error({ templateId: String(tpl.templateId), pool: pair?.name ?? 'solo', err: msg }, 'cannot build a coinbase for this template');
      if (pair && err instanceof CoinbaseBuildError) this.verdicts.pairFailed(pair, `unusable coinbase outputs or extranonce: ${msg}`);
      return null;
    }
    const now = this.ctx.clock.now();
    const fixed = pair?.fixedVersion() ?? false;
    const target = ch ? ch.target : difficultyToTarget(this.ctx.o.soloShareDifficulty ?? 65_536);
    const job: Job = {
      id: `${tpl.templateId}.${++this.jobSeq}`,
      source: { poolId: this.issuer.id, protocol: 'jd', ...(ch ? { channelId: ch.channelId } : {}) },
      upstream: this.issuer,
      prevHash: t.prevHash,
      version: tpl.version,
      versionMask: fixed ? 0 : (this.ctx.o.versionMask ?? BIP320_MASK) >>> 0,
      nbits: t.nbits,
      ntime: Math.max(t.headerTimestamp, this.ctx.clock.wallSeconds()),
      ntimeRolling: true,
      target,
      clean,
      receivedAt: now,
      work: {
        kind: 'coinbase',
        coinbasePrefix: concatBytes(parts.txPrefix, prefix),
        coinbaseSuffix: parts.txSuffix,
        extranonceSize: size,
        merkleBranch: tpl.merklePath,
      },
    };
    return {
      job,
      template: t,
      parts,
      extranoncePrefix: prefix,
      pair,
      state: pair ? 'pending' : 'solo',
      payout: token ? serializeOutputs(token.outputs) : new Uint8Array(0),
      attempts: 0,
      tipWaits: 0,
      held: [],
      alarmed: false,
    };
  }

  private emitJob(rec: JobRecord | null): void {
    if (!rec) return;
    this.records.set(rec.job.id, rec);
    while (this.records.size > MAX_RECORDS) {
      const [k, old] = this.records.entries().next().value as [string, JobRecord];
      this.abandon(old, 'lost-to-switch');
      this.records.delete(k);
    }
    this.ctx.forceClean = false;
    this.job = rec.job;
    this.ctx.jd.jobs++;
    this.ctx.log.info(
      {
        job: rec.job.id,
        templateId: String(rec.template.template.templateId),
        pool: rec.pair?.name ?? 'solo',
        clean: rec.job.clean,
        difficulty: targetToDifficulty(rec.job.target),
      },
      rec.pair ? 'mining our template (optimistic, declaration under way)' : 'mining our template solo',
    );
    this.ready();
    this.ctx.emit('job', rec.job);
    if (!rec.pair) this.ctx.emit('declared', { templateId: String(rec.template.template.templateId), pool: null });
  }

  /**
   * One declaration of a record's template to a pair, start to end: in full-template mode the
   * transactions from our own node and DeclareMiningJob (ProvideMissingTransactions answered), then
   * SetCustomMiningJob to the pool. Touches no state of the upstream: the caller decides (the record's
   * declaration, or a recheck of a pair left behind). `alive` says whether the answer still matters.
   */
  private async attempt(rec: JobRecord, pair: JdPair, token: PairToken, alive: () => boolean): Promise<Attempt> {
    const t = rec.template;
    const tpl = t.template;
    let customToken = token.token;
    let declared = false;
    if (this.ctx.o.mode === 'full-template') {
      let txs: Uint8Array[];
      let excess: Uint8Array;
      try {
        const data = await this.ctx.tdp.requestTransactionData(tpl.templateId);
        txs = data.transactions;
        excess = data.excessData;
      } catch (err) {
        // Our own node could not give the transactions: not the pool's doing, no alarm.
        const code = err instanceof TemplateRequestError ? err.code : 'error';
        const detail = `no transaction data from the own node (${code}): ${err instanceof Error ? err.message : String(err)}`;
        return {
          kind: 'interrupted',
          reason: code === 'stale-template-id' ? 'lost-to-switch' : code === 'timeout' ? 'lost-to-timeout' : 'lost-to-disconnect',
          detail,
        };
      }
      const txids = txs.map((x) => txid(x));
      const path = merkleBranch([new Uint8Array(32), ...txids], 0);
      if (path.length !== tpl.merklePath.length || path.some((p, i) => !equalBytes(p, tpl.merklePath[i] as Uint8Array))) {
        return { kind: 'interrupted', reason: 'lost-to-switch', detail: 'the own node sent transactions that do not match its template' };
      }
      if (!alive()) return { kind: 'interrupted', reason: 'lost-to-switch', detail: 'no longer wanted' };
      let r: Awaited<ReturnType<typeof pair.jds.declare>>;
      try {
        this.ctx.jd.declared++;
        r = await pair.jds.declare({
          token: token.token,
          version: tpl.version,
          coinbaseTxPrefix: rec.parts.declarePrefix,
          coinbaseTxSuffix: rec.parts.declareSuffix,
          wtxids: txs.map((x) => wtxid(x)),
          excessData: excess,
          transactions: txs,
        });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (err instanceof JdsRequestError && err.code === 'timeout') return { kind: 'timeout', detail: msg };
        return { kind: 'interrupted', reason: 'lost-to-disconnect', detail: `declaration interrupted: ${msg}` };
      }
      const requested = r.requested.map((i) => txids[i]).filter((x): x is Uint8Array => x !== undefined);
      if (!r.ok) {
        this.ctx.jd.declareRefused++;
        const details = new TextDecoder('utf-8', { fatal: false }).decode(r.details);
        return {
          kind: 'refused',
          stage: 'declare',
          code: r.code,
          error: details ? `${r.code}: ${details}` : r.code,
          txids: namedTxids(details, txids, requested),
          asked: r.requested.length > 0,
        };
      }
      if (r.missingProvided > 0) this.ctx.log.info({ pool: pair.name, provided: r.missingProvided }, 'JDS asked for transactions it did not have');
      customToken = r.newToken;
      declared = true;
    }
    if (!alive()) return { kind: 'interrupted', reason: 'lost-to-switch', detail: 'no longer wanted' };
    const res = await pair.mining.setCustomMiningJob({
      miningJobToken: customToken,
      version: tpl.version,
      prevHash: t.prevHash,
      minNtime: rec.job.ntime,
      nbits: t.nbits,
      coinbaseTxVersion: tpl.coinbaseTxVersion,
      coinbasePrefix: tpl.coinbasePrefix,
      coinbaseTxInputNSequence: tpl.coinbaseTxInputSequence,
      coinbaseTxOutputs: rec.parts.outputList,
      coinbaseTxLocktime: tpl.locktime,
      merklePath: tpl.merklePath,
    });
    if (res.ok) return { kind: 'accepted', jobId: res.jobId };
    if (res.kind === 'refused') {
      this.ctx.jd.customJobsRefused++;
      // The pool names no transaction in SetCustomMiningJob.Error (it has no details field).
      return { kind: 'refused', stage: 'custom-job', code: res.code, error: res.code, txids: [], asked: declared };
    }
    if (res.kind === 'timeout') return { kind: 'timeout', detail: res.code };
    return { kind: 'interrupted', reason: 'lost-to-disconnect', detail: `custom job interrupted: pool connection lost (${res.code})` };
  }

  /** Declares a record's template on its pair and acts on the outcome. */
  private async declare(rec: JobRecord, token: PairToken): Promise<void> {
    const pair = rec.pair as JdPair;
    const out = await this.attempt(rec, pair, token, () => rec.state === 'pending');
    if (rec.state !== 'pending') return;
    switch (out.kind) {
      case 'accepted':
        return this.accept(rec, out.jobId);
      case 'interrupted':
        this.ctx.log.warn({ pool: pair.name, templateId: String(rec.template.template.templateId), detail: out.detail }, 'declaration interrupted');
        return this.abandon(rec, out.reason);
      case 'timeout':
        // Spec 5.3.19: no answer is no commitment; a slow pool is a failed pair, not a censor.
        this.abandon(rec, 'lost-to-timeout');
        return this.verdicts.pairFailed(pair, `no answer in time: ${out.detail}`);
      case 'refused':
        return this.onRefused(rec, pair, out);
    }
  }

  /** A refusal, by what its code means (declaration-refusal.ts). */
  private onRefused(rec: JobRecord, pair: JdPair, r: Extract<Attempt, { kind: 'refused' }>): void {
    const v = classifyRefusal(r.stage, r.code);
    let cls = v.cls;
    // `missing-txs` before the JDS even asked for them: it still can, next time.
    if (cls === 'template' && r.stage === 'declare' && v.code === 'missing-txs' && !r.asked) cls = 'transient';
    const templateId = String(rec.template.template.templateId);
    this.ctx.log.info({ pool: pair.name, templateId, stage: r.stage, code: v.code, class: cls, known: v.known, error: r.error }, 'declaration refused');
    switch (cls) {
      case 'template':
        return this.verdicts.refusal(rec, r.stage === 'declare' ? 'declare-refused' : 'custom-job-refused', r.error, v.code, r.txids);
      case 'stale-tip':
        return this.waitForTip(rec, pair, v.code);
      case 'transient':
      case 'token':
      case 'unknown':
        return this.retryDeclaration(rec, pair, `${v.code} (${cls})`);
      case 'declaration':
      case 'unsupported':
        this.abandon(rec, 'lost-refused-job');
        return this.verdicts.pairFailed(
          pair,
          `${r.stage === 'declare' ? 'DeclareMiningJob' : 'SetCustomMiningJob'} refused with ${v.code}: our ${cls === 'unsupported' ? 'custom jobs are not supported' : 'coinbase or job fields'}, not the template`,
        );
    }
  }

  /**
   * The pool's node is on another chain tip (usually behind ours, right after a block): not censorship.
   * Declare the same job again after a growing delay, until the pool's node has the tip, for at most
   * staleTipWaitMs; a newer prev hash from our own node supersedes it.
   */
  private waitForTip(rec: JobRecord, pair: JdPair, code: string): void {
    const now = this.ctx.clock.now();
    rec.staleSince ??= now;
    const waited = now - rec.staleSince;
    const limit = this.ctx.o.staleTipWaitMs ?? 30_000;
    if (waited >= limit) {
      this.abandon(rec, 'lost-refused-job');
      return this.verdicts.pairFailed(pair, `the pool's node stayed on another chain tip for ${Math.round(waited / 1000)} s (${code})`);
    }
    this.ctx.jd.staleTipRetries++;
    const delay = Math.min(4_000, 250 * 2 ** rec.tipWaits++);
    this.ctx.log.info(
      { pool: pair.name, templateId: String(rec.template.template.templateId), code, delayMs: delay },
      'pool on another chain tip: declaring again on its new tip',
    );
    rec.retryTimer = this.ctx.clock.setTimeout(() => this.redeclare(rec), delay);
    this.ctx.emit('retry', { pool: pair.name, templateId: String(rec.template.template.templateId), code, why: 'stale-tip', inMs: delay });
  }

  /** Transient, token and unknown refusals (spec 3.5): retried with backoff, then the pair has failed. */
  private retryDeclaration(rec: JobRecord, pair: JdPair, why: string): void {
    rec.attempts++;
    const max = this.ctx.o.declareAttempts ?? 5;
    if (rec.attempts >= max) {
      this.abandon(rec, 'lost-refused-job');
      return this.verdicts.pairFailed(pair, `declaration refused ${rec.attempts} times (${why})`);
    }
    this.ctx.jd.declareRetries++;
    const delay = Math.min(this.ctx.o.retryIntervalMs ?? 5_000, 500 * 2 ** (rec.attempts - 1));
    this.ctx.log.info(
      { pool: pair.name, templateId: String(rec.template.template.templateId), why, attempt: rec.attempts, delayMs: delay },
      'declaration refused: trying again',
    );
    rec.retryTimer = this.ctx.clock.setTimeout(() => this.redeclare(rec), delay);
    this.ctx.emit('retry', { pool: pair.name, templateId: String(rec.template.template.templateId), code: why, why: 'transient', inMs: delay });
  }

  /** The same job declared again with a fresh token (its shares stay held), while it is still worth it. */
  private redeclare(rec: JobRecord): void {
    rec.retryTimer = undefined;
    const pair = rec.pair;
    if (rec.state !== 'pending' || !pair || pair !== this.ctx.pair || this.ctx.solo || this.ctx.stopped) return;
    // Work on a prev hash our own node has left is worthless.
    if (!this.ctx.template || !equalBytes(this.ctx.template.prevHash, rec.template.prevHash)) return this.abandon(rec, 'lost-to-switch');
    pair.takeToken(this.ctx.o.timeouts?.tokenMs ?? 10_000).then(
      (token) => {
        if (rec.state !== 'pending' || pair !== this.ctx.pair || this.ctx.solo || this.ctx.stopped) {
          pair.returnToken(token);
          return;
        }
        if (!equalBytes(serializeOutputs(token.outputs), rec.payout)) {
          // The pool's outputs changed: this coinbase is not the one it wants now; build anew.
          this.abandon(rec, 'lost-to-switch');
          pair.returnToken(token);
          if (this.ctx.template) this.build(this.ctx.template, false);
          return;
        }
        void this.declare(rec, token);
      },
      (err: unknown) => {
        if (rec.state !== 'pending' || pair !== this.ctx.pair) return;
        this.retryDeclaration(rec, pair, `no token: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  }

  private accept(rec: JobRecord, jobId: number): void {
    rec.state = 'accepted';
    rec.customJobId = jobId;
    // Every SetTarget the pool sent before accepting the job reached us before its Success (one ordered
    // connection): the channel target now is the job's target at the pool.
    rec.poolTarget = rec.pair?.channel()?.target ?? rec.job.target;
    this.ctx.jd.customJobsAccepted++;
    this.verdicts.accepted();
    const held = rec.held.splice(0);
    this.ctx.log.info(
      {
        job: rec.job.id,
        templateId: String(rec.template.template.templateId),
        pool: rec.pair?.name,
        customJobId: jobId,
        heldShares: held.length,
        staleTipWaits: rec.tipWaits,
      },
      'custom job accepted by the pool',
    );
    this.ctx.emit('declared', { templateId: String(rec.template.template.templateId), pool: rec.pair?.name ?? null, jobId });
    for (const h of held) void this.shares.send(rec, h.share).then(h.resolve);
  }

  /** Shares of a job that will never be credited resolve lost. */
  abandon(rec: JobRecord, reason: LostReason): void {
    // Only a job still waiting for the pool holds shares; an accepted job's shares keep going to its
    // pair (while it drains after a switch), a solo job has nothing to lose.
    if (rec.state !== 'pending') return;
    this.ctx.clock.clearTimeout(rec.retryTimer);
    rec.retryTimer = undefined;
    rec.state = reason === 'lost-refused-job' ? 'refused' : 'abandoned';
    rec.lostReason = reason;
    for (const h of rec.held.splice(0)) h.resolve(this.shares.count(h.share, { status: 'lost', reason }));
  }
}

/**
 * The transactions a refusal involves, txids in display order: the template's transactions its
 * details name (by txid, either byte order), else those the JDS asked for and then refused.
 */
function namedTxids(details: string, txids: readonly Uint8Array[], requested: readonly Uint8Array[]): string[] {
  const display = (b: Uint8Array): string => toHex(b.slice().reverse());
  const byHex = new Map<string, string>();
  for (const id of txids) {
    byHex.set(display(id), display(id));
    byHex.set(toHex(id), display(id));
  }
  const named = new Set<string>();
  for (const m of details.toLowerCase().matchAll(/[0-9a-f]{64}/g)) {
    const d = byHex.get(m[0]);
    if (d) named.add(d);
  }
  if (named.size > 0) return [...named];
  return requested.map(display);
}
