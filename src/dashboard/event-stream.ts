/**
 * Server-Sent Events to the open pages: one timer builds the state once per tick for everybody (no
 * per-client work, no polling storm), and new log records go out as they are written. Nothing runs
 * while no page is open. A client that does not read (its socket buffer is full) is dropped rather than
 * buffered without bound.
 */
import type * as http from 'node:http';
import type { Clock, TimerHandle } from '../clock.js';

export interface EventStreamOptions {
  clock: Clock;
  /** State every this often. */
  tickMs: number;
  /** At most this many pages at once (more get 503). */
  maxClients: number;
  /** Builds the state (called once per tick). */
  state: () => unknown;
  /** Called once per tick before the state, e.g. to flush pending log records. */
  beforeTick?: () => void;
  /** Bytes a client may have unsent before it is dropped. */
  maxBufferedBytes?: number;
}

export class EventStream {
  private readonly clients = new Set<http.ServerResponse>();
  private timer: TimerHandle | undefined;

  constructor(private readonly o: EventStreamOptions) {}

  get size(): number {
    return this.clients.size;
  }

  /** Takes over the response; returns false (and answers 503) when full. */
  add(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (this.clients.size >= this.o.maxClients) {
      res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '10', 'Cache-Control': 'no-store' });
      res.end('{"error":"too many open dashboards"}');
      return false;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      // Proxies (nginx) must not buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    req.socket.setNoDelay(true);
    // The server's request timeout must not end a stream that is meant to stay open.
    req.socket.setTimeout(0);
    res.write(`retry: 3000\n\n`);
    this.clients.add(res);
    const drop = (): void => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopTimer();
    };
    res.on('close', drop);
    res.on('error', drop);
    this.send(res, 'state', this.o.state());
    if (!this.timer) this.timer = this.o.clock.setInterval(() => this.tick(), this.o.tickMs);
    return true;
  }

  private tick(): void {
    if (this.clients.size === 0) return this.stopTimer();
    this.o.beforeTick?.();
    this.broadcast('state', this.o.state());
  }

  broadcast(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x))}\n\n`;
    for (const c of this.clients) this.write(c, frame);
  }

  private send(res: http.ServerResponse, event: string, data: unknown): void {
    this.write(res, `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private write(res: http.ServerResponse, frame: string): void {
    if (res.writableLength > (this.o.maxBufferedBytes ?? 1 << 20)) {
      res.destroy();
      this.clients.delete(res);
      return;
    }
    res.write(frame);
  }

  private stopTimer(): void {
    this.o.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stopTimer();
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}
