/**
 * The web dashboard, served by the agent's HTTP API server (src/api/http-server.ts hands it each
 * request first; it takes only its own paths):
 *
 *   GET  /                      the page (for a browser: Accept: text/html; other clients keep the JSON index)
 *   GET  /ui/...                the page's files and uPlot (src/dashboard/static-files.ts)
 *   GET  /api/events            Server-Sent Events: `state` every tick, `log` records as they are written
 *   GET  /api/history           the last hour of board figures; /api/chip-history?chain=&chip= one chip's
 *   GET  /api/logs              the log tail (?after=SEQ&level=30&module=agent)
 *   GET  /api/settings          settings, their limits, and whether they can be saved
 *   GET  /api/session           {passwordSet, loggedIn, csrf}
 *   GET  /api/check-pool-url    ?url= : is this a pool URL the agent accepts (an SV2 key is checked)
 *   POST /api/login, /api/logout, /api/settings, /api/settings/check
 *
 * Reading follows the HTTP API's address rules. Writing needs the password set in `[dashboard]` (scrypt
 * hash), then the session cookie (HttpOnly, SameSite=Strict) and the CSRF token in `X-CSRF-Token`;
 * POST bodies must be JSON (a cross-site form cannot send that) and a browser's Origin, when sent, must
 * be this server. Logins are rate-limited. With no password set, every write is refused.
 */
import type * as http from 'node:http';
import { hostname } from 'node:os';
import type { Clock, TimerHandle } from '../clock.js';
import { logger, type Logger } from '../log.js';
import type { LogTail } from '../log-tail.js';
import type { AgentSnapshot } from '../api/snapshot.js';
import type { SettingsResult, SettingsView } from '../agent/settings.js';
import { EventStream } from './event-stream.js';
import { History } from './history.js';
import { liveState, type UpstreamView } from './live-state.js';
import { LoginLimiter } from './login-limiter.js';
import { verifyPassword } from './password.js';
import { cookieValue, sameSecret, SESSION_COOKIE, SessionStore, type Session } from './sessions.js';
import { loadStaticFiles, type StaticFile } from './static-files.js';

export interface DashboardSource {
  snapshot(): AgentSnapshot;
  upstream(): UpstreamView;
  settings(): SettingsView;
  saveSettings(body: unknown, dryRun: boolean): SettingsResult;
  checkPoolUrl(url: string): { ok: boolean; message: string };
  /** Read on every request, so that a reload (SIGHUP) or a new password takes effect at once. */
  access(): { hashedPassword: string | undefined; sessionIdleMinutes: number };
  logs: LogTail;
}

export interface DashboardOptions {
  clock: Clock;
  log?: Logger;
  /** State pushed to open pages this often. */
  tickMs?: number;
  historyEveryMs?: number;
  chipHistoryEveryMs?: number;
  maxPages?: number;
  maxBodyBytes?: number;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x));
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...SECURITY_HEADERS,
    ...headers,
  });
  res.end(text);
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readJson(req: http.IncomingMessage, max: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      return reject(new BodyError(415, 'the body must be JSON (Content-Type: application/json)'));
    }
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        reject(new BodyError(413, `body larger than ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(n === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown));
      } catch {
        reject(new BodyError(400, 'the body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

export class Dashboard {
  private files: Map<string, StaticFile> | undefined;
  private readonly history = new History();
  private readonly sessions: SessionStore;
  private readonly limiter: LoginLimiter;
  readonly events: EventStream;
  private readonly log: Logger;
  private timers: TimerHandle[] = [];
  private logCursor: number;
  private unsubscribeLogs: (() => void) | undefined;
  private lastHash: string | undefined;
  /** Logins being checked right now (scrypt uses 16 MiB each: one at a time). */
  private verifying = false;

  constructor(
    private readonly src: DashboardSource,
    private readonly o: DashboardOptions,
  ) {
    this.log = o.log ?? logger('dashboard');
    this.sessions = new SessionStore(o.clock, src.access().sessionIdleMinutes * 60_000);
    this.limiter = new LoginLimiter({ clock: o.clock });
    this.logCursor = src.logs.end;
    this.lastHash = src.access().hashedPassword;
    this.events = new EventStream({
      clock: o.clock,
      tickMs: o.tickMs ?? 2000,
      maxClients: o.maxPages ?? 8,
      state: () => this.state(),
      beforeTick: () => this.flushLogs(),
    });
  }

  /** Starts sampling the history the charts open with, and says where the page is (`host:port` of the HTTP API). */
  start(httpAddress?: string): void {
    if (httpAddress !== undefined) {
      const url = dashboardUrl(httpAddress);
      const writable = this.src.access().hashedPassword !== undefined;
      this.log.info(
        { url, settings: writable ? 'password set: log in to change settings' : 'read-only: no password set (asic-agent password --config FILE)' },
        `dashboard at ${url}`,
      );
    }
    const sample = (chips: boolean): void => {
      try {
        const s = this.src.snapshot();
        if (chips) this.history.sampleChips(s);
        else this.history.sampleBoard(s);
      } catch (err) {
        this.log.debug({ err: String(err) }, 'history sample failed');
      }
    };
    this.timers.push(this.o.clock.setInterval(() => sample(false), this.o.historyEveryMs ?? 5000));
    this.timers.push(this.o.clock.setInterval(() => sample(true), this.o.chipHistoryEveryMs ?? 15_000));
    // Log records reach open pages within a fraction of a second, batched.
    let pending = false;
    this.unsubscribeLogs = this.src.logs.onRecord(() => {
      if (pending || this.events.size === 0) return;
      pending = true;
      this.o.clock.setTimeout(() => {
        pending = false;
        this.flushLogs();
      }, 250);
    });
  }

  close(): void {
    for (const t of this.timers) this.o.clock.clearInterval(t);
    this.timers = [];
    this.unsubscribeLogs?.();
    this.events.close();
  }

  private state(): unknown {
    return liveState(this.src.snapshot(), this.src.upstream());
  }

  private flushLogs(): void {
    const recs = this.src.logs.since(this.logCursor, 200);
    this.logCursor = this.src.logs.end;
    if (recs.length > 0) this.events.broadcast('log', recs);
  }

  /** Handles the request when the path is the dashboard's; false leaves it to the JSON API. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): boolean {
    const method = req.method ?? 'GET';
    const get = method === 'GET' || method === 'HEAD';
    if (path === '/' && get && /text\/html/.test(req.headers.accept ?? '')) return this.page(req, res, '/ui/index.html');
    if (path.startsWith('/ui/') && get) return this.page(req, res, path);
    const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
    if (!route) return false;
    if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) {
      req.resume();
      json(res, 405, { error: 'method not allowed' }, { Allow: route.method === 'GET' ? 'GET, HEAD' : route.method });
      return true;
    }
    Promise.resolve(route.run(this, req, res)).catch((err: unknown) => {
      if (err instanceof BodyError) return json(res, err.status, { error: err.message });
      this.log.error({ err: err instanceof Error ? err.message : String(err), path }, 'dashboard request failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
    return true;
  }

  private page(req: http.IncomingMessage, res: http.ServerResponse, path: string): boolean {
    this.files ??= loadStaticFiles();
    req.resume();
    const f = this.files.get(path);
    if (!f) {
      json(res, 404, { error: 'not found' });
      return true;
    }
    const headers: Record<string, string> = { 'Content-Type': f.type, ETag: f.etag, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding', ...SECURITY_HEADERS };
    if (f.type.startsWith('text/html')) headers['Content-Security-Policy'] = PAGE_CSP;
    if (req.headers['if-none-match'] === f.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gz ? f.gzip : f.body;
    if (gz) headers['Content-Encoding'] = 'gzip';
    headers['Content-Length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  // ---- access --------------------------------------------------------------------------------------------

  private hash(): string | undefined {
    const a = this.src.access();
    this.sessions.setIdle(a.sessionIdleMinutes * 60_000);
    if (a.hashedPassword !== this.lastHash) {
      // A new or removed password logs everybody out.
      this.lastHash = a.hashedPassword;
      this.sessions.clear();
    }
    return a.hashedPassword;
  }

  private session(req: http.IncomingMessage): Session | undefined {
    if (this.hash() === undefined) return undefined;
    return this.sessions.get(cookieValue(req.headers.cookie, SESSION_COOKIE));
  }

  /** A browser's Origin, when it sends one, must be this very server (a second line behind the cookie and token). */
  private sameOrigin(req: http.IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  /** The checks every write goes through; answers and returns undefined when refused. */
  private writer(req: http.IncomingMessage, res: http.ServerResponse): Session | undefined {
    const client = req.socket.remoteAddress ?? '';
    const refuse = (status: number, error: string): undefined => {
      req.resume();
      this.log.warn({ client, path: req.url, status }, `dashboard write refused: ${error}`);
      json(res, status, { error });
      return undefined;
    };
    if (this.hash() === undefined)
      return refuse(
        403,
        'no password is set: settings cannot be changed from the network (set one with `asic-agent password --config FILE`, then reload the agent)',
      );
    if (!this.sameOrigin(req)) return refuse(403, 'cross-origin request refused');
    const s = this.session(req);
    if (!s) return refuse(401, 'log in first');
    const token = req.headers['x-csrf-token'];
    if (typeof token !== 'string' || !sameSecret(token, s.csrf)) return refuse(403, 'missing or wrong CSRF token');
    return s;
  }

  async login(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const client = req.socket.remoteAddress ?? '';
    const hash = this.hash();
    if (hash === undefined) {
      req.resume();
      return json(res, 403, {
        error: 'no password is set: settings cannot be changed from the network (set one with `asic-agent password --config FILE`, then reload the agent)',
      });
    }
    if (!this.sameOrigin(req)) {
      req.resume();
      return json(res, 403, { error: 'cross-origin request refused' });
    }
    const body = await readJson(req, 4096);
    const password = typeof body === 'object' && body !== null && 'password' in body ? (body as { password: unknown }).password : undefined;
    if (typeof password !== 'string' || password === '') return json(res, 400, { error: 'password missing' });
    const allowed = this.limiter.take(client);
    if (!allowed.ok) {
      this.log.warn({ client }, 'dashboard login refused: too many attempts');
      return json(res, 429, { error: `too many login attempts; try again in ${allowed.retryAfterS} s` }, { 'Retry-After': String(allowed.retryAfterS) });
    }
    if (this.verifying) return json(res, 429, { error: 'another login is being checked; try again' }, { 'Retry-After': '1' });
    this.verifying = true;
    let ok: boolean;
    try {
      ok = await verifyPassword(password, hash);
    } finally {
      this.verifying = false;
    }
    if (!ok) {
      this.log.warn({ client }, 'dashboard login failed: wrong password');
      return json(res, 401, { error: 'wrong password' });
    }
    this.limiter.succeeded(client);
    const s = this.sessions.create(client);
    this.log.info({ client }, 'dashboard login');
    json(res, 200, { loggedIn: true, csrf: s.csrf }, { 'Set-Cookie': `${SESSION_COOKIE}=${s.id}; Path=/; HttpOnly; SameSite=Strict` });
  }

  logout(req: http.IncomingMessage, res: http.ServerResponse): void {
    const s = this.writer(req, res);
    if (!s) return;
    req.resume();
    this.sessions.delete(s.id);
    json(res, 200, { loggedIn: false }, { 'Set-Cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` });
  }

  sessionInfo(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    const s = this.session(req);
    json(res, 200, { passwordSet: this.hash() !== undefined, loggedIn: s !== undefined, ...(s ? { csrf: s.csrf } : {}) });
  }

  async settingsPost(req: http.IncomingMessage, res: http.ServerResponse, dryRun: boolean): Promise<void> {
    const s = this.writer(req, res);
    if (!s) return;
    const body = await readJson(req, this.o.maxBodyBytes ?? 65_536);
    const r = this.src.saveSettings(body, dryRun);
    if (r.ok) {
      if (!dryRun && r.changed.length > 0) this.log.info({ client: s.client, changed: r.changed, restart: r.restart }, 'settings saved from the dashboard');
      return json(res, 200, r);
    }
    if (!dryRun) this.log.warn({ client: s.client, why: r.message, errors: Object.keys(r.errors) }, 'settings not saved');
    json(res, r.status, r);
  }

  historyGet(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    json(res, 200, this.history.boardSeries());
  }

  chipHistoryGet(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const chain = Number(q.get('chain'));
    const chip = Number(q.get('chip'));
    const h = Number.isInteger(chain) && Number.isInteger(chip) ? this.history.chipSeries(chain, chip) : undefined;
    if (h) return json(res, 200, { chain, chip, ...h });
    // A chip the board has, not sampled yet: an empty history.
    const known = this.src.snapshot().chains.some((c) => c.id === chain && c.chips.some((k) => k.chip === chip));
    if (!known) return json(res, 404, { error: 'no such chip' });
    json(res, 200, { chain, chip, t: [], rate1m: [], hwErrors: [], validNonces: [] });
  }

  logsGet(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const after = Number(q.get('after') ?? 0);
    const level = Number(q.get('level') ?? 0);
    const module = q.get('module');
    const recs = this.src.logs
      .since(Number.isFinite(after) ? after : 0)
      .filter((r) => r.level >= level && (!module || r.module === module || r.module?.startsWith(`${module}.`)));
    json(res, 200, { end: this.src.logs.end, records: recs });
  }

  events_(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    this.events.add(req, res);
  }

  settingsGet(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    json(res, 200, this.src.settings());
  }

  checkPoolUrl(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://x').searchParams.get('url') ?? '';
    json(res, 200, this.src.checkPoolUrl(url.slice(0, 600)));
  }
}

type Route = { method: 'GET' | 'POST'; run: (d: Dashboard, req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void> };

const ROUTES: Record<string, Route> = {
  '/api/events': { method: 'GET', run: (d, q, r) => d.events_(q, r) },
  '/api/history': { method: 'GET', run: (d, q, r) => d.historyGet(q, r) },
  '/api/chip-history': { method: 'GET', run: (d, q, r) => d.chipHistoryGet(q, r) },
  '/api/logs': { method: 'GET', run: (d, q, r) => d.logsGet(q, r) },
  '/api/settings': { method: 'GET', run: (d, q, r) => d.settingsGet(q, r) },
  '/api/session': { method: 'GET', run: (d, q, r) => d.sessionInfo(q, r) },
  '/api/check-pool-url': { method: 'GET', run: (d, q, r) => d.checkPoolUrl(q, r) },
  '/api/login': { method: 'POST', run: (d, q, r) => d.login(q, r) },
  '/api/logout': { method: 'POST', run: (d, q, r) => d.logout(q, r) },
  '/api/settings/save': { method: 'POST', run: (d, q, r) => d.settingsPost(q, r, false) },
  '/api/settings/check': { method: 'POST', run: (d, q, r) => d.settingsPost(q, r, true) },
};

/** `127.0.0.1:4029` → `http://127.0.0.1:4029/`; an any-address bind is shown as this machine's name. */
export function dashboardUrl(hostPort: string): string {
  const m = /^(.*):(\d+)$/.exec(hostPort);
  let host = m?.[1] ?? hostPort;
  const port = m?.[2] ?? '';
  if (host === '0.0.0.0' || host === '::' || host === '[::]') host = hostname();
  return `http://${host}${port ? `:${port}` : ''}/`;
}
