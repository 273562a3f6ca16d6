/**
 * Per-address connection caps for the local APIs (issue 21 D3): one client (a slowloris, a stuck
 * poller) may hold at most `perAddress` of the server's connections, so it cannot take every slot and
 * make the API unreachable for everybody else. IPv4-mapped IPv6 addresses count as their IPv4 address.
 */
import type { Socket } from 'node:net';

export class ConnectionCap {
  private readonly open = new Map<string, number>();

  constructor(readonly perAddress: number) {}

  private static key(address: string | undefined): string {
    const a = address ?? '';
    return a.startsWith('::ffff:') ? a.slice(7) : a;
  }

  /** Counts the socket against its address; false (and not counted) when the address is at its cap. */
  admit(sock: Socket): boolean {
    const k = ConnectionCap.key(sock.remoteAddress);
    const n = this.open.get(k) ?? 0;
    if (n >= this.perAddress) return false;
    this.open.set(k, n + 1);
    sock.once('close', () => {
      const left = (this.open.get(k) ?? 1) - 1;
      if (left <= 0) this.open.delete(k);
      else this.open.set(k, left);
    });
    return true;
  }

  /** Addresses with connections open now. */
  addresses(): number {
    return this.open.size;
  }
}
