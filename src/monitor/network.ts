import { isIP } from 'node:net';
import { normaliseIp } from '../core/keys/ip-allowlist.ts';

/** The eight 16-bit groups of an IPv6 address, or null when it is not one. */
function ipv6Groups(ip: string): number[] | null {
  let text = ip;
  // An embedded IPv4 tail (::ffff:1.2.3.4 forms that normaliseIp kept) becomes two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${(((a ?? 0) << 8) | (b ?? 0)).toString(16)}:${(((c ?? 0) << 8) | (d ?? 0)).toString(16)}`;
  }
  const [head = '', rest, extra] = text.split('::');
  if (extra !== undefined) return null;
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - left.length - right.length;
  if (rest === undefined ? left.length !== 8 : missing < 1) return null;
  const groups = [...left, ...Array.from({ length: rest === undefined ? 0 : missing }, () => '0'), ...right].map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g)) ? groups : null;
}

/**
 * The network an address belongs to for the new-network detector: its /24 (IPv4) or /48 (IPv6),
 * as CIDR text. geoip-lite ships no ASN database, so the prefix stands in for "network".
 *
 * @example networkOf('203.0.113.9') // '203.0.113.0/24'; networkOf('2001:db8:1:2::1') // '2001:db8:1::/48'
 */
export function networkOf(address: string): string | null {
  const ip = normaliseIp(address);
  const family = isIP(ip);
  if (family === 4) return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  if (family !== 6) return null;
  const g = ipv6Groups(ip);
  if (g === null) return null;
  return `${g.slice(0, 3).map((x) => x.toString(16)).join(':')}::/48`;
}
