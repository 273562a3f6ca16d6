/**
 * The Job Declarator client inside the agent, as one `Upstream` (src/upstream/upstream.ts): the miner
 * builds its own block templates, declares them to a pool, mines them, and watches for censorship.
 *
 *   own node --(Template Distribution)--> templates --> our coinbase --> Job for the chains, AT ONCE
 *        |                                                  |
 *        |                                 DeclareMiningJob (full-template) to the pool's JDS,
 *        |                                 SetCustomMiningJob (token) to the pool
 *        '<-- SubmitSolution (every block)        shares held until SetCustomMiningJob.Success,
 *                                                 then SubmitSharesExtended on the pool's job id
 *
 * Asynchronous start (spec 6.3.1 "optimistic mining"): a Job is emitted as soon as a template and a
 * token are there; shares found before the pool acknowledges are held and submitted on acceptance, or
 * resolve `lost` (`lost-refused-job`) when the pool refuses. A block candidate goes to the own node
 * through SubmitSolution at once, whatever the pool says, and to the JDS with PushSolution
 * (full-template mode).
 *
 * Censorship watch: the template comes from the miner's own node, so it is valid; when the JDS or the
 * pool refuses it (DeclareMiningJob.Error, SetCustomMiningJob.Error, shares rejected on an acknowledged
 * custom job) or does not answer in time, a censorship alarm is raised (warn log `censorship-alarm`
 * with pool, template id and error; a counter; the `alarm` event; `stats().jd.alarms`) and the
 * configured policy applies: `retry` (declare again), `next-pool` (the next pool + JDS pair; after the
 * last one solo when a payout is configured, else the first again) or `solo` (coinbase to the miner's
 * payout, blocks to the own node only, no pool). A pair that cannot be reached counts as a failure too
 * (logged `jd-pair-failed`, same policy, no censorship alarm).
 */
import { TypedEmitter } from '../../typed-emitter.js';
import { systemClock, type Clock, type TimerHandle } from '../../clock.js';
import { logger, type Logger } from '../../log.js';
import { concatBytes, equalBytes, toHex } from '../../work/bytes.js';
import { buildHeader, headerHash } from '../../work/header.js';
import { merkleBranch, merkleRootFromBranch } from '../../work/merkle.js';
import { difficultyToTarget, hashToBigInt, nbitsToTarget, targetToDifficulty } from '../../work/target.js';
import { txid, wtxid } from '../../work/transaction.js';
import { legacySigops, serializeOutputs, type TxOutput } from '../../work/tx-outputs.js';
import { BIP320_MASK } from '../../work/version-rolling.js';
import type { Job, Share, ShareOutcome } from '../job.js';
import { countShareOutcome, emptyUpstreamStats, type Upstream, type UpstreamEvents, type UpstreamState, type UpstreamStats } from '../upstream.js';
import { TemplateDistributionClient, TemplateRequestError, type ActiveTemplate } from '../sv2/template-client.js';
import { JdsRequestError, type DeclarationMode } from '../sv2/jds-client.js';
import type { BackoffOptions } from '../sv2/backoff.js';
import { assembleCoinbase, buildCoinbaseParts, CoinbaseBuildError, declaredOutputs, witnessReservedFor, type CoinbaseParts } from './jd-coinbase.js';
import { JdPair, type JdPairConfig, type PairToken } from './jd-pair.js';
import type { AlarmKind, CensorshipAlarm, CensorshipPolicy } from './censorship-alarm.js';
import { classifyRefusal, primaryCode, type RefusalStage } from './declaration-refusal.js';

export interface JdUpstreamOptions {
  /** Pool id in the pool manager (default 'jd'). */
  id?: string;
  /** The miner's own Template Provider. */
  templateProvider: { url: string; allowUnauthenticated?: boolean; plain?: boolean };
  /** Pool + JDS pairs in order of preference (may be empty: solo only). */
  pairs: JdPairConfig[];
  mode: DeclarationMode;
  onCensorship: CensorshipPolicy;
  /** Solo payout output script (required for `solo`, and for an empty `pairs`). */
  soloPayoutScript?: Uint8Array;
  /** Share difficulty of solo jobs (only for local hashrate accounting; default 65 536). */
  soloShareDifficulty?: number;
  /** H/s announced to pools. */
  nominalHashrate: number;
  clock?: Clock;
  /** Extranonce bytes our chains roll (default 8; solo: all of it). */
  extranonceSize?: number;
  /** Tokens kept in stock per pair (default 2). */
  tokensAhead?: number;
  /** `retry`: delay before declaring again after a refusal (default 5 s, doubling up to 60 s). */
  retryIntervalMs?: number;
  /**
   * A stale chain tip at the pool (its node behind or ahead of ours) is waited out, declaring again with
   * backoff, for this long before the pair counts as failed (default 30 s).
   */
  staleTipWaitMs?: number;
  /** Declaration attempts after transient / token / unknown refusals before the pair counts as failed (default 5). */
  declareAttempts?: number;
  /** A pair left for censorship or failure is probed again after this (default 600 s; 0 = never). */
  recheckMs?: number;
  /** A pair not ready this long after starting or after going down is a failed pair (default 15 s). */
  pairReadyTimeoutMs?: number;
  /** How long a pair left behind stays connected for late share answers (default 5 s). */
  drainMs?: number;
  /** Shares held per unacknowledged job at most (default 10 000); more resolve lost-to-timeout. */
  maxHeldShares?: number;
  versionMask?: number;
  timeouts?: { connectMs?: number; handshakeMs?: number; setupMs?: number; tokenMs?: number; declareMs?: number; customJobMs?: number; txDataMs?: number; shareAckMs?: number };
  backoff?: BackoffOptions;
  random?: () => number;
}

type JobState = 'solo' | 'pending' | 'accepted' | 'refused' | 'abandoned';
type LostReason = Extract<ShareOutcome, { status: 'lost' }>['reason'];

/** A share waiting for SetCustomMiningJob.Success; `resolve` takes an outcome already counted. */
interface Held {
  share: Share;
  resolve: (o: ShareOutcome) => void;
}

interface JobRecord {
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

export interface JdSwitch {
  at: number;
  from: string;
  to: string;
  reason: string;
}

export interface JdStats extends UpstreamStats {
  jd: {
    mode: DeclarationMode;
    /** What the chains mine for now: a pair's name, or 'solo'. */
    mining: string;
    pairIndex: number | null;
    templates: number;
    jobs: number;
    declared: number;
    declareRefused: number;
    customJobsAccepted: number;
    customJobsRefused: number;
    /** Shares waiting for SetCustomMiningJob.Success right now. */
    heldShares: number;
    /** Shares that ever had to wait. */
    sharesHeldTotal: number;
    lostRefused: number;
    soloShares: number;
    censorshipAlarms: number;
    alarms: CensorshipAlarm[];
    pairFailures: number;
    fallbacks: number;
    switches: JdSwitch[];
    blocksFound: number;
    blocksSubmitted: number;
    staleTipRetries: number;
    declareRetries: number;
    rechecks: number;
    templateProvider: { state: UpstreamState; url: string; templates: number; prevHashes: number; solutionsSent: number; protocolErrors: number };
  };
}

export type JdUpstreamEvents = UpstreamEvents & {
  alarm: [a: CensorshipAlarm];
  /** A block found and handed to the own node (and the JDS). */
  block: [b: { hash: string; templateId: string; pool: string | null; pushedToJds: boolean }];
  /** A custom job was accepted by the pool (job id) or the chains now mine solo. */
  declared: [e: { templateId: string; pool: string | null; jobId?: number }];
  switch: [s: JdSwitch];
  /** A refused declaration will be made again in `inMs` (a stale tip at the pool, or a transient refusal). */
  retry: [e: { pool: string; templateId: string; code: string; why: 'stale-tip' | 'transient'; inMs: number }];
};

/**
 * SubmitShares.Error codes about one share, not the job (SRI mining lib.rs ERROR_CODE_SUBMIT_SHARES_*,
 * stratum @ 268022034c): a pool answering these is not refusing our template.
 */
const SHARE_LEVEL_CODES = new Set(['difficulty-too-low', 'duplicate-share', 'stale-share', 'bad-extranonce-size']);

const MAX_RECORDS = 64;
const MAX_ALARMS = 50;
const MAX_SWITCHES = 50;
/** Outputs of the coinbase beyond the pool's: a generous default until the pool's are known. */
const DEFAULT_OUTPUTS_RESERVE = 256;

export class JdUpstream extends TypedEmitter<JdUpstreamEvents> implements Upstream {
  readonly id: string;
  readonly url: string;
  readonly protocol = 'jd' as const;
  private st: UpstreamState = 'idle';
  private readonly clock: Clock;
  private readonly log: Logger;
  readonly tdp: TemplateDistributionClient;
  private pair: JdPair | null = null;
  private pairIndex = -1;
  private readonly draining = new Map<JdPair, TimerHandle>();
  private solo = false;
  private template: ActiveTemplate | undefined;
  private job: Job | undefined;
  private readonly records = new Map<string, JobRecord>();
  private buildSeq = 0;
  private jobSeq = 0;
  private forceClean = true;
  private retryTimer: TimerHandle | undefined;
  private retryDelay: number;
  private pairTimer: TimerHandle | undefined;
  private stopped = false;
  private readonly blocksSeen = new Set<string>();
  private readonly counters: UpstreamStats = emptyUpstreamStats();
  private readonly jd = {
    templates: 0,
    jobs: 0,
    declared: 0,
    declareRefused: 0,
    customJobsAccepted: 0,
    customJobsRefused: 0,
    sharesHeldTotal: 0,
    lostRefused: 0,
    soloShares: 0,
    censorshipAlarms: 0,
    pairFailures: 0,
    fallbacks: 0,
    blocksFound: 0,
    blocksSubmitted: 0,
    /** Declarations made again because the pool's node was on another chain tip. */
    staleTipRetries: 0,
    /** Declarations made again after transient, token or unknown refusals. */
    declareRetries: 0,
    /** Pairs left behind that were probed again. */
    rechecks: 0,
  };
  private readonly alarms: CensorshipAlarm[] = [];
  /** Indexes of pairs left for censorship or failure: probed again every recheckMs. */
  private readonly leftBehind = new Set<number>();
  private recheckTimer: TimerHandle | undefined;
  private readonly switches: JdSwitch[] = [];
  private reserve = { size: DEFAULT_OUTPUTS_RESERVE, sigops: 4 };

  constructor(private readonly o: JdUpstreamOptions) {
    super();
    this.id = o.id ?? 'jd';
    this.clock = o.clock ?? systemClock;
    this.log = logger('jd', { upstream: this.id });
    if (o.pairs.length === 0 && !o.soloPayoutScript) throw new RangeError('job declaration needs a pool + JDS pair or a solo payout script');
    if (o.onCensorship === 'solo' && !o.soloPayoutScript) throw new RangeError("on_censorship = 'solo' needs a payout script or address");
    const es = o.extranonceSize ?? 8;
    if (!Number.isInteger(es) || es < 1 || es > 32) throw new RangeError('extranonceSize must be 1..32 bytes');
    this.retryDelay = o.retryIntervalMs ?? 5_000;
    if (o.soloPayoutScript) {
      const solo: TxOutput = { value: 0n, scriptPubKey: o.soloPayoutScript };
      this.reserve = { size: Math.max(this.reserve.size, serializeOutputs([solo]).length), sigops: Math.max(this.reserve.sigops, legacySigops(o.soloPayoutScript)) };
    }
    this.tdp = new TemplateDistributionClient({
      url: o.templateProvider.url,
      clock: this.clock,
      constraints: { maxAdditionalSize: this.reserve.size, maxAdditionalSigops: this.reserve.sigops },
      ...(o.templateProvider.allowUnauthenticated !== undefined ? { allowUnauthenticated: o.templateProvider.allowUnauthenticated } : {}),
      ...(o.templateProvider.plain !== undefined ? { plain: o.templateProvider.plain } : {}),
      ...(o.timeouts ? { timeouts: o.timeouts } : {}),
      ...(o.backoff ? { backoff: o.backoff } : {}),
      ...(o.random ? { random: o.random } : {}),
    });
    this.url = this.tdp.link.url.text;
    this.tdp.on('template', (t) => this.onTemplate(t));
    this.tdp.on('state', (s, reason) => this.onTdpState(s, reason));
  }

  get state(): UpstreamState {
    return this.st;
  }

  /** The pair the chains mine for, or null when solo. */
  currentPair(): JdPair | null {
    return this.solo ? null : this.pair;
  }

  /** Where the declared work goes: the real pool and its JDS, or solo (undefined before the first pair). */
  miningTarget(): { mode: 'declared' | 'solo'; pool: string; jds?: string } | undefined {
    if (this.solo) return { mode: 'solo', pool: 'solo' };
    const p = this.pair;
    return p ? { mode: 'declared', pool: p.name, jds: p.cfg.jdsUrl } : undefined;
  }

  start(): void {
    if (this.st !== 'idle') return;
    this.setState('connecting');
    this.tdp.start();
    if (this.o.pairs.length > 0) this.usePair(0, 'initial');
    else this.useSolo('no pool + JDS pair configured');
  }

  async stop(reason = 'stopped'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clock.clearTimeout(this.retryTimer);
    this.clock.clearTimeout(this.pairTimer);
    this.clock.clearTimeout(this.recheckTimer);
    for (const r of this.records.values()) this.abandon(r, 'lost-to-switch');
    this.tdp.stop(reason);
    const all: Promise<void>[] = [];
    for (const [p, h] of this.draining) {
      this.clock.clearTimeout(h);
      all.push(p.stop(reason));
    }
    if (this.pair) all.push(this.pair.stop(reason));
    this.draining.clear();
    await Promise.all(all);
    this.setState('closed', reason);
  }

  currentJob(): Job | undefined {
    return this.job;
  }

  reportHashrate(hashesPerSecond: number): void {
    if (!this.solo) this.pair?.mining.reportHashrate(hashesPerSecond);
  }

  stats(): JdStats {
    let held = 0;
    for (const r of this.records.values()) held += r.held.length;
    const tc = this.tdp.counters;
    return {
      ...this.counters,
      rejectReasons: { ...this.counters.rejectReasons },
      jd: {
        mode: this.o.mode,
        mining: this.solo ? 'solo' : (this.pair?.name ?? 'none'),
        pairIndex: this.solo ? null : this.pairIndex,
        ...this.jd,
        heldShares: held,
        alarms: this.alarms.map((a) => ({ ...a })),
        switches: this.switches.map((s) => ({ ...s })),
        templateProvider: { state: this.tdp.state, url: this.url, templates: tc.templates, prevHashes: tc.prevHashes, solutionsSent: tc.solutionsSent, protocolErrors: tc.protocolErrors },
      },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Shares and blocks

  submit(share: Share): Promise<ShareOutcome> {
    if (share.isBlock || this.meetsNetwork(share)) this.propagateBlock(share);
    const rec = this.records.get(share.job.id);
    if (!rec || rec.job !== share.job) return this.done(share, { status: 'lost', reason: 'lost-to-switch' });
    switch (rec.state) {
      case 'solo':
        // No pool: the share only measures our hashrate against the local share target.
        this.jd.soloShares++;
        return this.done(share, { status: 'accepted' });
      case 'pending':
        if (rec.held.length >= (this.o.maxHeldShares ?? 10_000)) return this.done(share, { status: 'lost', reason: 'lost-to-timeout' });
        this.jd.sharesHeldTotal++;
        // Counted when it resolves (sent on acceptance, or lost on refusal).
        return new Promise<ShareOutcome>((resolve) => rec.held.push({ share, resolve }));
      case 'accepted':
        return this.sendShare(rec, share);
      case 'refused':
      case 'abandoned':
        return this.done(share, { status: 'lost', reason: rec.lostReason ?? 'lost-refused-job' });
    }
  }

  /** JobIssuer.publishBlock: a block on one of our own templates goes to our own node at once. */
  publishBlock(share: Share): boolean {
    return this.propagateBlock(share);
  }

  /**
   * Hands a block candidate to the own node (SubmitSolution) and, in full-template mode, to the JDS
   * (PushSolution). Checked against nbits first; each block once. The share path can call this for a
   * block whose job it considers stale (the block may still be good). Returns true when submitted.
   */
  propagateBlock(share: Share): boolean {
    const rec = this.records.get(share.job.id);
    if (!rec || rec.job !== share.job || !share.extranonce) return false;
    const full = concatBytes(rec.extranoncePrefix, share.extranonce);
    let coinbase: Uint8Array;
    try {
      coinbase = assembleCoinbase(rec.parts, full);
    } catch {
      return false;
    }
    const t = rec.template;
    const root = merkleRootFromBranch(txid(coinbase), t.template.merklePath);
    const header = buildHeader({ version: share.version >>> 0, prevHash: t.prevHash, merkleRoot: root, ntime: share.ntime >>> 0, nbits: t.nbits, nonce: share.nonce >>> 0 });
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
    this.jd.blocksFound++;
    const sent = this.tdp.submitSolution({ templateId: t.template.templateId, version: share.version, headerTimestamp: share.ntime, headerNonce: share.nonce, coinbaseTx: coinbase });
    if (sent) this.jd.blocksSubmitted++;
    let pushed = false;
    if (rec.pair && this.o.mode === 'full-template') {
      pushed = rec.pair.jds.pushSolution({ extranonce: full, prevHash: t.prevHash, nonce: share.nonce, ntime: share.ntime, nbits: t.nbits, version: share.version });
    }
    const hashDisplay = toHex(hash.slice().reverse());
    this.log.warn({ hash: hashDisplay, templateId: String(t.template.templateId), pool: rec.pair?.name ?? 'solo', submitted: sent, pushedToJds: pushed }, 'BLOCK FOUND: handed to the own node (SubmitSolution)');
    this.emit('block', { hash: hashDisplay, templateId: String(t.template.templateId), pool: rec.pair?.name ?? null, pushedToJds: pushed });
    return true;
  }

  private meetsNetwork(share: Share): boolean {
    try {
      return hashToBigInt(share.hash) <= nbitsToTarget(share.job.nbits);
    } catch {
      return false;
    }
  }

  private async sendShare(rec: JobRecord, share: Share): Promise<ShareOutcome> {
    const pair = rec.pair as JdPair;
    const o = await pair.mining.submitCustom(share, rec.customJobId as number, rec.poolTarget ?? rec.job.target);
    // A verified share of an acknowledged custom job that the pool rejects is a refusal of our work
    // (spec 6.2). Stale answers, and codes about the one share rather than the job, are not.
    if (o.status === 'rejected' && !rec.alarmed && rec.state === 'accepted' && !SHARE_LEVEL_CODES.has(primaryCode(o.reason))) {
      this.refusal(rec, 'shares-rejected', o.reason, primaryCode(o.reason), []);
    }
    return this.count(share, o);
  }

  private done(share: Share, o: ShareOutcome): Promise<ShareOutcome> {
    return Promise.resolve(this.count(share, o));
  }

  private count(share: Share, o: ShareOutcome): ShareOutcome {
    const c = this.counters;
    countShareOutcome(c, o, targetToDifficulty(share.job.target), this.clock.now());
    if (o.status === 'lost') {
      // JD keeps lost reasons with the pool's reasons, and counts shares of refused jobs apart.
      if (o.reason === 'lost-refused-job') this.jd.lostRefused++;
      c.rejectReasons[o.reason] = (c.rejectReasons[o.reason] ?? 0) + 1;
    }
    return o;
  }

  // ---------------------------------------------------------------------------------------------
  // Templates -> jobs -> declarations

  /** Tells the TP when a pool's outputs need more room than announced (CoinbaseOutputConstraints). */
  private noteReserve(outputs: readonly TxOutput[]): void {
    const size = serializeOutputs(outputs).length;
    const sigops = outputs.reduce((a, x) => a + legacySigops(x.scriptPubKey), 0);
    if (size <= this.reserve.size && sigops <= this.reserve.sigops) return;
    this.reserve = { size: Math.max(size, this.reserve.size), sigops: Math.max(sigops, this.reserve.sigops) };
    this.log.info({ maxAdditionalSize: this.reserve.size, maxAdditionalSigops: this.reserve.sigops }, 'pool outputs need more coinbase room: new constraints for the template provider');
    this.tdp.setConstraints({ maxAdditionalSize: this.reserve.size, maxAdditionalSigops: this.reserve.sigops });
  }

  private setState(st: UpstreamState, reason?: string): void {
    if (this.st === st) return;
    this.st = st;
    this.emit('state', st, reason);
  }

  private onTdpState(s: UpstreamState, reason?: string): void {
    if (this.stopped) return;
    if (s !== 'ready' && this.template) {
      // Without the own node there is no valid work (a new block would go unnoticed).
      this.template = undefined;
      this.job = undefined;
      this.buildSeq++;
      this.forceClean = true;
      this.log.warn({ reason }, 'template provider lost: no work until it is back');
      this.setState('connecting', reason ?? 'disconnected: template provider');
    }
  }

  private onTemplate(t: ActiveTemplate): void {
    if (this.stopped) return;
    this.jd.templates++;
    this.template = t;
    if (t.newPrevHash) {
      // Work on the old tip is worthless; held shares of it resolve when their jobs are answered.
      this.clock.clearTimeout(this.retryTimer);
    }
    this.build(t, t.newPrevHash);
  }

  private build(t: ActiveTemplate, clean: boolean): void {
    const seq = ++this.buildSeq;
    if (this.solo) {
      this.emitJob(this.makeRecord(t, null, null, clean || this.forceClean));
      return;
    }
    const pair = this.pair;
    if (!pair || !pair.ready) return; // built when the pair becomes ready
    pair.takeToken(this.o.timeouts?.tokenMs ?? 10_000).then(
      (token) => {
        if (seq !== this.buildSeq || pair !== this.pair || this.solo || this.template !== t || this.stopped) {
          pair.returnToken(token);
          return;
        }
        const rec = this.makeRecord(t, pair, token, clean || this.forceClean);
        if (!rec) return;
        this.emitJob(rec);
        void this.declare(rec, token);
      },
      (err: unknown) => {
        if (pair !== this.pair || this.stopped) return;
        // A JDS that does not answer AllocateMiningJobToken raises its alarm through the pair's
        // `failure` event (the request's own timeout); here the template just goes undeclared.
        this.log.info({ pool: pair.name, err: err instanceof Error ? err.message : String(err) }, 'no token for this template');
      },
    );
  }

  /** Builds the coinbase and the Job for a template; null when the coinbase cannot be built. */
  private makeRecord(t: ActiveTemplate, pair: JdPair | null, token: PairToken | null, clean: boolean): JobRecord | null {
    const tpl = t.template;
    const ch = pair?.channel();
    const size = ch ? ch.extranonceSize : (this.o.extranonceSize ?? 8);
    const prefix = ch ? ch.extranoncePrefix.slice() : new Uint8Array(0);
    let parts: CoinbaseParts;
    try {
      const payout: TxOutput[] = token ? token.outputs : [{ value: 0n, scriptPubKey: this.o.soloPayoutScript as Uint8Array }];
      if (token) this.noteReserve(token.outputs);
      const outputs = declaredOutputs(tpl.valueRemaining, payout, tpl.outputs);
      parts = buildCoinbaseParts({ version: tpl.coinbaseTxVersion, scriptSigPrefix: tpl.coinbasePrefix, sequence: tpl.coinbaseTxInputSequence, outputs, locktime: tpl.locktime, witnessReservedValue: witnessReservedFor(tpl.outputs) }, prefix.length + size);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.log.error({ templateId: String(tpl.templateId), pool: pair?.name ?? 'solo', err: msg }, 'cannot build a coinbase for this template');
      if (pair && err instanceof CoinbaseBuildError) this.pairFailed(pair, `unusable coinbase outputs or extranonce: ${msg}`);
      return null;
    }
    const now = this.clock.now();
    const fixed = pair?.fixedVersion() ?? false;
    const target = ch ? ch.target : difficultyToTarget(this.o.soloShareDifficulty ?? 65_536);
    const job: Job = {
      id: `${tpl.templateId}.${++this.jobSeq}`,
      source: { poolId: this.id, protocol: 'jd', ...(ch ? { channelId: ch.channelId } : {}) },
      upstream: this,
      prevHash: t.prevHash,
      version: tpl.version,
      versionMask: fixed ? 0 : ((this.o.versionMask ?? BIP320_MASK) >>> 0),
      nbits: t.nbits,
      ntime: Math.max(t.headerTimestamp, this.clock.wallSeconds()),
      ntimeRolling: true,
      target,
      clean,
      receivedAt: now,
      work: { kind: 'coinbase', coinbasePrefix: concatBytes(parts.txPrefix, prefix), coinbaseSuffix: parts.txSuffix, extranonceSize: size, merkleBranch: tpl.merklePath },
    };
    return { job, template: t, parts, extranoncePrefix: prefix, pair, state: pair ? 'pending' : 'solo', payout: token ? serializeOutputs(token.outputs) : new Uint8Array(0), attempts: 0, tipWaits: 0, held: [], alarmed: false };
  }

  private emitJob(rec: JobRecord | null): void {
    if (!rec) return;
    this.records.set(rec.job.id, rec);
    while (this.records.size > MAX_RECORDS) {
      const [k, old] = this.records.entries().next().value as [string, JobRecord];
      this.abandon(old, 'lost-to-switch');
      this.records.delete(k);
    }
    this.forceClean = false;
    this.job = rec.job;
    this.jd.jobs++;
    this.log.info({ job: rec.job.id, templateId: String(rec.template.template.templateId), pool: rec.pair?.name ?? 'solo', clean: rec.job.clean, difficulty: targetToDifficulty(rec.job.target) }, rec.pair ? 'mining our template (optimistic, declaration under way)' : 'mining our template solo');
    this.setState('ready');
    this.emit('job', rec.job);
    if (!rec.pair) this.emit('declared', { templateId: String(rec.template.template.templateId), pool: null });
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
    if (this.o.mode === 'full-template') {
      let txs: Uint8Array[];
      let excess: Uint8Array;
      try {
        const data = await this.tdp.requestTransactionData(tpl.templateId);
        txs = data.transactions;
        excess = data.excessData;
      } catch (err) {
        // Our own node could not give the transactions: not the pool's doing, no alarm.
        const code = err instanceof TemplateRequestError ? err.code : 'error';
        const detail = `no transaction data from the own node (${code}): ${err instanceof Error ? err.message : String(err)}`;
        return { kind: 'interrupted', reason: code === 'stale-template-id' ? 'lost-to-switch' : code === 'timeout' ? 'lost-to-timeout' : 'lost-to-disconnect', detail };
      }
      const txids = txs.map((x) => txid(x));
      const path = merkleBranch([new Uint8Array(32), ...txids], 0);
      if (path.length !== tpl.merklePath.length || path.some((p, i) => !equalBytes(p, tpl.merklePath[i] as Uint8Array))) {
        return { kind: 'interrupted', reason: 'lost-to-switch', detail: 'the own node sent transactions that do not match its template' };
      }
      if (!alive()) return { kind: 'interrupted', reason: 'lost-to-switch', detail: 'no longer wanted' };
      let r: Awaited<ReturnType<typeof pair.jds.declare>>;
      try {
        this.jd.declared++;
        r = await pair.jds.declare({ token: token.token, version: tpl.version, coinbaseTxPrefix: rec.parts.declarePrefix, coinbaseTxSuffix: rec.parts.declareSuffix, wtxids: txs.map((x) => wtxid(x)), excessData: excess, transactions: txs });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (err instanceof JdsRequestError && err.code === 'timeout') return { kind: 'timeout', detail: msg };
        return { kind: 'interrupted', reason: 'lost-to-disconnect', detail: `declaration interrupted: ${msg}` };
      }
      const requested = r.requested.map((i) => txids[i]).filter((x): x is Uint8Array => x !== undefined);
      if (!r.ok) {
        this.jd.declareRefused++;
        const details = new TextDecoder('utf-8', { fatal: false }).decode(r.details);
        return { kind: 'refused', stage: 'declare', code: r.code, error: details ? `${r.code}: ${details}` : r.code, txids: namedTxids(details, txids, requested), asked: r.requested.length > 0 };
      }
      if (r.missingProvided > 0) this.log.info({ pool: pair.name, provided: r.missingProvided }, 'JDS asked for transactions it did not have');
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
      this.jd.customJobsRefused++;
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
        this.log.warn({ pool: pair.name, templateId: String(rec.template.template.templateId), detail: out.detail }, 'declaration interrupted');
        return this.abandon(rec, out.reason);
      case 'timeout':
        // Spec 5.3.19: no answer is no commitment; a slow pool is a failed pair, not a censor.
        this.abandon(rec, 'lost-to-timeout');
        return this.pairFailed(pair, `no answer in time: ${out.detail}`);
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
    this.log.info({ pool: pair.name, templateId, stage: r.stage, code: v.code, class: cls, known: v.known, error: r.error }, 'declaration refused');
    switch (cls) {
      case 'template':
        return this.refusal(rec, r.stage === 'declare' ? 'declare-refused' : 'custom-job-refused', r.error, v.code, r.txids);
      case 'stale-tip':
        return this.waitForTip(rec, pair, v.code);
      case 'transient':
      case 'token':
      case 'unknown':
        return this.retryDeclaration(rec, pair, `${v.code} (${cls})`);
      case 'declaration':
      case 'unsupported':
        this.abandon(rec, 'lost-refused-job');
        return this.pairFailed(pair, `${r.stage === 'declare' ? 'DeclareMiningJob' : 'SetCustomMiningJob'} refused with ${v.code}: our ${cls === 'unsupported' ? 'custom jobs are not supported' : 'coinbase or job fields'}, not the template`);
    }
  }

  /**
   * The pool's node is on another chain tip (usually behind ours, right after a block): not censorship.
   * Declare the same job again after a growing delay, until the pool's node has the tip, for at most
   * staleTipWaitMs; a newer prev hash from our own node supersedes it.
   */
  private waitForTip(rec: JobRecord, pair: JdPair, code: string): void {
    const now = this.clock.now();
    rec.staleSince ??= now;
    const waited = now - rec.staleSince;
    const limit = this.o.staleTipWaitMs ?? 30_000;
    if (waited >= limit) {
      this.abandon(rec, 'lost-refused-job');
      return this.pairFailed(pair, `the pool's node stayed on another chain tip for ${Math.round(waited / 1000)} s (${code})`);
    }
    this.jd.staleTipRetries++;
    const delay = Math.min(4_000, 250 * 2 ** rec.tipWaits++);
    this.log.info({ pool: pair.name, templateId: String(rec.template.template.templateId), code, delayMs: delay }, 'pool on another chain tip: declaring again on its new tip');
    rec.retryTimer = this.clock.setTimeout(() => this.redeclare(rec), delay);
    this.emit('retry', { pool: pair.name, templateId: String(rec.template.template.templateId), code, why: 'stale-tip', inMs: delay });
  }

  /** Transient, token and unknown refusals (spec 3.5): retried with backoff, then the pair has failed. */
  private retryDeclaration(rec: JobRecord, pair: JdPair, why: string): void {
    rec.attempts++;
    const max = this.o.declareAttempts ?? 5;
    if (rec.attempts >= max) {
      this.abandon(rec, 'lost-refused-job');
      return this.pairFailed(pair, `declaration refused ${rec.attempts} times (${why})`);
    }
    this.jd.declareRetries++;
    const delay = Math.min(this.o.retryIntervalMs ?? 5_000, 500 * 2 ** (rec.attempts - 1));
    this.log.info({ pool: pair.name, templateId: String(rec.template.template.templateId), why, attempt: rec.attempts, delayMs: delay }, 'declaration refused: trying again');
    rec.retryTimer = this.clock.setTimeout(() => this.redeclare(rec), delay);
    this.emit('retry', { pool: pair.name, templateId: String(rec.template.template.templateId), code: why, why: 'transient', inMs: delay });
  }

  /** The same job declared again with a fresh token (its shares stay held), while it is still worth it. */
  private redeclare(rec: JobRecord): void {
    rec.retryTimer = undefined;
    const pair = rec.pair;
    if (rec.state !== 'pending' || !pair || pair !== this.pair || this.solo || this.stopped) return;
    // Work on a prev hash our own node has left is worthless.
    if (!this.template || !equalBytes(this.template.prevHash, rec.template.prevHash)) return this.abandon(rec, 'lost-to-switch');
    pair.takeToken(this.o.timeouts?.tokenMs ?? 10_000).then(
      (token) => {
        if (rec.state !== 'pending' || pair !== this.pair || this.solo || this.stopped) {
          pair.returnToken(token);
          return;
        }
        if (!equalBytes(serializeOutputs(token.outputs), rec.payout)) {
          // The pool's outputs changed: this coinbase is not the one it wants now; build anew.
          this.abandon(rec, 'lost-to-switch');
          pair.returnToken(token);
          if (this.template) this.build(this.template, false);
          return;
        }
        void this.declare(rec, token);
      },
      (err: unknown) => {
        if (rec.state !== 'pending' || pair !== this.pair) return;
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
    this.jd.customJobsAccepted++;
    this.retryDelay = this.o.retryIntervalMs ?? 5_000;
    const held = rec.held.splice(0);
    this.log.info({ job: rec.job.id, templateId: String(rec.template.template.templateId), pool: rec.pair?.name, customJobId: jobId, heldShares: held.length, staleTipWaits: rec.tipWaits }, 'custom job accepted by the pool');
    this.emit('declared', { templateId: String(rec.template.template.templateId), pool: rec.pair?.name ?? null, jobId });
    for (const h of held) void this.sendShare(rec, h.share).then(h.resolve);
  }

  /** Shares of a job that will never be credited resolve lost. */
  private abandon(rec: JobRecord, reason: LostReason): void {
    // Only a job still waiting for the pool holds shares; an accepted job's shares keep going to its
    // pair (while it drains after a switch), a solo job has nothing to lose.
    if (rec.state !== 'pending') return;
    this.clock.clearTimeout(rec.retryTimer);
    rec.retryTimer = undefined;
    rec.state = reason === 'lost-refused-job' ? 'refused' : 'abandoned';
    rec.lostReason = reason;
    for (const h of rec.held.splice(0)) h.resolve(this.count(h.share, { status: 'lost', reason }));
  }

  // ---------------------------------------------------------------------------------------------
  // Censorship watch and fallback

  private refusal(rec: JobRecord, kind: AlarmKind, error: string, code: string, txids: string[]): void {
    if (rec.state === 'pending') this.abandon(rec, 'lost-refused-job');
    else if (rec.state === 'accepted') {
      // The pool rejects verified shares of a job it acknowledged: the rest would fare no better.
      rec.state = 'refused';
      rec.lostReason = 'lost-refused-job';
    }
    if (rec.alarmed) return;
    rec.alarmed = true;
    const pair = rec.pair as JdPair;
    if (pair !== this.pair || this.solo || this.stopped) return; // a pair we already left
    this.alarm(pair.name, rec.template, kind, error, code, txids, this.policyAction());
    if (this.o.onCensorship !== 'retry') this.leftBehind.add(this.pairIndex);
    this.applyPolicy(`${kind}: ${error}`);
  }

  private policyAction(): CensorshipAlarm['action'] {
    if (this.o.onCensorship === 'next-pool' && this.pairIndex + 1 >= this.o.pairs.length) return this.o.soloPayoutScript ? 'next-pool->solo' : 'next-pool->first';
    return this.o.onCensorship;
  }

  private alarm(pool: string, t: ActiveTemplate, kind: AlarmKind, error: string, code: string, txids: string[], action: CensorshipAlarm['action']): void {
    const a: CensorshipAlarm = { pool, templateId: String(t.template.templateId), kind, code, error, txids, action, at: this.clock.now(), time: new Date().toISOString() };
    this.jd.censorshipAlarms++;
    this.alarms.push(a);
    if (this.alarms.length > MAX_ALARMS) this.alarms.shift();
    this.log.warn({ pool: a.pool, template_id: a.templateId, kind, code, txids, error, action }, 'censorship-alarm');
    this.emit('alarm', a);
  }

  private applyPolicy(reason: string): void {
    switch (this.o.onCensorship) {
      case 'retry': {
        // Keep the pair; declare the current template again after a growing delay.
        const delay = this.retryDelay;
        this.retryDelay = Math.min(60_000, this.retryDelay * 2);
        this.clock.clearTimeout(this.retryTimer);
        this.retryTimer = this.clock.setTimeout(() => {
          if (this.template && !this.solo) this.build(this.template, false);
        }, delay);
        this.log.info({ delayMs: delay }, 'on_censorship = retry: declaring again');
        return;
      }
      case 'next-pool':
        return this.nextPair(reason);
      case 'solo':
        return this.useSolo(reason);
    }
  }

  private nextPair(reason: string): void {
    const next = this.pairIndex + 1;
    if (next < this.o.pairs.length) return this.usePair(next, reason);
    if (this.o.soloPayoutScript) return this.useSolo(reason);
    return this.usePair(0, reason);
  }

  private recordSwitch(to: string, reason: string): void {
    const from = this.solo ? 'solo' : (this.pair?.name ?? 'none');
    const s: JdSwitch = { at: this.clock.now(), from, to, reason };
    if (from !== 'none') this.jd.fallbacks++;
    this.switches.push(s);
    if (this.switches.length > MAX_SWITCHES) this.switches.shift();
    this.log.warn({ from, to, reason }, from === 'none' ? 'job declaration starting' : 'job declaration fallback');
    this.emit('switch', s);
  }

  private leavePair(): void {
    const old = this.pair;
    this.clock.clearTimeout(this.pairTimer);
    this.clock.clearTimeout(this.retryTimer);
    if (!old) return;
    for (const r of this.records.values()) if (r.pair === old) this.abandon(r, 'lost-to-switch');
    this.pair = null;
    this.drain(old, 'left for another pool');
    this.scheduleRecheck();
  }

  /** Late answers to shares already sent still count: stop a pair after a while. */
  private drain(p: JdPair, why: string): void {
    this.draining.set(
      p,
      this.clock.setTimeout(() => {
        this.draining.delete(p);
        void p.stop(why);
      }, this.o.drainMs ?? 5_000),
    );
  }

  private newPair(index: number): JdPair {
    return new JdPair(this.o.pairs[index] as JdPairConfig, index, {
      mode: this.o.mode,
      nominalHashrate: this.o.nominalHashrate,
      clock: this.clock,
      minExtranonceSize: this.o.extranonceSize ?? 8,
      tokensAhead: this.o.tokensAhead ?? 2,
      ...(this.o.versionMask !== undefined ? { versionMask: this.o.versionMask } : {}),
      ...(this.o.backoff ? { backoff: this.o.backoff } : {}),
      ...(this.o.random ? { random: this.o.random } : {}),
      ...(this.o.timeouts ? { timeouts: this.o.timeouts } : {}),
    });
  }

  /** Mines for pair `index` (a pair a recheck already connected is taken as it is). */
  private usePair(index: number, reason: string, ready?: JdPair): void {
    const cfg = this.o.pairs[index] as JdPairConfig;
    this.recordSwitch(cfg.name, reason);
    this.leavePair();
    this.solo = false;
    this.pairIndex = index;
    this.forceClean = true;
    this.leftBehind.delete(index);
    const pair = ready ?? this.newPair(index);
    this.pair = pair;
    pair.on('ready', () => {
      if (this.pair !== pair) return;
      this.clock.clearTimeout(this.pairTimer);
      if (this.template) this.build(this.template, true);
    });
    pair.on('down', (why) => {
      if (this.pair !== pair) return;
      this.log.warn({ pool: pair.name, reason: why }, 'pool + JDS pair down');
      this.armPairTimer(pair);
    });
    pair.on('target', (target) => {
      if (this.pair !== pair || this.solo) return;
      this.emit('target', target);
    });
    pair.on('failure', (_kind, detail) => {
      // A JDS that sends no token in time, or unusable outputs: a failed pair (no censorship alarm).
      if (this.pair === pair) this.pairFailed(pair, detail);
    });
    if (ready) {
      if (this.template) this.build(this.template, true);
    } else {
      this.armPairTimer(pair);
      pair.start();
    }
  }

  private armPairTimer(pair: JdPair): void {
    this.clock.clearTimeout(this.pairTimer);
    const ms = this.o.pairReadyTimeoutMs ?? 15_000;
    this.pairTimer = this.clock.setTimeout(() => {
      if (this.pair === pair && !pair.ready) this.pairFailed(pair, `not ready ${Math.round(ms / 1000)} s after starting or going down`);
    }, ms);
  }

  private pairFailed(pair: JdPair, detail: string): void {
    if (pair !== this.pair || this.stopped) return;
    this.jd.pairFailures++;
    this.log.warn({ pool: pair.name, detail, policy: this.o.onCensorship }, 'jd-pair-failed');
    if (this.o.onCensorship === 'retry') {
      // The clients keep reconnecting; check again later.
      this.armPairTimer(pair);
      return;
    }
    this.leftBehind.add(this.pairIndex);
    this.applyPolicy(`pair failed: ${detail}`);
  }

  private useSolo(reason: string): void {
    this.recordSwitch('solo', reason);
    this.leavePair();
    this.solo = true;
    this.pairIndex = -1;
    this.forceClean = true;
    this.log.warn({ reason }, 'mining solo: coinbase to our payout, blocks to the own node only');
    if (this.template) this.build(this.template, true);
  }

  // ---------------------------------------------------------------------------------------------
  // Rechecks: a pool left behind (censorship or failure) is not abandoned for good

  private scheduleRecheck(): void {
    const ms = this.o.recheckMs ?? 600_000;
    if (ms <= 0 || this.recheckTimer !== undefined || this.stopped || this.leftBehind.size === 0) return;
    this.recheckTimer = this.clock.setTimeout(() => {
      this.recheckTimer = undefined;
      void this.recheck();
    }, ms);
  }

  /**
   * Probes the most preferred pair left behind (above the one mined now, or any when solo): connects it
   * aside, declares the current template to it without mining it, and goes back to it when it accepts.
   * A refusal naming the template again is an alarm (`stay`); anything else just waits for the next one.
   */
  private async recheck(): Promise<void> {
    const current = this.solo ? Number.POSITIVE_INFINITY : this.pairIndex;
    const index = [...this.leftBehind].filter((i) => i < current).sort((a, b) => a - b)[0];
    const t = this.template;
    if (index === undefined || !t || this.stopped) {
      if (index === undefined) this.leftBehind.clear();
      this.scheduleRecheck();
      return;
    }
    this.jd.rechecks++;
    const probe = this.newPair(index);
    const name = probe.name;
    this.log.info({ pool: name }, 'recheck: declaring our template to a pool left behind');
    probe.start();
    const verdict = await this.probe(probe, t);
    if (this.stopped) return void probe.stop('stopped');
    if (verdict.kind === 'accepted' && this.template === t && (this.solo || index < this.pairIndex)) {
      this.log.warn({ pool: name }, 'recheck: the pool accepts our template again: going back to it');
      this.usePair(index, `recheck: ${name} accepts our template again`, probe);
      return;
    }
    if (verdict.kind === 'refused' && classifyRefusal(verdict.stage, verdict.code).cls === 'template') {
      this.alarm(name, t, verdict.stage === 'declare' ? 'declare-refused' : 'custom-job-refused', verdict.error, classifyRefusal(verdict.stage, verdict.code).code, verdict.txids, 'stay');
    } else this.log.info({ pool: name, outcome: verdict.kind, detail: 'detail' in verdict ? verdict.detail : verdict.kind === 'refused' ? verdict.error : undefined }, 'recheck: not going back yet');
    this.drain(probe, 'recheck done');
    this.scheduleRecheck();
  }

  /** Waits for a probe pair to be ready, then one declaration of `t` on it (nothing is mined). */
  private async probe(pair: JdPair, t: ActiveTemplate): Promise<Attempt> {
    const ms = this.o.pairReadyTimeoutMs ?? 15_000;
    const ready = await new Promise<boolean>((resolve) => {
      if (pair.ready) return resolve(true);
      const timer = this.clock.setTimeout(() => resolve(false), ms);
      pair.once('ready', () => {
        this.clock.clearTimeout(timer);
        resolve(true);
      });
    });
    if (!ready) return { kind: 'timeout', detail: `not ready within ${Math.round(ms / 1000)} s` };
    let token: PairToken;
    try {
      token = await pair.takeToken(this.o.timeouts?.tokenMs ?? 10_000);
    } catch (err) {
      return { kind: 'timeout', detail: `no token: ${err instanceof Error ? err.message : String(err)}` };
    }
    const rec = this.makeRecord(t, pair, token, false);
    if (!rec) return { kind: 'interrupted', reason: 'lost-to-switch', detail: 'no coinbase for this pool' };
    return this.attempt(rec, pair, token, () => !this.stopped);
  }
}

/** How one declaration ended. */
type Attempt =
  | { kind: 'accepted'; jobId: number }
  | { kind: 'refused'; stage: RefusalStage; code: string; error: string; txids: string[]; asked: boolean }
  | { kind: 'timeout'; detail: string }
  | { kind: 'interrupted'; reason: LostReason; detail: string };

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
