/**
 * Opening the TCP connection to an SV2 peer (pool, JDS, Template Provider): a connect timeout on the
 * injected clock, and the rule that a peer without an authority key must be on a private network,
 * judged by the address a hostname resolved to (the URL check can only judge literal addresses).
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { Clock, TimerHandle } from '../../clock.js';
import { isPrivateAddress } from './private-address.js';

export interface DialOptions {
  host: string;
  port: number;
  clock: Clock;
  connectMs: number;
  /** True when the URL carries an authority key (the handshake will authenticate the peer). */
  authenticated: boolean;
  /** The peer in the refusal message ("pool", "peer"). */
  what: string;
}

export interface DialHandlers {
  /** True once the caller's session has ended: a late connect is then ignored. */
  ended(): boolean;
  fail(reason: string): void;
  connected(socket: Socket): void;
}

/** Starts the connection; `timer` is the connect timeout (cleared on connect, the caller clears it on end). */
export function dialSv2(o: DialOptions, h: DialHandlers): { socket: Socket; timer: TimerHandle } {
  const socket = netConnect({ host: o.host, port: o.port });
  const timer = o.clock.setTimeout(() => h.fail('connect timeout'), o.connectMs);
  socket.once('error', (err) => h.fail(`connect failed: ${err.message}`));
  socket.once('connect', () => {
    if (h.ended()) return;
    socket.removeAllListeners('error');
    o.clock.clearTimeout(timer);
    if (!o.authenticated && !isPrivateAddress(socket.remoteAddress ?? '')) {
      h.fail(`unauthenticated ${o.what} resolved to non-private address ${socket.remoteAddress ?? '?'}; refused`);
      return;
    }
    h.connected(socket);
  });
  return { socket, timer };
}
