/**
 * One cgminer API request in, one reply out (without the trailing NUL the server adds): parses, checks
 * write access, runs read commands against one snapshot and write commands through AgentControl, and
 * encodes the reply the way the request came (JSON or text; joined or single). Never throws: a bad
 * request is a cgminer error STATUS, a failing snapshot or control is STATUS F / code 204, and each is
 * counted and logged.
 *
 * Command set (api.c cmds[] names): reads version, config, summary, pools, devs, edevs, stats, estats,
 * devdetails, coin, asccount, pgacount (all joinable) and check; writes switchpool, enablepool,
 * disablepool, addpool, removepool, restart, privileged, plus asic-agent's pause and resume. Other
 * cgminer commands (quit, save, poolpriority, ascset, zero, ...) are not offered: Invalid command.
 */
import { systemClock, type Clock } from '../clock.js';
import { logger, type Logger } from '../log.js';
import { FIRMWARE_NAME, FIRMWARE_VERSION } from '../version.js';
import type { AgentControl, ControlResult } from './agent-control.js';
import { Msg, type StatusMessage } from './cgminer-codes.js';
import type { WriteAccess } from './cgminer-access.js';
import { encodeJoined, encodeJson, encodeText, type CommandReply, type ReplyContext } from './cgminer-format.js';
import * as R from './cgminer-reports.js';
import { CgminerRequestError, parseRequest, type CgminerRequest } from './cgminer-request.js';
import { redactUrlCredentials } from './redact.js';
import type { AgentSnapshot, SnapshotProvider } from './snapshot.js';

type ReadCommand = (s: AgentSnapshot) => CommandReply;

const READS = new Map<string, ReadCommand>([
  ['version', R.version],
  ['config', R.config],
  ['summary', R.summary],
  ['pools', R.pools],
  ['devs', R.devs],
  ['edevs', R.edevs],
  ['stats', R.stats],
  ['estats', R.stats],
  ['devdetails', R.devdetails],
  ['coin', R.coin],
  ['asccount', R.ascCount],
  ['pgacount', () => R.pgaCount()],
]);

export const WRITE_COMMANDS: readonly string[] = [
  'switchpool',
  'enablepool',
  'disablepool',
  'addpool',
  'removepool',
  'restart',
  'privileged',
  'pause',
  'resume',
];
const WRITES = new Set(WRITE_COMMANDS);

export function commandExists(name: string): boolean {
  return READS.has(name) || WRITES.has(name) || name === 'check';
}

export interface DispatchResult {
  /** The reply, without the trailing NUL. */
  text: string;
  json: boolean;
  /** Runs once the reply has been sent (restart). */
  after?: () => Promise<void>;
}

export interface DispatchCounters {
  requests: number;
  /** Requests that were not a request (bad JSON, empty, unknown command). */
  invalid: number;
  /** Write commands refused by the access rules. */
  denied: number;
  /** Write commands carried out (whatever the control answered). */
  writes: number;
  /** Snapshot or control failures. */
  failures: number;
}

export interface CgminerDispatchOptions {
  snapshot: SnapshotProvider;
  control: AgentControl;
  access: WriteAccess;
  clock?: Clock;
  /** STATUS Description. Default "asic-agent <version>". */
  description?: string;
  log?: Logger;
}

class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

export class CgminerDispatcher {
  readonly counters: DispatchCounters = { requests: 0, invalid: 0, denied: 0, writes: 0, failures: 0 };
  private readonly clock: Clock;
  private readonly description: string;
  private readonly log: Logger;

  constructor(private readonly o: CgminerDispatchOptions) {
    this.clock = o.clock ?? systemClock;
    this.description = o.description ?? `${FIRMWARE_NAME} ${FIRMWARE_VERSION}`;
    this.log = o.log ?? logger('api.cgminer');
  }

  async handle(raw: Uint8Array | string, client: string | undefined): Promise<DispatchResult> {
    this.counters.requests++;
    const ctx: ReplyContext = { when: this.clock.wallSeconds(), description: this.description };
    let req: CgminerRequest;
    try {
      req = parseRequest(raw);
    } catch (err) {
      if (!(err instanceof CgminerRequestError)) throw err;
      this.counters.invalid++;
      this.log.debug({ client, kind: err.kind }, 'bad cgminer API request');
      const msg = err.kind === 'invalid-json' ? Msg.invalidJson() : err.kind === 'missing-command' ? Msg.missingCommand() : Msg.invalidCommand();
      return this.single(R.status(msg), err.json, ctx);
    }
    let snap: AgentSnapshot | undefined;
    const snapshot = (): AgentSnapshot => {
      if (snap) return snap;
      try {
        snap = this.o.snapshot();
        return snap;
      } catch (err) {
        throw new SnapshotError(err instanceof Error ? err.message : String(err));
      }
    };
    try {
      if (req.joined) {
        const parts = req.commands.map((command) => ({ command, reply: this.joinedPart(command, snapshot) }));
        return { text: encodeJoined(parts, req.json, ctx), json: req.json };
      }
      const command = req.commands[0] as string;
      const read = READS.get(command);
      if (read) return this.single(read(snapshot()), req.json, ctx);
      if (command === 'check') return this.single(this.check(req, client), req.json, ctx);
      if (WRITES.has(command)) return await this.write(command, req, client, snapshot, ctx);
      this.counters.invalid++;
      return this.single(R.status(Msg.invalidCommand()), req.json, ctx);
    } catch (err) {
      this.counters.failures++;
      this.log.error({ client, command: req.commands.join('+'), err: err instanceof Error ? err.message : String(err) }, 'cgminer API request failed');
      return this.single(R.status(Msg.internalError()), req.json, ctx);
    }
  }

  /** A bare STATUS reply (for errors the server detects before a request is complete). */
  statusReply(msg: StatusMessage, json: boolean): string {
    return this.single(R.status(msg), json, { when: this.clock.wallSeconds(), description: this.description }).text;
  }

  private single(reply: CommandReply, json: boolean, ctx: ReplyContext, after?: () => Promise<void>): DispatchResult {
    const r: DispatchResult = { text: json ? encodeJson(reply, ctx) : encodeText(reply, ctx), json };
    if (after) r.after = after;
    return r;
  }

  /** api.c: in a joined request, only report commands run; others get Access denied, unknown ones Invalid command. */
  private joinedPart(command: string, snapshot: () => AgentSnapshot): CommandReply {
    const read = READS.get(command);
    if (read) return read(snapshot());
    if (commandExists(command)) return R.status(Msg.accessDenied(command));
    this.counters.invalid++;
    return R.status(Msg.invalidCommand());
  }

  private check(req: CgminerRequest, client: string | undefined): CommandReply {
    const name = req.parameter?.trim();
    if (!name) return R.status(Msg.missingCheck());
    const exists = commandExists(name);
    const access = exists && (!WRITES.has(name) || this.o.access.addressAllowed(client));
    return R.check(exists, access);
  }

  private async write(
    command: string,
    req: CgminerRequest,
    client: string | undefined,
    snapshot: () => AgentSnapshot,
    ctx: ReplyContext,
  ): Promise<DispatchResult> {
    const decision = this.o.access.authorize(client, req);
    if (!decision.ok) {
      this.counters.denied++;
      this.log.warn({ client, command, reason: decision.reason }, 'cgminer API write command refused');
      return this.single(R.status(Msg.accessDenied(command)), req.json, ctx);
    }
    this.counters.writes++;
    const param = decision.parameter;
    const c = this.o.control;
    const done = (msg: StatusMessage): DispatchResult => this.single(R.status(msg), req.json, ctx);
    const logResult = (r: ControlResult, extra: Record<string, unknown> = {}): void => {
      if (r.ok) this.log.info({ client, command, ...extra }, 'cgminer API write command done');
      else this.log.warn({ client, command, code: r.code, why: r.message, ...extra }, 'cgminer API write command not done');
    };
    switch (command) {
      case 'privileged':
        return done(Msg.privilegedOk());
      case 'restart': {
        const refused = c.restartRefusal?.();
        if (refused !== undefined) {
          logResult({ ok: false, code: 'failed', message: refused });
          return done(Msg.commandFailed(command, refused));
        }
        this.log.warn({ client }, 'restart requested through the cgminer API');
        // api.c dorestart: reply first, restart after the socket is done with.
        return this.single({ kind: 'action', word: 'RESTART' }, req.json, ctx, async () => {
          logResult(await this.call(() => c.restart()));
        });
      }
      case 'pause': {
        const r = await this.call(() => c.pause());
        logResult(r);
        return done(r.ok ? Msg.paused() : r.code === 'already' ? Msg.alreadyPaused() : Msg.commandFailed(command, r.message));
      }
      case 'resume': {
        const r = await this.call(() => c.resume());
        logResult(r);
        return done(r.ok ? Msg.resumed() : r.code === 'already' ? Msg.notPaused() : Msg.commandFailed(command, r.message));
      }
      case 'addpool':
        return done(await this.addPool(param, logResult));
    }
    // The pool commands: switchpool|N, enablepool|N, disablepool|N, removepool|N.
    const pools = snapshot().pools;
    if (pools.length === 0) return done(Msg.noPools());
    if (param === undefined || param.trim() === '') return done(Msg.missingPoolId());
    const id = /^\s*[+-]?\d{1,9}\s*$/.test(param) ? Number(param) : -1;
    const pool = pools[id];
    if (id < 0 || !pool) return done(Msg.invalidPoolId(id, pools.length - 1));
    const url = redactUrlCredentials(pool.url);
    const invalid = Msg.invalidPoolId(id, pools.length - 1);
    let r: ControlResult;
    switch (command) {
      case 'switchpool':
        r = await this.call(() => c.switchPool(pool.id));
        logResult(r, { pool: pool.id });
        if (r.ok) return done(Msg.switchingPool(id, url));
        return done(r.code === 'unknown-pool' ? invalid : Msg.commandFailed(command, r.message));
      case 'enablepool':
        r = await this.call(() => c.enablePool(pool.id));
        logResult(r, { pool: pool.id });
        if (r.ok) return done(Msg.enablingPool(id, url));
        return done(r.code === 'already' ? Msg.poolAlreadyEnabled(id, url) : r.code === 'unknown-pool' ? invalid : Msg.commandFailed(command, r.message));
      case 'disablepool':
        r = await this.call(() => c.disablePool(pool.id));
        logResult(r, { pool: pool.id });
        if (r.ok) return done(Msg.disablingPool(id, url));
        if (r.code === 'already') return done(Msg.poolAlreadyDisabled(id, url));
        if (r.code === 'last-pool') return done(Msg.cannotDisableLast(id, url));
        return done(r.code === 'unknown-pool' ? invalid : Msg.commandFailed(command, r.message));
      default:
        r = await this.call(() => c.removePool(pool.id));
        logResult(r, { pool: pool.id });
        if (r.ok) return done(Msg.removedPool(id, url));
        if (r.code === 'last-pool') return done(Msg.cannotRemoveLast(id, url));
        if (r.code === 'active-pool') return done(Msg.cannotRemoveActive(id, url));
        return done(r.code === 'unknown-pool' ? invalid : Msg.commandFailed(command, r.message));
    }
  }

  /** addpool|URL,USER,PASS (api.c pooldetails: `\` escapes the next character). The password is never echoed. */
  private async addPool(param: string | undefined, logResult: (r: ControlResult, extra?: Record<string, unknown>) => void): Promise<StatusMessage> {
    if (param === undefined || param === '') return Msg.missingAddpool();
    const parts = splitEscaped(param, ',');
    const url = (parts[0] ?? '').trim();
    const user = (parts[1] ?? '').trim();
    const safeUrl = redactUrlCredentials(url);
    if (parts.length < 3 || url === '' || user === '' || url.length > 512 || user.length > 256 || /[\s\x00-\x1f]/.test(url)) return Msg.invalidAddpool(safeUrl);
    const r = await this.call(() => this.o.control.addPool({ url, user, password: parts[2] ?? '' }));
    logResult(r, { url: safeUrl });
    if (!r.ok) return r.code === 'invalid' ? Msg.invalidAddpool(safeUrl) : Msg.commandFailed('addpool', r.message);
    let index = -1;
    try {
      const pools = this.o.snapshot().pools;
      index = r.poolId !== undefined ? pools.findIndex((p) => p.id === r.poolId) : -1;
      if (index < 0) index = pools.length - 1;
    } catch {
      // the pool was added; only its number is unknown
    }
    return Msg.addedPool(index, safeUrl);
  }

  /** A control call that cannot throw: a throw becomes a 'failed' result. */
  private async call(f: () => Promise<ControlResult>): Promise<ControlResult> {
    try {
      return await f();
    } catch (err) {
      this.counters.failures++;
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'agent control threw');
      return { ok: false, code: 'failed', message: 'internal error' };
    }
  }
}

/** Splits at unescaped `sep`; a backslash takes the next character literally. */
export function splitEscaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === '\\' && i + 1 < s.length) {
      cur += s[++i];
      continue;
    }
    if (ch === sep) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}
