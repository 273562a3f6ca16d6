/**
 * The pool manager: pool groups, failover and failback inside a group, quota sharing between groups.
 * It works with any `Upstream` (V1 and V2 pools can be mixed) through a factory `(pool) => Upstream`.
 *
 * Inside a group (pools in priority order):
 *   - The group's active pool is the highest-priority *usable* pool (connected, authorized, with a job,
 *     not marked failed). A pool is marked failed on: connect failure, handshake or authorize failure,
 *     a drop of the connection, not being usable `connectTimeoutMs` after it was started or went down,
 *     no job for `noJobTimeoutMs`, or `rejectRunLimit` rejected shares in a row. It stays failed until
 *     it is usable again (no-job and reject-run restart its connection to get a fresh session).
 *   - Failover: when the active pool fails, the next usable pool takes over at once. `standby` pools
 *     below the active one (default 1) are kept connected so that this needs no connect; further
 *     backups are started only when every pool connected so far has failed.
 *   - Failback: pools above the active one stay connected (they keep reconnecting with backoff); once
 *     one has been usable continuously for `failbackMs` the group moves back to it. A pool that left
 *     only because the pool asked (client.reconnect) gets its place back as soon as it is usable again.
 *   - Pools no longer needed (below the active one after a failback) are drained: kept connected for
 *     `drainMs` and until their in-flight shares are answered, then stopped.
 * Between groups: the chains mine one group's active pool at a time; the QuotaScheduler hands them to
 * the group with the least time used per unit of quota at every `quotaSliceMs` boundary (see
 * quota-scheduler.ts for why time slicing).
 *
 * Work is never lost silently: a share goes to the upstream that issued its job (`share.job.upstream`),
 * as long as that very connection is running (active, standby or draining); otherwise it is counted as
 * lost-to-switch. Every outcome is counted per pool. On every switch the chains get the new pool's
 * current job at once (the upstream's own, immutable Job: work from the old pool must not continue).
 * Every switch is logged with its reason and counted per pool.
 *
 * Edits (the API's pool commands) are applied in place with `setGroups` (issue 21 D6): a pool whose
 * connection settings did not change keeps its session, job, in-flight shares and counters; pools no
 * longer configured are drained like any pool no longer needed.
 */
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { logger } from '../log.js';
import { TypedEmitter } from '../typed-emitter.js';
import type { Job, Share, ShareOutcome } from './job.js';
import { resolvePoolGroups, type PoolGroupConfig, type ResolvedGroup, type ResolvedPool } from './pool-config.js';
import { QuotaScheduler } from './quota-scheduler.js';
import type { Upstream, UpstreamState, UpstreamStats } from './upstream.js';
import { failureText, type SessionFailure } from './session-failure.js';

/**
 * Why a pool stopped being usable: the category of the upstream's own failure (session-failure.ts), or
 * what the pool manager itself found (no job, a run of rejects, no connection in time).
 */
export type FailureReason =
  | 'connect-failed'
  | 'handshake-failed'
  | 'authorize-failed'
  | 'disconnected'
  | 'protocol-error'
  | 'connect-timeout'
  | 'no-job'
  | 'reject-run'
  | 'stopped'
  /** The pool's work cannot be mined by these chips (e.g. a fixed version on a standard channel). */
  | 'unusable'
  | 'upstream-down';

export type SwitchReason = FailureReason | 'initial' | 'failback' | 'recovered' | 'quota' | 'reconnect-requested' | 'operator';

export type UpstreamFactory = (pool: ResolvedPool) => Upstream;

export interface PoolManagerOptions {
  groups: readonly PoolGroupConfig[];
  factory: UpstreamFactory;
  clock?: Clock;
  /** A started (or dropped) pool that is not usable after this long is marked failed. Default 30 s. */
  connectTimeoutMs?: number;
  /** A ready pool that sends no job for this long is marked failed and reconnected. Default 120 s. */
  noJobTimeoutMs?: number;
  /** This many rejected shares in a row (stale not counted) mark the pool failed. Default 10. */
  rejectRunLimit?: number;
  /** A higher-priority pool must be usable this long before the group fails back to it. Default 60 s. */
  failbackMs?: number;
  /** Quota time slice between groups. Default 60 s. */
  quotaSliceMs?: number;
  /** How long a pool no longer needed stays connected for late shares. Default 15 s. */
  drainMs?: number;
  /** Health check period. Default 1 s. */
  tickMs?: number;
  /**
   * Pools below the active one kept connected as hot standby, so a failover needs no connect.
   * Default 1; 0 connects a backup only when it is needed.
   */
  standby?: number;
}

export interface SwitchEvent {
  /** Clock time (ms). */
  at: number;
  group: string;
  from?: string;
  to?: string;
  reason: SwitchReason;
  detail?: string;
  /** True when the chains moved (the switch happened in the group that holds them, or between groups). */
  chains: boolean;
}

export interface PoolStats {
  id: string;
  url: string;
  group: string;
  rank: number;
  running: boolean;
  ready: boolean;
  usable: boolean;
  /** The group's active pool. */
  active: boolean;
  /** The pool the chains mine now. */
  current: boolean;
  draining: boolean;
  failure?: { reason: FailureReason; detail: string; at: number };
  healthySince?: number;
  /** Time the chains mined this pool (ms). */
  activeMs: number;
  submitted: number;
  accepted: number;
  rejected: number;
  stale: number;
  /** Lost shares by reason (lost-to-switch, lost-to-disconnect, lost-to-timeout, ...). */
  lost: Record<string, number>;
  rejectReasons: Record<string, number>;
  inFlight: number;
  switchesTo: number;
  switchesAway: Record<string, number>;
  failures: Record<string, number>;
  upstream?: UpstreamStats;
}

export interface GroupStats {
  name: string;
  quota: number;
  active?: string;
  activeMs: number;
}

export interface PoolManagerStats {
  current?: string;
  currentGroup?: string;
  groups: GroupStats[];
  pools: PoolStats[];
  switches: number;
  /** Shares whose job named no configured pool. */
  unroutable: number;
}

type Events = {
  /** The job the chains should mine now (on a switch: the new pool's current job). */
  job: [job: Job];
  /** No usable pool: the chains have no valid work. */
  idle: [reason: string];
  switch: [e: SwitchEvent];
};

interface PoolRt {
  pool: ResolvedPool;
  group: GroupRt;
  upstream?: Upstream;
  detach?: () => void;
  running: boolean;
  ready: boolean;
  job?: Job;
  startedAt: number;
  /** When it last stopped being usable (or was started): the connect timeout counts from here. */
  downSince: number;
  readyAt?: number;
  lastJobAt?: number;
  healthySince?: number;
  failed?: { reason: FailureReason; detail: string; at: number };
  quickReturn: boolean;
  rejectRun: number;
  inFlight: number;
  drainTimer?: TimerHandle;
  drainDue: boolean;
  /** The operator asked for this pool (switchpool): it takes its group's place as soon as it is usable. */
  operatorPick: boolean;
  /** No longer configured: draining, then forgotten. */
  removed: boolean;
  s: Omit<
    PoolStats,
    'id' | 'url' | 'group' | 'rank' | 'running' | 'ready' | 'usable' | 'active' | 'current' | 'draining' | 'failure' | 'healthySince' | 'inFlight' | 'upstream'
  >;
}

interface GroupRt {
  cfg: ResolvedGroup;
  pools: PoolRt[];
  active?: PoolRt;
  /** Highest rank that is connected. */
  frontier: number;
  activeMs: number;
  /** Why the active pool last changed. */
  lastReason?: SwitchReason;
  lastDetail?: string;
  /** The pool that went down when the group was left without an active pool. */
  lastDown?: PoolRt;
}

const MAX_SWITCH_LOG = 200;

/** Same session settings: an edit that keeps them keeps the connection (name, priority, enabled and timeouts may change). */
function sameConnection(a: ResolvedPool, b: ResolvedPool): boolean {
  const key = (p: ResolvedPool): string => {
    const { id: _id, name: _name, priority: _priority, enabled: _enabled, rank: _rank, index: _index, group: _group, noJobTimeoutMs: _nj, ...conn } = p;
    return JSON.stringify(conn, Object.keys(conn).sort());
  };
  return key(a) === key(b);
}

export class PoolManager extends TypedEmitter<Events> {
  private readonly clock: Clock;
  private readonly log = logger('pools');
  private readonly factory: UpstreamFactory;
  private groups: GroupRt[];
  private readonly byId = new Map<string, PoolRt>();
  /** Pools removed by an edit, draining: their late shares still reach their upstream. */
  private readonly retired = new Set<PoolRt>();
  /** Every upstream this manager made: a share goes back to the manager whose upstream issued its job. */
  private readonly created = new WeakSet<object>();
  private quota: QuotaScheduler;
  private readonly o: Required<Omit<PoolManagerOptions, 'groups' | 'factory' | 'clock'>>;
  private current?: PoolRt;
  private sliceStart = 0;
  private lastCharge = 0;
  private tickTimer?: TimerHandle;
  private started = false;
  private stopped = false;
  private eligibleBefore = new Set<string>();
  private readonly switches: SwitchEvent[] = [];
  private switchCount = 0;
  private unroutable = 0;
  private idleReason?: string;
  private evaluating = false;
  private reevaluate = false;

  constructor(opts: PoolManagerOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.factory = opts.factory;
    this.o = {
      connectTimeoutMs: opts.connectTimeoutMs ?? 30_000,
      noJobTimeoutMs: opts.noJobTimeoutMs ?? 120_000,
      rejectRunLimit: opts.rejectRunLimit ?? 10,
      failbackMs: opts.failbackMs ?? 60_000,
      quotaSliceMs: opts.quotaSliceMs ?? 60_000,
      drainMs: opts.drainMs ?? 15_000,
      tickMs: opts.tickMs ?? 1000,
      standby: opts.standby ?? 1,
    };
    if (!Number.isInteger(this.o.standby) || this.o.standby < 0) throw new RangeError('standby must be a non-negative integer');
    const resolved = resolvePoolGroups(opts.groups);
    this.quota = new QuotaScheduler(resolved.map((g) => ({ name: g.name, quota: g.quota })));
    this.groups = resolved.map((cfg) => this.newGroup(cfg));
  }

  private newGroup(cfg: ResolvedGroup): GroupRt {
    const g: GroupRt = { cfg, pools: [], frontier: Math.min(cfg.pools.length - 1, this.o.standby), activeMs: 0 };
    g.pools = cfg.pools.map((pool) => this.newPool(pool, g));
    return g;
  }

  private newPool(pool: ResolvedPool, g: GroupRt): PoolRt {
    const p: PoolRt = {
      pool,
      group: g,
      running: false,
      ready: false,
      startedAt: 0,
      downSince: 0,
      quickReturn: false,
      rejectRun: 0,
      inFlight: 0,
      drainDue: false,
      operatorPick: false,
      removed: false,
      s: { activeMs: 0, submitted: 0, accepted: 0, rejected: 0, stale: 0, lost: {}, rejectReasons: {}, switchesTo: 0, switchesAway: {}, failures: {} },
    };
    this.byId.set(pool.id, p);
    return p;
  }

  /**
   * Puts new pool groups in force on the running manager (issue 21 D6). A pool with the same id and the
   * same connection settings (URL, user, password, protocol options) keeps its upstream, session, job,
   * in-flight shares and counters; a new or changed one starts fresh; one no longer configured (removed
   * or disabled) is drained and then forgotten. Group time used so far is kept. With `switchTo`, that
   * pool takes its group's place as soon as it is usable (switchpool). Throws PoolConfigError (and
   * changes nothing) on invalid groups.
   */
  setGroups(groups: readonly PoolGroupConfig[], opts: { switchTo?: string } = {}): void {
    const resolved = resolvePoolGroups(groups);
    const quota = new QuotaScheduler(resolved.map((g) => ({ name: g.name, quota: g.quota })));
    for (const g of resolved) quota.charge(g.name, this.quota.usedMs(g.name));
    const oldById = new Map(this.byId);
    const kept = new Set<PoolRt>();
    const next = resolved.map((cfg) => {
      const old = this.groups.find((x) => x.cfg.name === cfg.name);
      const g: GroupRt = old ?? { cfg, pools: [], frontier: 0, activeMs: 0 };
      g.cfg = cfg;
      g.pools = cfg.pools.map((pool) => {
        const p = oldById.get(pool.id);
        if (p && !p.removed && sameConnection(p.pool, pool)) {
          p.pool = pool;
          p.group = g;
          kept.add(p);
          return p;
        }
        if (p) this.retire(p);
        return this.newPool(pool, g);
      });
      if (g.active && !kept.has(g.active)) {
        g.lastReason = 'stopped';
        g.lastDetail = `${g.active.pool.id} removed by a config edit`;
        g.lastDown = g.active;
        g.active = undefined;
      }
      const top = g.active ? g.active.pool.rank : 0;
      g.frontier = Math.min(g.pools.length - 1, top + this.o.standby);
      return g;
    });
    for (const p of oldById.values()) if (!kept.has(p) && !p.removed) this.retire(p);
    this.groups = next;
    this.quota = quota;
    if (opts.switchTo !== undefined) {
      for (const x of this.byId.values()) x.operatorPick = false;
      const p = this.byId.get(opts.switchTo);
      if (p && !p.removed) p.operatorPick = true;
    }
    this.log.info({ groups: resolved.map((g) => ({ name: g.name, pools: g.pools.map((p) => p.id) })), kept: kept.size }, 'pool groups edited');
    this.evaluate();
  }

  /** A pool no longer configured: out of its group, drained for late shares, then forgotten. */
  private retire(p: PoolRt): void {
    p.removed = true;
    p.operatorPick = false;
    if (this.byId.get(p.pool.id) === p) this.byId.delete(p.pool.id);
    this.retired.add(p);
    if (p.running) this.drainPool(p);
    else this.retired.delete(p);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.lastCharge = this.clock.now();
    this.sliceStart = this.lastCharge;
    for (const g of this.groups) this.startPool(g.pools[0] as PoolRt);
    this.tickTimer = this.clock.setInterval(() => this.tick(), this.o.tickMs);
    this.evaluate();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.charge();
    this.clock.clearInterval(this.tickTimer);
    const all: Promise<void>[] = [];
    for (const p of [...this.byId.values(), ...this.retired]) {
      this.clock.clearTimeout(p.drainTimer);
      if (p.upstream) all.push(p.upstream.stop('pool manager stopped'));
      p.detach?.();
      p.upstream = undefined;
      p.running = false;
    }
    this.current = undefined;
    await Promise.all(all);
  }

  /** The job the chains should mine now. */
  currentJob(): Job | undefined {
    return this.current?.job;
  }

  /** Id of the pool the chains mine now. */
  currentPool(): string | undefined {
    return this.current?.pool.id;
  }

  /** True when this manager made the upstream that issued `job` (a share of it is this manager's to route). */
  issued(job: Job): boolean {
    return this.created.has(job.upstream);
  }

  /** Routes a share to the upstream that issued its job. Never throws; every outcome is counted. */
  async submit(share: Share): Promise<ShareOutcome> {
    const id = share.job.source.poolId;
    const p = this.byId.get(id) ?? [...this.retired].find((r) => r.pool.id === id);
    if (!p) {
      this.unroutable++;
      this.log.warn({ pool: share.job.source.poolId, job: share.job.id }, 'share for an unknown pool');
      return { status: 'lost', reason: 'lost-refused-job' };
    }
    p.s.submitted++;
    const up = p.upstream;
    let outcome: ShareOutcome;
    // Only the connection that issued the job can take its shares (a restarted pool is a new one).
    if (!p.running || !up || up !== share.job.upstream) {
      outcome = { status: 'lost', reason: 'lost-to-switch' };
      this.log.info({ pool: p.pool.id, job: share.job.id }, 'share for a pool no longer connected: lost-to-switch');
    } else {
      p.inFlight++;
      try {
        outcome = await up.submit(share);
      } catch (err) {
        // An upstream must not throw from submit; if one does, the share is still accounted for.
        this.log.error({ pool: p.pool.id, err: err instanceof Error ? err.message : String(err) }, 'upstream submit threw');
        outcome = { status: 'lost', reason: 'lost-to-disconnect' };
      } finally {
        p.inFlight--;
      }
    }
    this.recordOutcome(p, outcome);
    if (p.drainDue && p.inFlight === 0) this.stopPool(p);
    return outcome;
  }

  /** Measured hashrate: each group's active pool is told the part of it that the quota gives that group. */
  reportHashrate(hashesPerSecond: number): void {
    const eligible = this.groups.filter((g) => g.active && this.usable(g.active));
    const total = eligible.reduce((a, g) => a + g.cfg.quota, 0);
    for (const g of eligible) g.active?.upstream?.reportHashrate((hashesPerSecond * g.cfg.quota) / total);
  }

  switchLog(): SwitchEvent[] {
    return this.switches.slice();
  }

  stats(): PoolManagerStats {
    this.charge();
    const pools: PoolStats[] = [];
    // Configured pools only: one removed by an edit drains unseen (its shares are still counted).
    for (const p of this.byId.values()) {
      const st: PoolStats = {
        id: p.pool.id,
        url: p.pool.url,
        group: p.group.cfg.name,
        rank: p.pool.rank,
        running: p.running,
        ready: p.ready,
        usable: this.usable(p),
        active: p.group.active === p,
        current: this.current === p,
        draining: p.drainTimer !== undefined || p.drainDue,
        ...p.s,
        lost: { ...p.s.lost },
        rejectReasons: { ...p.s.rejectReasons },
        switchesAway: { ...p.s.switchesAway },
        failures: { ...p.s.failures },
        inFlight: p.inFlight,
      };
      if (p.failed) st.failure = { ...p.failed };
      if (p.healthySince !== undefined) st.healthySince = p.healthySince;
      if (p.upstream) st.upstream = p.upstream.stats();
      pools.push(st);
    }
    const out: PoolManagerStats = {
      groups: this.groups.map((g) => ({ name: g.cfg.name, quota: g.cfg.quota, activeMs: g.activeMs, ...(g.active ? { active: g.active.pool.id } : {}) })),
      pools,
      switches: this.switchCount,
      unroutable: this.unroutable,
    };
    if (this.current) {
      out.current = this.current.pool.id;
      out.currentGroup = this.current.group.cfg.name;
    }
    return out;
  }

  // ---- pool lifecycle ----

  private usable(p: PoolRt): boolean {
    return p.running && p.ready && p.job !== undefined && p.failed === undefined;
  }

  private startPool(p: PoolRt): void {
    if (this.stopped) return;
    if (p.drainTimer !== undefined || p.drainDue) {
      this.clock.clearTimeout(p.drainTimer);
      p.drainTimer = undefined;
      p.drainDue = false;
      this.log.info({ pool: p.pool.id }, 'drain cancelled: pool needed again');
    }
    if (p.running) return;
    const now = this.clock.now();
    let up: Upstream;
    try {
      up = this.factory(p.pool);
    } catch (err) {
      this.markFailed(p, 'connect-failed', err instanceof Error ? err.message : String(err));
      return;
    }
    p.upstream = up;
    this.created.add(up);
    p.running = true;
    p.ready = false;
    p.job = undefined;
    p.startedAt = now;
    p.downSince = now;
    p.healthySince = undefined;
    const onState = (s: UpstreamState, failure?: SessionFailure): void => this.onState(p, up, s, failure);
    const onJob = (job: Job): void => this.onJob(p, up, job);
    up.on('state', onState);
    up.on('job', onJob);
    p.detach = () => {
      up.off('state', onState);
      up.off('job', onJob);
    };
    this.log.info({ pool: p.pool.id, group: p.group.cfg.name, rank: p.pool.rank }, 'starting pool');
    up.start();
  }

  /** Stops a pool now (in-flight shares resolve through the upstream as lost and are counted). */
  private stopPool(p: PoolRt): void {
    this.clock.clearTimeout(p.drainTimer);
    p.drainTimer = undefined;
    p.drainDue = false;
    const up = p.upstream;
    if (!up) return;
    p.detach?.();
    p.detach = undefined;
    p.upstream = undefined;
    p.running = false;
    p.ready = false;
    p.job = undefined;
    p.healthySince = undefined;
    this.log.info({ pool: p.pool.id }, 'stopping pool');
    if (p.removed) this.retired.delete(p);
    void up.stop('not needed');
  }

  /** Keeps a pool connected for drainMs and until its in-flight shares are answered, then stops it. */
  private drainPool(p: PoolRt): void {
    if (!p.running || p.drainTimer !== undefined || p.drainDue) return;
    this.log.info({ pool: p.pool.id, drainMs: this.o.drainMs }, 'draining pool');
    p.drainTimer = this.clock.setTimeout(() => {
      p.drainTimer = undefined;
      p.drainDue = true;
      if (p.inFlight === 0) this.stopPool(p);
    }, this.o.drainMs);
  }

  private restartPool(p: PoolRt): void {
    this.stopPool(p);
    this.startPool(p);
  }

  private markFailed(p: PoolRt, reason: FailureReason, detail: string): void {
    p.healthySince = undefined;
    // The manager stopping its own pools is not a pool failure: not counted, not warned about.
    if (this.stopped) return;
    p.quickReturn = false;
    if (p.failed?.reason === reason) {
      p.failed.detail = detail;
      return;
    }
    p.failed = { reason, detail, at: this.clock.now() };
    p.s.failures[reason] = (p.s.failures[reason] ?? 0) + 1;
    this.log.warn({ pool: p.pool.id, reason, detail }, 'pool failed');
  }

  private onState(p: PoolRt, up: Upstream, s: UpstreamState, failure?: SessionFailure): void {
    if (p.upstream !== up) return;
    const now = this.clock.now();
    if (s === 'ready') {
      p.ready = true;
      p.readyAt = now;
    } else {
      const wasUsable = this.usable(p);
      p.ready = false;
      p.job = undefined;
      p.healthySince = undefined;
      if (wasUsable) p.downSince = now;
      const reason = failureText(failure);
      if (s === 'closed') this.markFailed(p, 'stopped', reason ?? 'closed');
      else if (failure !== undefined) {
        if (failure.category === 'reconnect-requested') {
          // Not a failure: the pool will be back shortly and gets its place back at once.
          if (p.failed === undefined) p.quickReturn = true;
          this.log.info({ pool: p.pool.id, reason }, 'pool asked to reconnect');
        } else this.markFailed(p, failure.category, reason ?? failure.category);
      }
    }
    this.evaluate();
  }

  private onJob(p: PoolRt, up: Upstream, job: Job): void {
    if (p.upstream !== up) return;
    const now = this.clock.now();
    p.job = job;
    p.lastJobAt = now;
    if (p.ready && p.healthySince === undefined) {
      p.healthySince = now;
      if (p.failed) this.log.info({ pool: p.pool.id, was: p.failed.reason }, 'pool usable again');
      p.failed = undefined;
    }
    if (this.current === p) this.emit('job', job);
    this.evaluate();
  }

  private recordOutcome(p: PoolRt, o: ShareOutcome): void {
    switch (o.status) {
      case 'accepted':
        p.s.accepted++;
        p.rejectRun = 0;
        return;
      case 'stale':
        p.s.stale++;
        p.s.rejectReasons[o.reason] = (p.s.rejectReasons[o.reason] ?? 0) + 1;
        return;
      case 'lost':
        p.s.lost[o.reason] = (p.s.lost[o.reason] ?? 0) + 1;
        return;
      case 'rejected':
        p.s.rejected++;
        p.s.rejectReasons[o.reason] = (p.s.rejectReasons[o.reason] ?? 0) + 1;
        p.rejectRun++;
        if (p.rejectRun >= this.o.rejectRunLimit && p.running) {
          p.rejectRun = 0;
          this.markFailed(p, 'reject-run', `${this.o.rejectRunLimit} rejected shares in a row (last: ${o.reason})`);
          // Evaluate first so the chains move before the session is replaced.
          this.evaluate();
          this.restartPool(p);
          this.evaluate();
        }
    }
  }

  // ---- decisions ----

  private tick(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    for (const p of this.byId.values()) {
      if (!p.running) continue;
      if (p.ready && p.failed === undefined) {
        const last = p.lastJobAt !== undefined && p.lastJobAt >= (p.readyAt ?? 0) ? p.lastJobAt : (p.readyAt ?? now);
        const limit = p.pool.noJobTimeoutMs ?? this.o.noJobTimeoutMs;
        if (limit > 0 && now - last > limit) {
          this.markFailed(p, 'no-job', `no job for ${Math.round((now - last) / 1000)} s`);
          this.evaluate();
          this.restartPool(p);
          continue;
        }
      }
      if (!this.usable(p) && p.failed === undefined && now - p.downSince > this.o.connectTimeoutMs) {
        this.markFailed(p, 'connect-timeout', `not usable ${Math.round((now - p.downSince) / 1000)} s after start`);
      }
    }
    this.evaluate();
  }

  /** Re-decides every group's active pool, the frontier of connected pools, and which pool the chains mine. */
  private evaluate(): void {
    if (this.stopped || !this.started) return;
    // Decisions start and stop upstreams, whose events call back here; finish one pass, then redo.
    if (this.evaluating) {
      this.reevaluate = true;
      return;
    }
    this.evaluating = true;
    try {
      do {
        this.reevaluate = false;
        for (const g of this.groups) this.evaluateGroup(g);
        this.updateChains();
      } while (this.reevaluate);
    } finally {
      this.evaluating = false;
    }
  }

  private evaluateGroup(g: GroupRt): void {
    const now = this.clock.now();
    const act = g.active;
    if (act && this.usable(act)) {
      for (const p of g.pools) {
        if (p === act) break;
        if (this.usable(p) && (p.operatorPick || p.quickReturn || now - (p.healthySince ?? now) >= this.o.failbackMs)) {
          this.setActive(g, p, p.operatorPick ? 'operator' : p.quickReturn ? 'reconnect-requested' : 'failback');
          break;
        }
      }
    } else {
      let cand = g.pools.find((p) => this.usable(p));
      // At start, do not settle for a standby while a higher-priority pool is still connecting.
      if (cand && g.lastReason === undefined && g.pools.some((p) => p.pool.rank < (cand as PoolRt).pool.rank && p.failed === undefined)) cand = undefined;
      if (act) {
        // The active pool went down: fail over to the best usable pool, or to none.
        const why: SwitchReason = act.failed?.reason ?? (act.quickReturn ? 'reconnect-requested' : 'upstream-down');
        this.setActive(g, cand, why, act.failed?.detail);
      } else if (cand) {
        // First pool of the group; the end of a failover that had to connect a backup first (the reason
        // is the failure that started it); or the same pool coming back after the whole group was down.
        let why: SwitchReason = 'initial';
        if (cand.quickReturn) why = 'reconnect-requested';
        else if (g.lastReason !== undefined) why = g.lastDown !== undefined && g.lastDown !== cand ? g.lastReason : 'recovered';
        this.setActive(g, cand, why, why === g.lastReason ? g.lastDetail : undefined);
      }
    }
    if (g.active) g.frontier = Math.min(g.pools.length - 1, g.active.pool.rank + this.o.standby);
    else {
      // Nothing usable: connect the next pool once every connected one has failed.
      while (g.frontier < g.pools.length - 1 && g.pools.slice(0, g.frontier + 1).every((p) => p.failed !== undefined)) g.frontier++;
    }
    for (const p of g.pools) {
      if (p.pool.rank <= g.frontier) this.startPool(p);
      else if (p.running) this.drainPool(p);
    }
  }

  /**
   * Changes a group's active pool. The switch is recorded here when another group holds the chains;
   * when this group holds them (or none does), updateChains records it as the chains move.
   */
  private setActive(g: GroupRt, p: PoolRt | undefined, reason: SwitchReason, detail?: string): void {
    const old = g.active;
    if (old === p) return;
    g.active = p;
    g.lastReason = reason;
    g.lastDetail = detail;
    g.lastDown = p === undefined ? old : undefined;
    if (p) p.quickReturn = false;
    if (p) p.operatorPick = false;
    if (this.current !== undefined && this.current.group !== g) {
      this.recordSwitch(
        {
          at: this.clock.now(),
          group: g.cfg.name,
          ...(old ? { from: old.pool.id } : {}),
          ...(p ? { to: p.pool.id } : {}),
          reason,
          ...(detail ? { detail } : {}),
          chains: false,
        },
        old,
        p,
      );
    }
  }

  private recordSwitch(e: SwitchEvent, from: PoolRt | undefined, to: PoolRt | undefined): void {
    this.switchCount++;
    this.switches.push(e);
    if (this.switches.length > MAX_SWITCH_LOG) this.switches.shift();
    if (from) from.s.switchesAway[e.reason] = (from.s.switchesAway[e.reason] ?? 0) + 1;
    if (to) to.s.switchesTo++;
    this.log.info({ group: e.group, from: e.from, to: e.to, reason: e.reason, detail: e.detail, chains: e.chains }, 'pool switch');
    this.emit('switch', e);
  }

  /** Time accounting for the pool and group that held the chains. */
  private charge(): void {
    const now = this.clock.now();
    const dt = now - this.lastCharge;
    this.lastCharge = now;
    if (!this.current || dt <= 0) return;
    this.current.s.activeMs += dt;
    this.current.group.activeMs += dt;
    this.quota.charge(this.current.group.cfg.name, dt);
  }

  private updateChains(): void {
    this.charge();
    const now = this.clock.now();
    const eligible = new Set<string>();
    for (const g of this.groups) if (g.active && this.usable(g.active)) eligible.add(g.cfg.name);
    for (const name of eligible) if (!this.eligibleBefore.has(name)) this.quota.rejoin(name, eligible);
    this.eligibleBefore = eligible;

    const cur = this.current;
    const curGroup = cur?.group;
    let nextGroup: GroupRt | undefined;
    let quotaTurn = false;
    if (curGroup && eligible.has(curGroup.cfg.name)) {
      nextGroup = curGroup;
      if (eligible.size > 1 && now - this.sliceStart >= this.o.quotaSliceMs) {
        const due = this.quota.pick(eligible);
        nextGroup = this.groups.find((g) => g.cfg.name === due) ?? curGroup;
        quotaTurn = nextGroup !== curGroup;
        this.sliceStart = now;
      }
    } else {
      const due = this.quota.pick(eligible);
      nextGroup = this.groups.find((g) => g.cfg.name === due);
      this.sliceStart = now;
    }
    const next = nextGroup?.active;
    if (next === cur) return;

    // One event per move of the chains, with the reason of the group decision behind it.
    let reason: SwitchReason;
    let detail: string | undefined;
    if (quotaTurn) reason = 'quota';
    else if (curGroup) {
      reason = curGroup.lastReason ?? 'upstream-down';
      detail = curGroup.lastDetail;
    } else {
      reason = nextGroup?.lastReason ?? 'initial';
      detail = nextGroup?.lastDetail;
    }
    this.recordSwitch(
      {
        at: now,
        group: (nextGroup ?? curGroup)?.cfg.name ?? '',
        ...(cur ? { from: cur.pool.id } : {}),
        ...(next ? { to: next.pool.id } : {}),
        reason,
        ...(detail ? { detail } : {}),
        chains: true,
      },
      cur,
      next,
    );
    this.current = next;
    if (next?.job) {
      this.idleReason = undefined;
      // The upstream's own Job object (never a copy): its shares are judged and routed by it.
      this.emit('job', next.job);
      return;
    }
    const why = cur ? `${cur.pool.id}: ${reason}` : 'no usable pool';
    if (this.idleReason !== why) {
      this.idleReason = why;
      this.log.warn({ reason: why }, 'no usable pool: chains idle');
      this.emit('idle', why);
    }
  }
}
