/**
 * The cgminer-compatible API on TCP (default 127.0.0.1:4028). Like cgminer: one request per connection,
 * the reply is the JSON (or text) followed by one NUL byte, then the socket is closed (api.c send_result
 * sends strlen+1 bytes, then CLOSESOCKET).
 *
 * Unlike cgminer's single-threaded accept loop, a slow or silent client cannot hold anyone else up:
 * connections are served concurrently on the event loop, each under limits (docs/api.md "Security model"):
 *   - at most `maxConnections` at once (more are closed on accept), and at most
 *     `maxConnectionsPerAddress` of them from one client address;
 *   - at most `maxRequestBytes` of request (more: an error reply and close);
 *   - `idleTimeoutMs` to send a complete request, `connectionTimeoutMs` for the whole exchange
 *     (a client that never reads its reply is dropped then);
 *   - `allow` (when not empty) limits who may connect at all; others are closed unanswered, as api.c
 *     ignores addresses outside --api-allow.
 * Refusals are counted and logged summarised per interval (src/log-summary.ts), never one line each:
 * a flood of connections must not become a flood of log lines (issue 21 D3).
 */
import * as net from 'node:net';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { logger, type Logger } from '../log.js';
import type { AgentControl } from './agent-control.js';
import { LogSummary } from '../log-summary.js';
import { addressAllowList, type AddressAllowList } from './address-allow.js';
import { ConnectionCap } from './connection-cap.js';
import type { CgminerApiOptions } from './api-options.js';
import { WriteAccess } from './cgminer-access.js';
import { Msg } from './cgminer-codes.js';
import { CgminerDispatcher, type DispatchCounters } from './cgminer-dispatch.js';
import { requestLength } from './cgminer-request.js';
import type { SnapshotProvider } from './snapshot.js';

export interface CgminerServerDeps {
  snapshot: SnapshotProvider;
  control: AgentControl;
  clock?: Clock;
  log?: Logger;
  /** STATUS Description override (default "asic-agent <version>"). */
  description?: string;
}

export interface CgminerServerCounters extends DispatchCounters {
  connections: number;
  /** Connections open now. */
  open: number;
  /** Closed at accept: over maxConnections. */
  overLimit: number;
  /** Closed at accept: the client address already held maxConnectionsPerAddress. */
  overAddressLimit: number;
  /** Closed at accept: address not in `allow`. */
  notAllowed: number;
  /** Closed by the idle or connection timeout. */
  timeouts: number;
  tooLarge: number;
}

const NUL = Buffer.from([0]);

export class CgminerServer {
  private readonly server: net.Server;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly dispatcher: CgminerDispatcher;
  private readonly readAllow?: AddressAllowList;
  private readonly sockets = new Set<net.Socket>();
  private readonly c = { connections: 0, overLimit: 0, overAddressLimit: 0, notAllowed: 0, timeouts: 0, tooLarge: 0 };
  private readonly cap: ConnectionCap;
  private readonly summary: LogSummary;
  private bound?: { host: string; port: number };

  constructor(
    private readonly o: CgminerApiOptions,
    deps: CgminerServerDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log ?? logger('api.cgminer');
    this.dispatcher = new CgminerDispatcher({
      snapshot: deps.snapshot,
      control: deps.control,
      access: new WriteAccess(o.write),
      clock: this.clock,
      log: this.log,
      ...(deps.description !== undefined ? { description: deps.description } : {}),
    });
    if (o.allow.length > 0) this.readAllow = addressAllowList(o.allow);
    // allowHalfOpen: a client may shut down its side after the request and still read the reply.
    this.server = net.createServer({ allowHalfOpen: true }, (s) => this.onConnection(s));
    this.cap = new ConnectionCap(o.maxConnectionsPerAddress);
    this.summary = new LogSummary(this.log, this.clock);
    this.server.maxConnections = o.maxConnections;
    this.server.on('drop', (d?: { remoteAddress?: string }) => {
      this.c.overLimit++;
      this.summary.warn(
        'over-limit',
        { client: d?.remoteAddress, max: o.maxConnections, refused: this.c.overLimit },
        'cgminer API connection refused: too many connections',
      );
    });
    // Once listening; a listen failure is listen()'s rejection, reported by whoever started the server.
    this.server.on('error', (err) => {
      if (this.bound) this.log.error({ err: err.message }, 'cgminer API server error');
    });
  }

  /** Starts listening; resolves with the bound address (the real port when `port` is 0). */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host: this.o.host, port: this.o.port }, () => {
        this.server.off('error', onError);
        const a = this.server.address() as net.AddressInfo;
        this.bound = { host: this.o.host, port: a.port };
        resolve(this.bound);
      });
    });
  }

  address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  counters(): CgminerServerCounters {
    return { ...this.dispatcher.counters, ...this.c, open: this.sockets.size };
  }

  /** Stops accepting and drops open connections. */
  close(): Promise<void> {
    this.summary.close();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }

  private onConnection(sock: net.Socket): void {
    const client = sock.remoteAddress;
    if (this.readAllow && !this.readAllow.allows(client)) {
      this.c.notAllowed++;
      this.log.debug({ client }, 'cgminer API connection ignored: address not allowed');
      sock.destroy();
      return;
    }
    if (!this.cap.admit(sock)) {
      this.c.overAddressLimit++;
      this.summary.warn(
        'over-address-limit',
        { client, max: this.cap.perAddress, refused: this.c.overAddressLimit },
        'cgminer API connection refused: too many connections from one address',
      );
      sock.destroy();
      return;
    }
    this.c.connections++;
    this.sockets.add(sock);
    let chunks: Buffer[] = [];
    let size = 0;
    let handled = false;
    let idle: TimerHandle | undefined;
    let settle: TimerHandle | undefined;
    const lifetime = this.clock.setTimeout(() => {
      if (!handled) this.c.timeouts++;
      this.log.debug({ client, answered: handled }, 'cgminer API connection timed out');
      sock.destroy();
    }, this.o.connectionTimeoutMs);
    const stopTimers = (): void => {
      this.clock.clearTimeout(idle);
      this.clock.clearTimeout(settle);
      idle = settle = undefined;
    };
    const armIdle = (): void => {
      this.clock.clearTimeout(idle);
      idle = this.clock.setTimeout(() => {
        if (handled) return;
        if (size === 0) {
          this.c.timeouts++;
          this.log.debug({ client }, 'cgminer API connection idle: closed');
          sock.destroy();
          return;
        }
        // A partial request that stopped coming: answer what there is (an error, most likely).
        finish(Buffer.concat(chunks));
      }, this.o.idleTimeoutMs);
    };
    const finish = (request: Buffer): void => {
      if (handled) return;
      handled = true;
      stopTimers();
      sock.pause();
      chunks = [];
      void this.dispatcher.handle(request, client).then(
        (r) => {
          if (sock.destroyed) return;
          if (r.after) sock.once('close', () => void r.after?.());
          sock.end(Buffer.concat([Buffer.from(r.text, 'utf8'), NUL]));
          // Keep reading (and dropping) so the client's FIN is seen and the socket closes at once.
          sock.resume();
        },
        (err: unknown) => {
          // handle() does not throw; if it ever does, the connection still ends cleanly.
          this.log.error({ client, err: err instanceof Error ? err.message : String(err) }, 'cgminer API dispatch threw');
          sock.destroy();
        },
      );
    };
    armIdle();
    sock.on('data', (d: Buffer) => {
      if (handled) return;
      size += d.length;
      if (size > this.o.maxRequestBytes) {
        this.c.tooLarge++;
        handled = true;
        stopTimers();
        const json = (chunks[0] ?? d).toString('utf8').trimStart().startsWith('{');
        this.summary.warn('too-large', { client, max: this.o.maxRequestBytes, refused: this.c.tooLarge }, 'cgminer API request too large');
        sock.end(Buffer.concat([Buffer.from(this.dispatcher.statusReply(Msg.tooLarge(this.o.maxRequestBytes), json), 'utf8'), NUL]));
        return;
      }
      chunks.push(d);
      const buf = chunks.length === 1 ? d : Buffer.concat(chunks);
      chunks = [buf];
      const n = requestLength(buf);
      if (n !== undefined) return finish(buf.subarray(0, n));
      armIdle();
      // Plain text has no end marker of its own: take it once the client has been quiet a moment.
      if (!buf.toString('utf8').trimStart().startsWith('{')) {
        this.clock.clearTimeout(settle);
        settle = this.clock.setTimeout(() => finish(Buffer.concat(chunks)), this.o.settleMs);
      }
    });
    sock.on('end', () => {
      // The client finished sending (half-close): what arrived is the request.
      if (!handled) finish(Buffer.concat(chunks));
    });
    sock.on('error', (err) => {
      this.log.debug({ client, err: err.message }, 'cgminer API socket error');
      sock.destroy();
    });
    sock.on('close', () => {
      stopTimers();
      this.clock.clearTimeout(lifetime);
      this.sockets.delete(sock);
    });
  }
}
