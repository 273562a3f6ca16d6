/**
 * Login attempts are rate-limited so that the password cannot be guessed from the network: each client
 * address has a bucket of `perClient` attempts that refills one every `refillMs`, and all clients
 * together share a bucket of `global` attempts (an attacker with many addresses still gets few guesses).
 * A successful login refills the client's bucket. Time comes from the injected Clock.
 */
import type { Clock } from '../clock.js';

export interface LoginLimiterOptions {
  clock: Clock;
  /** Attempts a client may make in a burst. */
  perClient?: number;
  /** Attempts all clients together may make in a burst. */
  global?: number;
  /** One attempt comes back this often, per bucket. */
  refillMs?: number;
  /** Addresses remembered at most (oldest dropped first). */
  maxClients?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class LoginLimiter {
  private readonly clients = new Map<string, Bucket>();
  private readonly all: Bucket;
  private readonly perClient: number;
  private readonly global: number;
  private readonly refillMs: number;

  constructor(private readonly o: LoginLimiterOptions) {
    this.perClient = o.perClient ?? 5;
    this.global = o.global ?? 20;
    this.refillMs = o.refillMs ?? 60_000;
    this.all = { tokens: this.global, at: o.clock.now() };
  }

  private refill(b: Bucket, cap: number): void {
    const now = this.o.clock.now();
    const back = Math.floor((now - b.at) / this.refillMs);
    if (back > 0) {
      b.tokens = Math.min(cap, b.tokens + back);
      b.at = b.tokens === cap ? now : b.at + back * this.refillMs;
    }
  }

  /** Takes one attempt; `{ok: false, retryAfterS}` when the client (or everyone) is out of attempts. */
  take(client: string): { ok: true } | { ok: false; retryAfterS: number } {
    let b = this.clients.get(client);
    if (!b) {
      b = { tokens: this.perClient, at: this.o.clock.now() };
      this.clients.set(client, b);
      if (this.clients.size > (this.o.maxClients ?? 1024)) this.clients.delete(this.clients.keys().next().value as string);
    }
    this.refill(b, this.perClient);
    this.refill(this.all, this.global);
    const empty = b.tokens < 1 ? b : this.all.tokens < 1 ? this.all : undefined;
    if (empty) return { ok: false, retryAfterS: Math.max(1, Math.ceil((empty.at + this.refillMs - this.o.clock.now()) / 1000)) };
    b.tokens--;
    this.all.tokens--;
    return { ok: true };
  }

  /** A good password: the client's attempts come back. */
  succeeded(client: string): void {
    this.clients.delete(client);
  }
}
