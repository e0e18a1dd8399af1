import { isIP } from 'node:net';
import { compileAllowlist, normaliseIp, parseCidr, type IpMatcher } from '../core/keys/ip-allowlist.ts';

/**
 * The proxies whose `X-Forwarded-For` the gateway believes, from addresses or CIDR ranges. An
 * empty list trusts no one (the client address is the socket's). Throws on an entry that is not
 * an address or range.
 *
 * @example const trusted = trustedProxies(['10.0.0.0/8', '::1'])
 */
export function trustedProxies(entries: readonly string[]): IpMatcher | null {
  if (entries.length === 0) return null;
  const parsed = entries.map((e) => {
    const c = parseCidr(e);
    if (c === null) throw new RangeError(`trusted proxy "${e}" is not an IP address or CIDR range`);
    return c;
  });
  return compileAllowlist(parsed);
}

/**
 * The address the key's IP allowlist is checked against. Without trusted proxies it is the
 * socket's peer. When the peer is a trusted proxy, `X-Forwarded-For` is read from the right
 * (the entries a trusted proxy appended) and the first address that is not a trusted proxy is the
 * client; entries left of it were written by the client and are ignored.
 *
 * @example clientIp('10.0.0.2', '198.51.100.7, 203.0.113.9', trustedProxies(['10.0.0.0/8'])) // '203.0.113.9'
 */
export function clientIp(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, trusted: IpMatcher | null): string {
  let ip = normaliseIp(socketAddress ?? '');
  if (trusted === null || forwardedFor === undefined || !trusted.allows(ip)) return ip;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normaliseIp((hops[i] ?? '').trim());
    // Garbage where a trusted proxy should have written an address: stop at the last good hop.
    if (isIP(hop) === 0) return ip;
    ip = hop;
    if (!trusted.allows(hop)) return hop;
  }
  return ip;
}
