/**
 * A raw TCP client for the cgminer API tests: writes a request the way tools do (pyasic writes the JSON
 * and waits for the server to close; `echo | nc` adds a newline; some half-close), and collects every
 * byte until the server ends the connection.
 */
import * as net from 'node:net';

export interface QueryOptions {
  /** Send in pieces, this many bytes each, with `gapMs` between them. */
  chunkSize?: number;
  gapMs?: number;
  /** Shut down our sending side after the request (the server must still answer). */
  halfClose?: boolean;
  timeoutMs?: number;
}

export interface QueryResult {
  bytes: Buffer;
  /** The server sent FIN (the reply ended with a close, as cgminer does). */
  serverEnded: boolean;
}

export function cgminerQuery(port: number, request: string | Buffer, o: QueryOptions = {}): Promise<QueryResult> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const got: Buffer[] = [];
    let ended = false;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no close from the server within ${o.timeoutMs ?? 15_000} ms (got ${Buffer.concat(got).toString()})`));
    }, o.timeoutMs ?? 15_000);
    sock.on('data', (d: Buffer) => got.push(d));
    sock.on('end', () => {
      ended = true;
      sock.end();
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(got), serverEnded: ended });
    });
    sock.on('connect', async () => {
      const data = typeof request === 'string' ? Buffer.from(request, 'utf8') : request;
      if (!o.chunkSize) sock.write(data);
      else {
        for (let i = 0; i < data.length; i += o.chunkSize) {
          if (sock.destroyed) return;
          sock.write(data.subarray(i, i + o.chunkSize));
          await new Promise((r) => setTimeout(r, o.gapMs ?? 5));
        }
      }
      if (o.halfClose) sock.end();
    });
  });
}

/** Opens a connection and leaves it as the test says (silent, or sending nothing more). */
export function openRaw(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when the socket is closed (by either side). */
export function closed(s: net.Socket): Promise<void> {
  return new Promise((resolve) => (s.closed ? resolve() : s.once('close', () => resolve())));
}
