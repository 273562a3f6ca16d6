/**
 * Requests waiting for their reply, by id, each with its own deadline. Stratum V1 replies may come out
 * of order and some never come (a pool that ignores an unknown method, or drops a submit); every
 * request ends exactly once: with its reply, at its deadline, or when the connection goes.
 */
import type { Clock, TimerHandle } from '../../clock.js';
import type { Sv1Response } from './json-rpc.js';

export type PendingEnd<T> =
  | { kind: 'reply'; response: Sv1Response; context: T }
  | { kind: 'timeout'; context: T }
  | { kind: 'closed'; reason: string; context: T };

interface Entry<T> {
  context: T;
  timer: TimerHandle;
  sentAt: number;
  done: (end: PendingEnd<T>) => void;
}

export class PendingRequests<T> {
  private nextId = 1;
  private readonly entries = new Map<number, Entry<T>>();

  constructor(private readonly clock: Clock) {}

  /** Allocates an id and registers the request; `done` is called exactly once. */
  add(context: T, timeoutMs: number, done: (end: PendingEnd<T>) => void): number {
    const id = this.nextId++;
    // Ids stay well inside JSON's exact integer range even after years of shares.
    if (this.nextId > 2 ** 31) this.nextId = 1;
    const timer = this.clock.setTimeout(() => {
      const e = this.entries.get(id);
      if (!e) return;
      this.entries.delete(id);
      e.done({ kind: 'timeout', context: e.context });
    }, timeoutMs);
    this.entries.set(id, { context, timer, sentAt: this.clock.now(), done });
    return id;
  }

  /** Routes a reply; returns false when no request has this id (late, duplicate or unknown). */
  resolve(response: Sv1Response): { matched: boolean; latencyMs?: number } {
    const id = typeof response.id === 'string' && /^\d+$/.test(response.id) ? Number(response.id) : response.id;
    if (typeof id !== 'number') return { matched: false };
    const e = this.entries.get(id);
    if (!e) return { matched: false };
    this.entries.delete(id);
    this.clock.clearTimeout(e.timer);
    const latencyMs = this.clock.now() - e.sentAt;
    e.done({ kind: 'reply', response, context: e.context });
    return { matched: true, latencyMs };
  }

  /** Ends every waiting request (connection closed). */
  closeAll(reason: string): void {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) {
      this.clock.clearTimeout(e.timer);
      e.done({ kind: 'closed', reason, context: e.context });
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
