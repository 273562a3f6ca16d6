/**
 * Opens the TCP or TLS connection to a Stratum V1 pool, with a connect timeout (ESP-Miner uses 5 s,
 * docs/stratum-v1-and-pools.md "Handshake"). TLS verifies the pool's certificate against the system roots, or
 * against a custom CA file (a pool with its own CA, or a lab pool's self-signed certificate).
 * `allowSelfSigned` turns verification off entirely: for a lab only, and logged as a warning on every
 * connect.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Clock, TimerHandle } from '../../clock.js';
import type { Sv1Endpoint } from './url.js';

export interface Sv1TlsOptions {
  /** PEM file with the CA (or the self-signed certificate) that signs the pool's certificate. */
  caFile?: string;
  /** Accept any certificate (no verification). Lab use only. */
  allowSelfSigned?: boolean;
  /** SNI and certificate name to check; defaults to the URL host. */
  servername?: string;
}

export class Sv1ConnectError extends Error {
  override readonly name = 'Sv1ConnectError';
}

/** Resolves with a connected (and, for TLS, verified) socket; rejects with Sv1ConnectError. */
export async function openSv1Socket(endpoint: Sv1Endpoint, opts: { tls?: Sv1TlsOptions; timeoutMs: number; clock: Clock }): Promise<net.Socket> {
  let ca: Buffer | undefined;
  if (endpoint.tls && opts.tls?.caFile) {
    try {
      ca = await readFile(opts.tls.caFile);
    } catch (err) {
      throw new Sv1ConnectError(`cannot read TLS CA file ${opts.tls.caFile}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return new Promise<net.Socket>((resolve, reject) => {
    let settled = false;
    let socket: net.Socket;
    let timer: TimerHandle | undefined;
    const fail = (msg: string): void => {
      if (settled) return;
      settled = true;
      opts.clock.clearTimeout(timer);
      socket.destroy();
      reject(new Sv1ConnectError(msg));
    };
    const done = (): void => {
      if (settled) return;
      settled = true;
      opts.clock.clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    };
    const onError = (err: Error): void => fail(err.message);
    if (endpoint.tls) {
      const servername = opts.tls?.servername ?? (isIP(endpoint.host) ? undefined : endpoint.host);
      const o: tls.ConnectionOptions = {
        host: endpoint.host,
        port: endpoint.port,
        rejectUnauthorized: opts.tls?.allowSelfSigned !== true,
      };
      if (servername !== undefined) o.servername = servername;
      if (ca) o.ca = ca;
      socket = tls.connect(o, done);
    } else {
      socket = net.connect({ host: endpoint.host, port: endpoint.port }, done);
    }
    socket.setNoDelay(true);
    socket.on('error', onError);
    timer = opts.clock.setTimeout(() => fail(`no connection within ${opts.timeoutMs} ms`), opts.timeoutMs);
  });
}
