/**
 * Client address allow-lists: "127.0.0.1", "192.168.1.0/24", "::1", "fd00::/8". Built on node:net's
 * BlockList. IPv4-mapped IPv6 peers ("::ffff:10.0.0.5", what a dual-stack socket reports) are checked
 * as the IPv4 address they carry, so an IPv4 rule matches them.
 */
import { BlockList, isIP } from 'node:net';

export class AddressRuleError extends Error {
  override readonly name = 'AddressRuleError';
}

export interface AddressAllowList {
  /** True when the list allows `address` (an empty list allows nobody; see `allowsAll`). */
  allows(address: string | undefined): boolean;
  readonly rules: readonly string[];
}

/** Strips the IPv4-mapped prefix and any zone id. */
export function normaliseAddress(address: string): string {
  const a = address.split('%')[0] ?? address;
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return m ? (m[1] as string) : a;
}

/** Parses and checks the rules; throws AddressRuleError naming the bad one. */
export function addressAllowList(rules: readonly string[]): AddressAllowList {
  const list = new BlockList();
  for (const rule of rules) {
    if (typeof rule !== 'string') throw new AddressRuleError(`address rule must be a string`);
    const [addr, prefixText, extra] = rule.trim().split('/');
    if (addr === undefined || extra !== undefined) throw new AddressRuleError(`bad address rule ${JSON.stringify(rule)}`);
    const a = normaliseAddress(addr);
    const family = isIP(a);
    if (family === 0) throw new AddressRuleError(`bad address in rule ${JSON.stringify(rule)}: not an IP address`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const max = family === 4 ? 32 : 128;
    if (prefixText === undefined) {
      list.addAddress(a, type);
      continue;
    }
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) throw new AddressRuleError(`bad prefix length in rule ${JSON.stringify(rule)} (0..${max})`);
    list.addSubnet(a, Number(prefixText), type);
  }
  return {
    rules: [...rules],
    allows(address) {
      if (address === undefined) return false;
      const a = normaliseAddress(address);
      const family = isIP(a);
      if (family === 0) return false;
      return list.check(a, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** Loopback hosts: the only ones that are safe to bind without thinking about who else can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  if (h === 'localhost' || h === 'ip6-localhost') return true;
  const a = normaliseAddress(h.replace(/^\[|\]$/g, ''));
  if (isIP(a) === 4) return a.startsWith('127.');
  if (isIP(a) === 6) return a === '::1' || a === '0:0:0:0:0:0:0:1';
  return false;
}

/** `host:port`, with brackets around an IPv6 host. */
export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
