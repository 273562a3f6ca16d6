/**
 * Which addresses count as a private network for an unauthenticated SV2 pool (spec 04-Protocol-Security
 * 4.1: encryption may be skipped only on a trusted local network). Loopback (127.0.0.0/8, ::1), RFC
 * 1918 (10/8, 172.16/12, 192.168/16) and IPv6 unique-local (fc00::/7) addresses qualify; link-local and
 * everything public do not. Hostnames are decided on the address they resolve to (the client checks the
 * connected socket's address).
 */
import { isIP } from 'node:net';

function ipv4Private(a: string): boolean {
  const p = a.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return false;
  const [a0, a1] = p as [number, number, number, number];
  return a0 === 127 || a0 === 10 || (a0 === 172 && a1 >= 16 && a1 <= 31) || (a0 === 192 && a1 === 168);
}

export function isPrivateAddress(address: string): boolean {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const kind = isIP(a);
  if (kind === 4) return ipv4Private(a);
  if (kind === 6) {
    if (a === '::1') return true;
    // IPv4-mapped (::ffff:10.0.0.1), as Node reports IPv4 peers on dual-stack sockets.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    if (mapped) return ipv4Private(mapped[1] as string);
    const first = Number.parseInt(a.split(':')[0] || '0', 16);
    return (first & 0xfe00) === 0xfc00;
  }
  return false;
}
