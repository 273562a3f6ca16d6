/**
 * Censorship watch and fallback of the Job Declaration upstream (jd-upstream.ts composes it): which
 * pool + JDS pair the chains mine for, or solo. A template the pool refuses (DeclareMiningJob.Error,
 * SetCustomMiningJob.Error, shares rejected on an acknowledged custom job) raises a censorship alarm
 * (warn log `censorship-alarm` with pool, template id and error; a counter; the `alarm` event;
 * `stats().jd.alarms`), and the configured policy applies (fallback-policy.ts): `retry` (declare again),
 * `next-pool` (the next pool + JDS pair; after the last one solo when a payout is configured, else the
 * first again) or `solo` (coinbase to the miner's payout, blocks to the own node only, no pool). A pair
 * that cannot be reached counts as a failure too (logged `jd-pair-failed`, same policy, no alarm). A
 * pair left behind is probed again every recheckMs and mined again once it accepts our template.
 */
import type { TimerHandle } from '../../clock.js';
import type { ActiveTemplate } from '../sv2/template-client.js';
import { JdPair, type JdPairConfig, type PairToken } from './jd-pair.js';
import type { AlarmKind, CensorshipAlarm } from './censorship-alarm.js';
import { classifyRefusal } from './declaration-refusal.js';
import { alarmAction, type FallbackPosition, fallbackStep, recheckCandidate } from './fallback-policy.js';
import type { JdContext } from './jd-context.js';
import type { Attempt, DeclarationVerdicts, JdDeclarations, JobRecord } from './jd-declarations.js';
import type { JdSwitch } from './jd-upstream.js';

const MAX_ALARMS = 50;
const MAX_SWITCHES = 50;

/** What the fallback does with the declarations: build on a new pair, abandon a pair's jobs, probe a pair. */
export type FallbackJobs = Pick<JdDeclarations, 'build' | 'abandon' | 'abandonPair' | 'tryOnce'>;

export class JdFallback implements DeclarationVerdicts {
  private readonly draining = new Map<JdPair, TimerHandle>();
  private retryTimer: TimerHandle | undefined;
  private retryDelay: number;
  private pairTimer: TimerHandle | undefined;
  /** Indexes of pairs left for censorship or failure: probed again every recheckMs. */
  private readonly leftBehind = new Set<number>();
  private recheckTimer: TimerHandle | undefined;
  readonly alarms: CensorshipAlarm[] = [];
  readonly switches: JdSwitch[] = [];

  constructor(
    private readonly ctx: JdContext,
    private readonly jobs: FallbackJobs,
  ) {
    this.retryDelay = ctx.o.retryIntervalMs ?? 5_000;
  }

  /** The first pair, or solo when none is configured. */
  begin(): void {
    if (this.ctx.o.pairs.length > 0) this.usePair(0, 'initial');
    else this.useSolo('no pool + JDS pair configured');
  }

  /** Stops the timers (the upstream stops). */
  clearTimers(): void {
    this.ctx.clock.clearTimeout(this.retryTimer);
    this.ctx.clock.clearTimeout(this.pairTimer);
    this.ctx.clock.clearTimeout(this.recheckTimer);
  }

  /** Stops every pair: the one mined and those draining. */
  async stopPairs(reason: string): Promise<void> {
    const all: Promise<void>[] = [];
    for (const [p, h] of this.draining) {
      this.ctx.clock.clearTimeout(h);
      all.push(p.stop(reason));
    }
    if (this.ctx.pair) all.push(this.ctx.pair.stop(reason));
    this.draining.clear();
    await Promise.all(all);
  }

  accepted(): void {
    this.retryDelay = this.ctx.o.retryIntervalMs ?? 5_000;
  }

  newTip(): void {
    this.ctx.clock.clearTimeout(this.retryTimer);
  }

  // ---------------------------------------------------------------------------------------------
  // Censorship watch and fallback

  refusal(rec: JobRecord, kind: AlarmKind, error: string, code: string, txids: string[]): void {
    if (rec.state === 'pending') this.jobs.abandon(rec, 'lost-refused-job');
    else if (rec.state === 'accepted') {
      // The pool rejects verified shares of a job it acknowledged: the rest would fare no better.
      rec.state = 'refused';
      rec.lostReason = 'lost-refused-job';
    }
    if (rec.alarmed) return;
    rec.alarmed = true;
    const pair = rec.pair as JdPair;
    if (pair !== this.ctx.pair || this.ctx.solo || this.ctx.stopped) return; // a pair we already left
    this.alarm(pair.name, rec.template, kind, error, code, txids, alarmAction(this.position()));
    if (this.ctx.o.onCensorship !== 'retry') this.leftBehind.add(this.ctx.pairIndex);
    this.applyPolicy(`${kind}: ${error}`);
  }

  private alarm(pool: string, t: ActiveTemplate, kind: AlarmKind, error: string, code: string, txids: string[], action: CensorshipAlarm['action']): void {
    const a: CensorshipAlarm = {
      pool,
      templateId: String(t.template.templateId),
      kind,
      code,
      error,
      txids,
      action,
      at: this.ctx.clock.now(),
      time: new Date().toISOString(),
    };
    this.ctx.jd.censorshipAlarms++;
    this.alarms.push(a);
    if (this.alarms.length > MAX_ALARMS) this.alarms.shift();
    this.ctx.log.warn({ pool: a.pool, template_id: a.templateId, kind, code, txids, error, action }, 'censorship-alarm');
    this.ctx.emit('alarm', a);
  }

  private position(): FallbackPosition {
    return {
      policy: this.ctx.o.onCensorship,
      pairIndex: this.ctx.pairIndex,
      pairCount: this.ctx.o.pairs.length,
      soloPayout: this.ctx.o.soloPayoutScript !== undefined,
    };
  }

  private applyPolicy(reason: string): void {
    const step = fallbackStep(this.position());
    switch (step.to) {
      case 'retry': {
        // Keep the pair; declare the current template again after a growing delay.
        const delay = this.retryDelay;
        this.retryDelay = Math.min(60_000, this.retryDelay * 2);
        this.ctx.clock.clearTimeout(this.retryTimer);
        this.retryTimer = this.ctx.clock.setTimeout(() => {
          if (this.ctx.template && !this.ctx.solo) this.jobs.build(this.ctx.template, false);
        }, delay);
        this.ctx.log.info({ delayMs: delay }, 'on_censorship = retry: declaring again');
        return;
      }
      case 'pair':
        return this.usePair(step.index, reason);
      case 'solo':
        return this.useSolo(reason);
    }
  }

  private recordSwitch(to: string, reason: string): void {
    const from = this.ctx.solo ? 'solo' : (this.ctx.pair?.name ?? 'none');
    const s: JdSwitch = { at: this.ctx.clock.now(), from, to, reason };
    if (from !== 'none') this.ctx.jd.fallbacks++;
    this.switches.push(s);
    if (this.switches.length > MAX_SWITCHES) this.switches.shift();
    this.ctx.log.warn({ from, to, reason }, from === 'none' ? 'job declaration starting' : 'job declaration fallback');
    this.ctx.emit('switch', s);
  }

  private leavePair(): void {
    const old = this.ctx.pair;
    this.ctx.clock.clearTimeout(this.pairTimer);
    this.ctx.clock.clearTimeout(this.retryTimer);
    if (!old) return;
    this.jobs.abandonPair(old);
    this.ctx.pair = null;
    this.drain(old, 'left for another pool');
    this.scheduleRecheck();
  }

  /** Late answers to shares already sent still count: stop a pair after a while. */
  private drain(p: JdPair, why: string): void {
    this.draining.set(
      p,
      this.ctx.clock.setTimeout(() => {
        this.draining.delete(p);
        void p.stop(why);
      }, this.ctx.o.drainMs ?? 5_000),
    );
  }

  private newPair(index: number): JdPair {
    return new JdPair(this.ctx.o.pairs[index] as JdPairConfig, index, {
      mode: this.ctx.o.mode,
      nominalHashrate: this.ctx.o.nominalHashrate,
      clock: this.ctx.clock,
      minExtranonceSize: this.ctx.o.extranonceSize ?? 8,
      tokensAhead: this.ctx.o.tokensAhead ?? 2,
      ...(this.ctx.o.versionMask !== undefined ? { versionMask: this.ctx.o.versionMask } : {}),
      ...(this.ctx.o.backoff ? { backoff: this.ctx.o.backoff } : {}),
      ...(this.ctx.o.random ? { random: this.ctx.o.random } : {}),
      ...(this.ctx.o.timeouts ? { timeouts: this.ctx.o.timeouts } : {}),
    });
  }

  /** Mines for pair `index` (a pair a recheck already connected is taken as it is). */
  private usePair(index: number, reason: string, ready?: JdPair): void {
    const cfg = this.ctx.o.pairs[index] as JdPairConfig;
    this.recordSwitch(cfg.name, reason);
    this.leavePair();
    this.ctx.solo = false;
    this.ctx.pairIndex = index;
    this.ctx.forceClean = true;
    this.leftBehind.delete(index);
    const pair = ready ?? this.newPair(index);
    this.ctx.pair = pair;
    pair.on('ready', () => {
      if (this.ctx.pair !== pair) return;
      this.ctx.clock.clearTimeout(this.pairTimer);
      if (this.ctx.template) this.jobs.build(this.ctx.template, true);
    });
    pair.on('down', (why) => {
      if (this.ctx.pair !== pair) return;
      this.ctx.log.warn({ pool: pair.name, reason: why }, 'pool + JDS pair down');
      this.armPairTimer(pair);
    });
    pair.on('target', (target) => {
      if (this.ctx.pair !== pair || this.ctx.solo) return;
      this.ctx.emit('target', target);
    });
    pair.on('failure', (_kind, detail) => {
      // A JDS that sends no token in time, or unusable outputs: a failed pair (no censorship alarm).
      if (this.ctx.pair === pair) this.pairFailed(pair, detail);
    });
    if (ready) {
      if (this.ctx.template) this.jobs.build(this.ctx.template, true);
    } else {
      this.armPairTimer(pair);
      pair.start();
    }
  }

  private armPairTimer(pair: JdPair): void {
    this.ctx.clock.clearTimeout(this.pairTimer);
    const ms = this.ctx.o.pairReadyTimeoutMs ?? 15_000;
    this.pairTimer = this.ctx.clock.setTimeout(() => {
      if (this.ctx.pair === pair && !pair.ready) this.pairFailed(pair, `not ready ${Math.round(ms / 1000)} s after starting or going down`);
    }, ms);
  }

  pairFailed(pair: JdPair, detail: string): void {
    if (pair !== this.ctx.pair || this.ctx.stopped) return;
    this.ctx.jd.pairFailures++;
    this.ctx.log.warn({ pool: pair.name, detail, policy: this.ctx.o.onCensorship }, 'jd-pair-failed');
    if (this.ctx.o.onCensorship === 'retry') {
      // The clients keep reconnecting; check again later.
      this.armPairTimer(pair);
      return;
    }
    this.leftBehind.add(this.ctx.pairIndex);
    this.applyPolicy(`pair failed: ${detail}`);
  }

  private useSolo(reason: string): void {
    this.recordSwitch('solo', reason);
    this.leavePair();
    this.ctx.solo = true;
    this.ctx.pairIndex = -1;
    this.ctx.forceClean = true;
    this.ctx.log.warn({ reason }, 'mining solo: coinbase to our payout, blocks to the own node only');
    if (this.ctx.template) this.jobs.build(this.ctx.template, true);
  }

  // ---------------------------------------------------------------------------------------------
  // Rechecks: a pool left behind (censorship or failure) is not abandoned for good

  private scheduleRecheck(): void {
    const ms = this.ctx.o.recheckMs ?? 600_000;
    if (ms <= 0 || this.recheckTimer !== undefined || this.ctx.stopped || this.leftBehind.size === 0) return;
    this.recheckTimer = this.ctx.clock.setTimeout(() => {
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
    const index = recheckCandidate(this.leftBehind, this.ctx.solo ? null : this.ctx.pairIndex);
    const t = this.ctx.template;
    if (index === undefined || !t || this.ctx.stopped) {
      if (index === undefined) this.leftBehind.clear();
      this.scheduleRecheck();
      return;
    }
    this.ctx.jd.rechecks++;
    const probe = this.newPair(index);
    const name = probe.name;
    this.ctx.log.info({ pool: name }, 'recheck: declaring our template to a pool left behind');
    probe.start();
    const verdict = await this.probe(probe, t);
    if (this.ctx.stopped) return void probe.stop('stopped');
    if (verdict.kind === 'accepted' && this.ctx.template === t && (this.ctx.solo || index < this.ctx.pairIndex)) {
      this.ctx.log.warn({ pool: name }, 'recheck: the pool accepts our template again: going back to it');
      this.usePair(index, `recheck: ${name} accepts our template again`, probe);
      return;
    }
    if (verdict.kind === 'refused' && classifyRefusal(verdict.stage, verdict.code).cls === 'template') {
      this.alarm(
        name,
        t,
        verdict.stage === 'declare' ? 'declare-refused' : 'custom-job-refused',
        verdict.error,
        classifyRefusal(verdict.stage, verdict.code).code,
        verdict.txids,
        'stay',
      );
    } else
      this.ctx.log.info(
        { pool: name, outcome: verdict.kind, detail: 'detail' in verdict ? verdict.detail : verdict.kind === 'refused' ? verdict.error : undefined },
        'recheck: not going back yet',
      );
    this.drain(probe, 'recheck done');
    this.scheduleRecheck();
  }

  /** Waits for a probe pair to be ready, then one declaration of `t` on it (nothing is mined). */
  private async probe(pair: JdPair, t: ActiveTemplate): Promise<Attempt> {
    const ms = this.ctx.o.pairReadyTimeoutMs ?? 15_000;
    const ready = await new Promise<boolean>((resolve) => {
      if (pair.ready) return resolve(true);
      const timer = this.ctx.clock.setTimeout(() => resolve(false), ms);
      pair.once('ready', () => {
        this.ctx.clock.clearTimeout(timer);
        resolve(true);
      });
    });
    if (!ready) return { kind: 'timeout', detail: `not ready within ${Math.round(ms / 1000)} s` };
    let token: PairToken;
    try {
      token = await pair.takeToken(this.ctx.o.timeouts?.tokenMs ?? 10_000);
    } catch (err) {
      return { kind: 'timeout', detail: `no token: ${err instanceof Error ? err.message : String(err)}` };
    }
    return this.jobs.tryOnce(t, pair, token, () => !this.ctx.stopped);
  }
}
