/**
 * An in-test Upstream whose every move the test makes: ready, jobs, failures, and the answer to each
 * submit (immediate, or held until the test releases it). Follows the Upstream contract: stop() ends
 * outstanding submits as lost.
 */
import { FAILURE_CATEGORIES, type SessionFailure } from '../../src/upstream/session-failure.js';
import { TypedEmitter } from '../../src/typed-emitter.js';
import type { Clock } from '../../src/clock.js';
import type { Job, Share, ShareOutcome } from '../../src/upstream/job.js';
import { emptyUpstreamStats, type Upstream, type UpstreamEvents, type UpstreamState, type UpstreamStats } from '../../src/upstream/upstream.js';
import type { ResolvedPool } from '../../src/upstream/pool-config.js';
import { difficultyToTarget } from '../../src/work/target.js';

export type Answer = ShareOutcome | 'hold';

export class FakeUpstream extends TypedEmitter<UpstreamEvents> implements Upstream {
  readonly id: string;
  readonly url: string;
  readonly protocol: 'sv1' | 'sv2';
  st: UpstreamState = 'idle';
  job?: Job;
  private seq = 0;
  readonly submitted: Share[] = [];
  readonly held: { share: Share; resolve: (o: ShareOutcome) => void }[] = [];
  answer: (s: Share) => Answer = () => ({ status: 'accepted' });
  hashrate?: number;
  readonly s: UpstreamStats = emptyUpstreamStats();

  constructor(
    pool: ResolvedPool,
    private readonly clock: Clock,
    readonly instance: number,
  ) {
    super();
    this.id = pool.id;
    this.url = pool.url;
    this.protocol = pool.url.startsWith('stratum2') ? 'sv2' : 'sv1';
  }

  get state(): UpstreamState {
    return this.st;
  }
  start(): void {
    this.set('connecting');
  }
  async stop(reason = 'stopped'): Promise<void> {
    if (this.st === 'closed') return;
    this.set('closed', reason);
    for (const h of this.held.splice(0)) h.resolve({ status: 'lost', reason: 'lost-to-disconnect' });
  }
  currentJob(): Job | undefined {
    return this.st === 'ready' ? this.job : undefined;
  }
  submit(share: Share): Promise<ShareOutcome> {
    this.submitted.push(share);
    if (this.st !== 'ready' || share.job.receivedAt < this.readyAt) return Promise.resolve({ status: 'lost', reason: 'lost-to-disconnect' });
    const a = this.answer(share);
    if (a === 'hold') return new Promise((resolve) => this.held.push({ share, resolve }));
    return Promise.resolve(a);
  }
  reportHashrate(h: number): void {
    this.hashrate = h;
  }
  stats(): UpstreamStats {
    return this.s;
  }

  // ---- test controls ----
  private readyAt = 0;
  /** A state change; a reason is written as an upstream's log line says it: `category: detail`. */
  set(s: UpstreamState, reason?: string): void {
    this.st = s;
    this.emit('state', s, reason === undefined ? undefined : parseFailure(reason));
  }
  ready(withJob = true): this {
    this.readyAt = this.clock.now();
    this.set('ready');
    if (withJob) this.newJob(true);
    return this;
  }
  newJob(clean = false): Job {
    const job: Job = {
      id: `${this.id}-${this.instance}-${++this.seq}`,
      source: { poolId: this.id, protocol: this.protocol },
      upstream: this,
      prevHash: new Uint8Array(32),
      version: 0x20000000,
      versionMask: 0x1fffe000,
      nbits: 0x1703a30c,
      ntime: 1_700_000_000,
      ntimeRolling: true,
      target: difficultyToTarget(1),
      clean,
      receivedAt: this.clock.now(),
      work: { kind: 'header', merkleRoot: new Uint8Array(32) },
    };
    this.job = job;
    this.emit('job', job);
    return job;
  }
  /** A new share target for jobs issued from now on (SV1 set_difficulty, SV2 SetTarget): informational. */
  target(t: bigint): void {
    this.emit('target', t);
  }
  fail(reason: string): void {
    this.set('connecting', reason);
    for (const h of this.held.splice(0)) h.resolve({ status: 'lost', reason: 'lost-to-disconnect' });
  }
  release(answer: ShareOutcome = { status: 'accepted' }): void {
    for (const h of this.held.splice(0)) h.resolve(answer);
  }
}

/** A factory that records every instance it makes, by pool id. */
export function fakeFactory(
  clock: Clock,
  onCreate?: (u: FakeUpstream) => void,
): { factory: (p: ResolvedPool) => FakeUpstream; made: Map<string, FakeUpstream[]>; latest: (id: string) => FakeUpstream } {
  const made = new Map<string, FakeUpstream[]>();
  return {
    made,
    factory: (p) => {
      const list = made.get(p.id) ?? [];
      const u = new FakeUpstream(p, clock, list.length + 1);
      list.push(u);
      made.set(p.id, list);
      onCreate?.(u);
      return u;
    },
    latest: (id) => {
      const u = made.get(id)?.at(-1);
      if (!u) throw new Error(`no upstream made for ${id}`);
      return u;
    },
  };
}

/** A share for a job (the manager only routes it; its content does not matter to fakes). */
export function shareFor(job: Job, nonce = 0, foundAt = 0): Share {
  return { job, ntime: job.ntime, nonce, version: job.version, hash: new Uint8Array(32), difficulty: 1, isBlock: false, foundAt };
}

/** `connect-failed: ECONNREFUSED` as the typed failure an upstream reports; an unknown head is a disconnect. */
function parseFailure(text: string): SessionFailure {
  const i = text.indexOf(':');
  const head = (i < 0 ? text : text.slice(0, i)).trim();
  const detail = i < 0 ? '' : text.slice(i + 1).trim();
  const category = FAILURE_CATEGORIES.find((k) => k === head);
  return category ? { category, detail } : { category: 'disconnected', detail: text };
}
