/**
 * Login sessions of the dashboard: a random 256-bit id in an HttpOnly, SameSite=Strict cookie (never
 * readable by scripts, never sent by another site), and a random CSRF token that the page reads from
 * the login reply and sends back in a header with every write. A write needs both, so a page on another
 * site can neither forge one (no cookie) nor replay one (no token). Sessions end after an idle time, and
 * there are at most `max` of them (the oldest goes first).
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { Clock } from '../clock.js';

export const SESSION_COOKIE = 'asic_session';

export interface Session {
  id: string;
  csrf: string;
  client: string;
  created: number;
  lastSeen: number;
}

const token = (): string => randomBytes(32).toString('base64url');
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Constant-time string comparison (both sides hashed first, so lengths do not leak). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly clock: Clock,
    private idleMs: number,
    private readonly max = 16,
  ) {}

  setIdle(ms: number): void {
    this.idleMs = ms;
  }

  create(client: string): Session {
    const now = this.clock.now();
    const s: Session = { id: token(), csrf: token(), client, created: now, lastSeen: now };
    this.sessions.set(s.id, s);
    while (this.sessions.size > this.max) this.sessions.delete(this.sessions.keys().next().value as string);
    return s;
  }

  /** The live session a cookie names (its idle time restarts), or undefined. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const now = this.clock.now();
    for (const [k, s] of this.sessions) if (now - s.lastSeen > this.idleMs) this.sessions.delete(k);
    let found: Session | undefined;
    for (const s of this.sessions.values()) if (sameSecret(s.id, id)) found = s;
    if (found) found.lastSeen = now;
    return found;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /** Everyone is logged out (the password changed or was removed). */
  clear(): void {
    this.sessions.clear();
  }

  get size(): number {
    return this.sessions.size;
  }
}
