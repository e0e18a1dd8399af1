import { BlockList, isIP } from 'node:net';

/** Strips the IPv4-mapped IPv6 form so `::ffff:10.0.0.1` matches `10.0.0.0/8`. */
export function normaliseIp(ip: string): string {
  const lower = ip.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7);
  return lower;
}

/**
 * Parses one allowlist entry (an address or a CIDR range, IPv4 or IPv6) into its canonical
 * text, or returns null when it is not valid.
 *
 * @example parseCidr('10.0.0.0/8') // '10.0.0.0/8'; parseCidr('2001:db8::1') // '2001:db8::1/128'
 */
export function parseCidr(entry: string): string | null {
  const [addr = '', prefixText, extra] = entry.trim().split('/');
  if (extra !== undefined) return null;
  const ip = normaliseIp(addr);
  const family = isIP(ip);
  if (family === 0) return null;
  const max = family === 4 ? 32 : 128;
  if (prefixText === undefined) return `${ip}/${max}`;
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > max) return null;
  return `${ip}/${prefix}`;
}

/** A compiled allowlist; an empty list allows every address. */
export interface IpMatcher {
  allows(ip: string): boolean;
}

const ALLOW_ALL: IpMatcher = { allows: () => true };

/** Compiles canonical CIDR entries (as stored) into a matcher backed by node's BlockList. */
export function compileAllowlist(entries: readonly string[]): IpMatcher {
  if (entries.length === 0) return ALLOW_ALL;
  const list = new BlockList();
  for (const entry of entries) {
    const [addr = '', prefix = ''] = entry.split('/');
    list.addSubnet(addr, Number(prefix), isIP(addr) === 4 ? 'ipv4' : 'ipv6');
  }
  return {
    allows(ip: string): boolean {
      const n = normaliseIp(ip);
      const family = isIP(n);
      if (family === 0) return false;
      return list.check(n, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
