/**
 * A TCP server on 127.0.0.1 that speaks whatever a test tells it to: it records every line a client
 * sends (per connection) and sends exact lines back. For ordering and malformed-input tests where the
 * lab pool would be too well-behaved.
 */
import * as net from 'node:net';

export interface ScriptedConn {
  socket: net.Socket;
  received: string[];
  /** Parsed requests (lines that were JSON objects). */
  requests: { id: unknown; method?: string; params?: unknown[]; result?: unknown; error?: unknown }[];
}

export class ScriptedPool {
  private server?: net.Server;
  readonly conns: ScriptedConn[] = [];
  port = 0;
  /** Called for every parsed line; answer with conn.socket.write(...). */
  onRequest: (c: ScriptedConn, r: ScriptedConn['requests'][number]) => void = () => {};

  async start(): Promise<string> {
    const server = net.createServer((socket) => {
      const c: ScriptedConn = { socket, received: [], requests: [] };
      this.conns.push(c);
      let buf = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          c.received.push(line);
          try {
            const r = JSON.parse(line) as ScriptedConn['requests'][number];
            c.requests.push(r);
            this.onRequest(c, r);
          } catch {
            // not JSON: recorded in `received` only
          }
        }
      });
      socket.on('error', () => socket.destroy());
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const a = server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    return `stratum+tcp://127.0.0.1:${this.port}`;
  }

  url(): string {
    return `stratum+tcp://127.0.0.1:${this.port}`;
  }

  send(c: ScriptedConn, line: string): void {
    c.socket.write(line.endsWith('\n') ? line : `${line}\n`);
  }

  last(): ScriptedConn {
    const c = this.conns[this.conns.length - 1];
    if (!c) throw new Error('no connection yet');
    return c;
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** Standard handshake replies: configure grants `mask`, subscribe gives en1/en2 size, authorize ok. */
export function standardHandshake(
  c: ScriptedConn,
  r: ScriptedConn['requests'][number],
  opts: { mask?: string; extranonce1?: string; extranonce2Size?: number } = {},
): boolean {
  const reply = (result: unknown): void => void c.socket.write(`${JSON.stringify({ id: r.id, result, error: null })}\n`);
  switch (r.method) {
    case 'mining.configure':
      reply(opts.mask ? { 'version-rolling': true, 'version-rolling.mask': opts.mask } : { 'version-rolling': false });
      return true;
    case 'mining.subscribe':
      reply([[['mining.notify', 'x']], opts.extranonce1 ?? '01020304', opts.extranonce2Size ?? 4]);
      return true;
    case 'mining.authorize':
      reply(true);
      return true;
    default:
      return false;
  }
}
