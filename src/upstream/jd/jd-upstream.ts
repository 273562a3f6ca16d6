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
 *
 * This class is the facade: start, stop, state, stats and events. The work is in its parts, which share
 * a JdContext (jd-context.ts): templates -> jobs -> declarations (jd-declarations.ts), shares and blocks
 * (jd-shares.ts), censorship watch, fallback and rechecks (jd-fallback.ts, policy in fallback-policy.ts).
 */
import { failureText, sessionFailure, type SessionFailure } from '../session-failure.js';
import { TypedEmitter } from '../../typed-emitter.js';
import { systemClock, type Clock } from '../../clock.js';
import { logger, type Logger } from '../../log.js';
import type { Job, Share, ShareOutcome } from '../job.js';
import type { Upstream, UpstreamEvents, UpstreamState, UpstreamStats } from '../upstream.js';
import { TemplateDistributionClient } from '../sv2/template-client.js';
import type { DeclarationMode } from '../sv2/jds-client.js';
import type { BackoffOptions } from '../sv2/backoff.js';
import type { JdPair, JdPairConfig } from './jd-pair.js';
import type { CensorshipAlarm, CensorshipPolicy } from './censorship-alarm.js';
import { type JdContext, type JdCounters, newJdCounters } from './jd-context.js';
import { initialReserve, JdDeclarations } from './jd-declarations.js';
import { JdShares } from './jd-shares.js';
import { JdFallback } from './jd-fallback.js';

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
  timeouts?: {
    connectMs?: number;
    handshakeMs?: number;
    setupMs?: number;
    tokenMs?: number;
    declareMs?: number;
    customJobMs?: number;
    txDataMs?: number;
    shareAckMs?: number;
  };
  backoff?: BackoffOptions;
  random?: () => number;
}

export interface JdSwitch {
  at: number;
  from: string;
  to: string;
  reason: string;
}

export interface JdStats extends UpstreamStats {
  /** The counters (jd-context.ts JdCounters), and what the upstream is doing now. */
  jd: JdCounters & {
    mode: DeclarationMode;
    /** What the chains mine for now: a pair's name, or 'solo'. */
    mining: string;
    pairIndex: number | null;
    /** Shares waiting for SetCustomMiningJob.Success right now. */
    heldShares: number;
    alarms: CensorshipAlarm[];
    switches: JdSwitch[];
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

export class JdUpstream extends TypedEmitter<JdUpstreamEvents> implements Upstream {
  readonly id: string;
  readonly url: string;
  readonly protocol = 'jd' as const;
  private st: UpstreamState = 'idle';
  private readonly log: Logger;
  readonly tdp: TemplateDistributionClient;
  private readonly ctx: JdContext;
  private readonly shares: JdShares;
  private readonly decl: JdDeclarations;
  private readonly fallback: JdFallback;

  constructor(private readonly o: JdUpstreamOptions) {
    super();
    this.id = o.id ?? 'jd';
    const clock = o.clock ?? systemClock;
    this.log = logger('jd', { upstream: this.id });
    if (o.pairs.length === 0 && !o.soloPayoutScript) throw new RangeError('job declaration needs a pool + JDS pair or a solo payout script');
    if (o.onCensorship === 'solo' && !o.soloPayoutScript) throw new RangeError("on_censorship = 'solo' needs a payout script or address");
    const es = o.extranonceSize ?? 8;
    if (!Number.isInteger(es) || es < 1 || es > 32) throw new RangeError('extranonceSize must be 1..32 bytes');
    const reserve = initialReserve(o.soloPayoutScript);
    this.tdp = new TemplateDistributionClient({
      url: o.templateProvider.url,
      clock,
      constraints: { maxAdditionalSize: reserve.size, maxAdditionalSigops: reserve.sigops },
      ...(o.templateProvider.allowUnauthenticated !== undefined ? { allowUnauthenticated: o.templateProvider.allowUnauthenticated } : {}),
      ...(o.templateProvider.plain !== undefined ? { plain: o.templateProvider.plain } : {}),
      ...(o.timeouts ? { timeouts: o.timeouts } : {}),
      ...(o.backoff ? { backoff: o.backoff } : {}),
      ...(o.random ? { random: o.random } : {}),
    });
    this.url = this.tdp.link.url.text;
    this.ctx = {
      o,
      clock,
      log: this.log,
      tdp: this.tdp,
      jd: newJdCounters(),
      emit: (event, ...args) => this.emit(event, ...args),
      pair: null,
      pairIndex: -1,
      solo: false,
      template: undefined,
      forceClean: true,
      stopped: false,
    };
    // The parts call each other through narrow interfaces; the arrows reach parts made after them.
    this.shares = new JdShares(this.ctx, (rec, error, code) => this.fallback.refusal(rec, 'shares-rejected', error, code, []));
    this.decl = new JdDeclarations(
      this.ctx,
      this,
      this.shares,
      {
        refusal: (rec, kind, error, code, txids) => this.fallback.refusal(rec, kind, error, code, txids),
        pairFailed: (pair, detail) => this.fallback.pairFailed(pair, detail),
        accepted: () => this.fallback.accepted(),
        newTip: () => this.fallback.newTip(),
      },
      () => this.setState('ready'),
    );
    this.fallback = new JdFallback(this.ctx, this.decl);
    this.tdp.on('template', (t) => this.decl.onTemplate(t));
    this.tdp.on('state', (s, failure) => this.onTdpState(s, failure));
  }

  get state(): UpstreamState {
    return this.st;
  }

  /** The pair the chains mine for, or null when solo. */
  currentPair(): JdPair | null {
    return this.ctx.solo ? null : this.ctx.pair;
  }

  /** Where the declared work goes: the real pool and its JDS, or solo (undefined before the first pair). */
  miningTarget(): { mode: 'declared' | 'solo'; pool: string; jds?: string } | undefined {
    if (this.ctx.solo) return { mode: 'solo', pool: 'solo' };
    const p = this.ctx.pair;
    return p ? { mode: 'declared', pool: p.name, jds: p.cfg.jdsUrl } : undefined;
  }

  start(): void {
    if (this.st !== 'idle') return;
    this.setState('connecting');
    this.tdp.start();
    this.fallback.begin();
  }

  async stop(reason = 'stopped'): Promise<void> {
    if (this.ctx.stopped) return;
    this.ctx.stopped = true;
    this.fallback.clearTimers();
    this.decl.abandonAll();
    this.tdp.stop(reason);
    await this.fallback.stopPairs(reason);
    this.setState('closed', sessionFailure('stopped', reason));
  }

  currentJob(): Job | undefined {
    return this.decl.currentJob();
  }

  reportHashrate(hashesPerSecond: number): void {
    if (!this.ctx.solo) this.ctx.pair?.mining.reportHashrate(hashesPerSecond);
  }

  stats(): JdStats {
    const counters = this.shares.counters;
    const tc = this.tdp.counters;
    return {
      ...counters,
      rejectReasons: { ...counters.rejectReasons },
      jd: {
        mode: this.o.mode,
        mining: this.ctx.solo ? 'solo' : (this.ctx.pair?.name ?? 'none'),
        pairIndex: this.ctx.solo ? null : this.ctx.pairIndex,
        ...this.ctx.jd,
        heldShares: this.decl.heldShares(),
        alarms: this.fallback.alarms.map((a) => ({ ...a })),
        switches: this.fallback.switches.map((s) => ({ ...s })),
        templateProvider: {
          state: this.tdp.state,
          url: this.url,
          templates: tc.templates,
          prevHashes: tc.prevHashes,
          solutionsSent: tc.solutionsSent,
          protocolErrors: tc.protocolErrors,
        },
      },
    };
  }

  /** Sends a share back to the job record that issued its job (jd-shares.ts). */
  submit(share: Share): Promise<ShareOutcome> {
    return this.shares.submit(share, this.decl.find(share.job));
  }

  /** JobIssuer.publishBlock: a block on one of our own templates goes to our own node at once. */
  publishBlock(share: Share): boolean {
    return this.propagateBlock(share);
  }

  /** Hands a block candidate to the own node and the JDS (jd-shares.ts); true when submitted. */
  propagateBlock(share: Share): boolean {
    return this.shares.propagateBlock(share, this.decl.find(share.job));
  }

  private setState(st: UpstreamState, failure?: SessionFailure): void {
    if (this.st === st) return;
    this.st = st;
    this.emit('state', st, failure);
  }

  private onTdpState(s: UpstreamState, failure?: SessionFailure): void {
    if (this.ctx.stopped) return;
    if (s !== 'ready' && this.ctx.template) {
      // Without the own node there is no valid work (a new block would go unnoticed).
      this.decl.forgetTemplate();
      this.log.warn({ reason: failureText(failure) }, 'template provider lost: no work until it is back');
      // The pool manager fails over as for a pool that went down: without the node there is no work.
      this.setState(
        'connecting',
        sessionFailure(
          failure?.category === 'reconnect-requested' || failure === undefined ? 'disconnected' : failure.category,
          `template provider: ${failure?.detail ?? s}`,
        ),
      );
    }
  }
}
