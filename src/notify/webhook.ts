/**
 * Alarms that push: each raise and each clear becomes one JSON POST to a receiver (docs/notify.md has
 * the body). Delivery never touches mining: `offer()` only appends to a bounded queue and returns; one
 * request is in flight per receiver, in order (a clear never overtakes its raise); a failed request is
 * retried with exponential backoff (with jitter, so a farm does not retry in lockstep) until `attempts`
 * is spent; when the queue is full the oldest event is dropped. Every outcome is counted.
 *
 * Retried: network errors, timeouts, HTTP 408, 429 and 5xx. Any other status is the receiver saying no:
 * counted as rejected, not retried. The URL may hold a secret (Slack, Discord and ntfy put one in the
 * path), so logs show only its origin.
 */
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { logger, type Logger } from '../log.js';
import type { Alarm, AlarmKind } from '../api/snapshot.js';
import { Backoff } from '../upstream/sv2/backoff.js';
import { USER_AGENT } from '../version.js';

export interface WebhookOptions {
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Alarm kinds sent; all when absent. */
  kinds?: readonly AlarmKind[];
  minSeverity: 'warning' | 'critical';
  timeoutMs: number;
  attempts: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Events waiting at most. */
  queue: number;
}

/** Who sends: in every body, so one receiver can serve a farm. */
export interface MinerIdentity {
  firmware: string;
  version: string;
  model: string;
  node: string;
}

/** The body of every POST (docs/notify.md, "Webhook body"). */
export interface WebhookBody {
  /** Body format version. */
  version: 1;
  /** Unique per event; the same on every retry of it (receivers can drop duplicates). */
  id: string;
  event: 'raise' | 'clear';
  alarm: {
    key: string;
    kind: AlarmKind;
    severity: 'warning' | 'critical';
    message: string;
    /** When the condition began, Unix seconds. */
    at: number;
    clearedAt?: number;
    pool?: string;
    chain?: number;
    templateId?: string;
    error?: string;
  };
  miner: MinerIdentity;
  /** Try number of this request, from 1. */
  attempt: number;
  /** Unix seconds this request was sent. */
  sentAt: number;
}

export interface WebhookStats {
  queued: number;
  delivered: number;
  /** Retries spent, dropped after the last attempt. */
  failed: number;
  /** Answered with a status that is not retried (4xx). */
  rejected: number;
  /** Dropped because the queue was full. */
  dropped: number;
  /** Requests sent, first tries and retries. */
  requests: number;
}

interface Pending {
  body: Omit<WebhookBody, 'attempt' | 'sentAt'>;
  attempts: number;
}

export interface WebhookDeps {
  clock?: Clock;
  log?: Logger;
  identity: () => MinerIdentity;
  /** For tests: the HTTP client (default: the global fetch). */
  fetch?: typeof fetch;
}

const SEVERITY = { warning: 0, critical: 1 } as const;

/** The origin of a URL, for logs (never the path or query, which may be a secret). */
export function urlOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '[invalid url]';
  }
}

export class WebhookSender {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly http: typeof fetch;
  private readonly queue: Pending[] = [];
  private readonly backoff: Backoff;
  private inFlight = false;
  private timer: TimerHandle | undefined;
  private closed = false;
  private abort: AbortController | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly counts = { delivered: 0, failed: 0, rejected: 0, dropped: 0, requests: 0 };

  constructor(
    private readonly o: WebhookOptions,
    private readonly deps: WebhookDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log ?? logger('notify.webhook');
    this.http = deps.fetch ?? fetch;
    this.backoff = new Backoff({ initialMs: o.backoffMinMs, maxMs: o.backoffMaxMs });
  }

  get origin(): string {
    return urlOrigin(this.o.url);
  }

  /** Whether this receiver wants the alarm (kind and severity filters). */
  wants(a: Alarm): boolean {
    if (this.o.kinds && !this.o.kinds.includes(a.kind)) return false;
    return SEVERITY[a.severity] >= SEVERITY[this.o.minSeverity];
  }

  /** Queues one event and returns at once. */
  offer(event: 'raise' | 'clear', a: Alarm): void {
    if (this.closed || !this.wants(a)) return;
    const alarm: WebhookBody['alarm'] = { key: a.key ?? `${a.kind}:${a.message}`, kind: a.kind, severity: a.severity, message: a.message, at: a.at };
    if (a.clearedAt !== undefined) alarm.clearedAt = a.clearedAt;
    if (a.pool !== undefined) alarm.pool = a.pool;
    if (a.chain !== undefined) alarm.chain = a.chain;
    if (a.templateId !== undefined) alarm.templateId = a.templateId;
    if (a.error !== undefined) alarm.error = a.error;
    this.queue.push({ body: { version: 1, id: randomUUID(), event, alarm, miner: this.deps.identity() }, attempts: 0 });
    while (this.queue.length > this.o.queue) {
      // The head may be in flight: drop the oldest one that is not.
      const at = this.inFlight ? 1 : 0;
      if (this.queue.length <= at) break;
      this.queue.splice(at, 1);
      this.counts.dropped++;
    }
    this.kick();
  }

  stats(): WebhookStats {
    return { queued: this.queue.length, ...this.counts };
  }

  /** Resolves when nothing is queued or in flight (tests, shutdown). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.inFlight) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops sending; what is still queued is dropped (and logged). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    this.abort?.abort();
    if (this.queue.length > 0) this.log.warn({ receiver: this.origin, dropped: this.queue.length }, 'webhook events not delivered before shutdown');
    this.queue.length = 0;
    this.settle();
  }

  private settle(): void {
    if (this.queue.length > 0 || this.inFlight) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }

  private kick(): void {
    if (this.closed || this.inFlight || this.timer !== undefined || this.queue.length === 0) return;
    void this.sendHead();
  }

  private async sendHead(): Promise<void> {
    const head = this.queue[0];
    if (!head) return;
    this.inFlight = true;
    head.attempts++;
    this.counts.requests++;
    const body: WebhookBody = { ...head.body, attempt: head.attempts, sentAt: Math.round(this.clock.wallSeconds()) };
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': USER_AGENT };
    if (this.o.token) headers.authorization = `Bearer ${this.o.token}`;
    let outcome: 'ok' | 'retry' | 'reject';
    let detail: string;
    const abort = (this.abort = new AbortController());
    const timeout = this.clock.setTimeout(() => abort.abort(), this.o.timeoutMs);
    try {
      const res = await this.http(this.o.url, { method: 'POST', headers, body: JSON.stringify(body), signal: abort.signal, redirect: 'manual' });
      // Read the body so that the connection can be reused, whatever it holds.
      await res.arrayBuffer().catch(() => undefined);
      detail = `HTTP ${res.status}`;
      outcome = res.status >= 200 && res.status < 300 ? 'ok' : res.status === 408 || res.status === 429 || res.status >= 500 ? 'retry' : 'reject';
    } catch (err) {
      outcome = 'retry';
      detail = abort.signal.aborted ? 'timeout' : err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    } finally {
      this.clock.clearTimeout(timeout);
      this.abort = undefined;
    }
    this.inFlight = false;
    if (this.closed) return this.settle();
    if (outcome === 'ok' || outcome === 'reject' || head.attempts >= this.o.attempts) {
      // The head may have been dropped meanwhile only if it was not in flight, so it is still first.
      if (this.queue[0] === head) this.queue.shift();
      if (outcome === 'ok') {
        this.counts.delivered++;
        this.backoff.reset();
      } else if (outcome === 'reject') {
        this.counts.rejected++;
        this.log.warn({ receiver: this.origin, event: body.event, alarm: body.alarm.key, detail }, 'webhook refused the event; not retried');
      } else {
        this.counts.failed++;
        this.log.warn(
          { receiver: this.origin, event: body.event, alarm: body.alarm.key, attempts: head.attempts, detail },
          'webhook event dropped after its last attempt',
        );
      }
      this.settle();
      this.kick();
      return;
    }
    const wait = this.backoff.next();
    this.log.info(
      { receiver: this.origin, event: body.event, alarm: body.alarm.key, attempt: head.attempts, retryInMs: wait, detail },
      'webhook delivery failed; retrying',
    );
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, wait);
  }
}
