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
};

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
  };
  private readonly alarms: CensorshipAlarm[] = [];
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
    // (spec 6.2): stale and locally-filtered outcomes are not.
    if (o.status === 'rejected' && !rec.alarmed && rec.state === 'accepted') {
      this.refusal(rec, 'shares-rejected', o.reason);
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
    return { job, template: t, parts, extranoncePrefix: prefix, pair, state: pair ? 'pending' : 'solo', held: [], alarmed: false };
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

  private async declare(rec: JobRecord, token: PairToken): Promise<void> {
    const pair = rec.pair as JdPair;
    const t = rec.template;
    const tpl = t.template;
    let customToken = token.token;
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
        this.log.warn({ templateId: String(tpl.templateId), code, err: err instanceof Error ? err.message : String(err) }, 'no transaction data from the own node: this template cannot be declared');
        this.abandon(rec, code === 'stale-template-id' ? 'lost-to-switch' : code === 'timeout' ? 'lost-to-timeout' : 'lost-to-disconnect');
        return;
      }
      const txids = txs.map((x) => txid(x));
      const path = merkleBranch([new Uint8Array(32), ...txids], 0);
      if (path.length !== tpl.merklePath.length || path.some((p, i) => !equalBytes(p, tpl.merklePath[i] as Uint8Array))) {
        this.log.error({ templateId: String(tpl.templateId) }, 'the own node sent transactions that do not match its template: not declared');
        this.abandon(rec, 'lost-to-switch');
        return;
      }
      if (rec.state !== 'pending') return;
      let r: Awaited<ReturnType<typeof pair.jds.declare>>;
      try {
        this.jd.declared++;
        r = await pair.jds.declare({ token: token.token, version: tpl.version, coinbaseTxPrefix: rec.parts.declarePrefix, coinbaseTxSuffix: rec.parts.declareSuffix, wtxids: txs.map((x) => wtxid(x)), excessData: excess, transactions: txs });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (err instanceof JdsRequestError && err.code === 'timeout') return this.refusal(rec, 'timeout', msg);
        this.log.warn({ pool: pair.name, err: msg }, 'declaration interrupted');
        this.abandon(rec, 'lost-to-disconnect');
        return;
      }
      if (!r.ok) {
        this.jd.declareRefused++;
        const details = new TextDecoder('utf-8', { fatal: false }).decode(r.details);
        return this.refusal(rec, 'declare-refused', details ? `${r.code}: ${details}` : r.code);
      }
      if (r.missingProvided > 0) this.log.info({ pool: pair.name, provided: r.missingProvided }, 'JDS asked for transactions it did not have');
      customToken = r.newToken;
    }
    if (rec.state !== 'pending') return;
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
    if (rec.state !== 'pending') return;
    if (res.ok) return this.accept(rec, res.jobId);
    if (res.kind === 'refused') {
      this.jd.customJobsRefused++;
      return this.refusal(rec, 'custom-job-refused', res.code);
    }
    if (res.kind === 'timeout') return this.refusal(rec, 'timeout', res.code);
    this.log.warn({ pool: pair.name, err: res.code }, 'custom job interrupted: pool connection lost');
    this.abandon(rec, 'lost-to-disconnect');
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
    this.log.info({ job: rec.job.id, templateId: String(rec.template.template.templateId), pool: rec.pair?.name, customJobId: jobId, heldShares: held.length }, 'custom job accepted by the pool');
    this.emit('declared', { templateId: String(rec.template.template.templateId), pool: rec.pair?.name ?? null, jobId });
    for (const h of held) void this.sendShare(rec, h.share).then(h.resolve);
  }

  /** Shares of a job that will never be credited resolve lost. */
  private abandon(rec: JobRecord, reason: LostReason): void {
    // Only a job still waiting for the pool holds shares; an accepted job's shares keep going to its
    // pair (while it drains after a switch), a solo job has nothing to lose.
    if (rec.state !== 'pending') return;
    rec.state = reason === 'lost-refused-job' ? 'refused' : 'abandoned';
    rec.lostReason = reason;
    for (const h of rec.held.splice(0)) h.resolve(this.count(h.share, { status: 'lost', reason }));
  }

  // ---------------------------------------------------------------------------------------------
  // Censorship watch and fallback

  private refusal(rec: JobRecord, kind: AlarmKind, error: string): void {
    if (rec.state === 'pending') this.abandon(rec, 'lost-refused-job');
    else if (rec.state === 'accepted') {
      // The pool rejects verified shares of a job it acknowledged: the rest would fare no better.
      rec.state = 'refused';
      rec.lostReason = 'lost-refused-job';
    }
    if (rec.alarmed) return;
    rec.alarmed = true;
    const pair = rec.pair as JdPair;
    this.alarm(pair, rec.template, kind, error);
  }

  private alarm(pair: JdPair, t: ActiveTemplate, kind: AlarmKind, error: string): void {
    if (pair !== this.pair || this.solo || this.stopped) return; // a pair we already left
    const action = this.o.onCensorship === 'next-pool' && this.pairIndex + 1 >= this.o.pairs.length ? (this.o.soloPayoutScript ? 'next-pool->solo' : 'next-pool->first') : this.o.onCensorship;
    const a: CensorshipAlarm = { pool: pair.name, templateId: String(t.template.templateId), kind, error, action, at: this.clock.now(), time: new Date().toISOString() };
    this.jd.censorshipAlarms++;
    this.alarms.push(a);
    if (this.alarms.length > MAX_ALARMS) this.alarms.shift();
    this.log.warn({ pool: a.pool, template_id: a.templateId, kind, error, action }, 'censorship-alarm');
    this.emit('alarm', a);
    this.applyPolicy(`${kind}: ${error}`);
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
    // Late answers to shares already sent still count: stop the pair after a while.
    this.draining.set(
      old,
      this.clock.setTimeout(() => {
        this.draining.delete(old);
        void old.stop('left for another pool');
      }, this.o.drainMs ?? 5_000),
    );
  }

  private usePair(index: number, reason: string): void {
    const cfg = this.o.pairs[index] as JdPairConfig;
    this.recordSwitch(cfg.name, reason);
    this.leavePair();
    this.solo = false;
    this.pairIndex = index;
    this.forceClean = true;
    const pair = new JdPair(cfg, index, {
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
    pair.on('failure', (kind, detail) => {
      if (this.pair !== pair) return;
      if (kind === 'timeout' && this.template) this.alarm(pair, this.template, 'timeout', detail);
      else this.pairFailed(pair, detail);
    });
    this.armPairTimer(pair);
    pair.start();
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
}
