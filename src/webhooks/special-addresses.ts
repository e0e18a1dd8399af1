import { BlockList, isIP } from 'node:net';

/**
 * Address ranges a webhook must not reach unless an operator allows them: everything that is not
 * a public unicast address on the internet (RFC 6890 and the IANA special-purpose registries).
 * Listed most specific first, so an address gets the most telling label.
 */
const SPECIAL_RANGES: readonly (readonly [label: string, cidr: string])[] = [
  ['unspecified', '0.0.0.0/32'],
  ['"this network"', '0.0.0.0/8'],
  ['private (RFC 1918)', '10.0.0.0/8'],
  ['shared (carrier-grade NAT)', '100.64.0.0/10'],
  ['loopback', '127.0.0.0/8'],
  ['link-local (incl. cloud metadata)', '169.254.0.0/16'],
  ['private (RFC 1918)', '172.16.0.0/12'],
  ['IETF protocol assignment', '192.0.0.0/24'],
  ['private (RFC 1918)', '192.168.0.0/16'],
  ['benchmarking', '198.18.0.0/15'],
  ['multicast', '224.0.0.0/4'],
  ['broadcast', '255.255.255.255/32'],
  ['reserved', '240.0.0.0/4'],
  ['unspecified', '::/128'],
  ['loopback', '::1/128'],
  // ::a.b.c.d (IPv4-compatible, deprecated by RFC 4291) and the rest of ::/96.
  ['reserved', '::/96'],
  ['NAT64 local-use', '64:ff9b:1::/48'],
  ['unique local (private)', 'fc00::/7'],
  ['link-local', 'fe80::/10'],
  ['site-local (deprecated)', 'fec0::/10'],
  ['multicast', 'ff00::/8'],
];

const LISTS = SPECIAL_RANGES.map(([label, cidr]) => ({ label, list: blockListOf([cidr]) }));

/** A BlockList of canonical CIDR entries (`addr/prefix`, as `parseCidr` returns them). */
export function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [addr = '', prefix = ''] = cidr.split('/');
    list.addSubnet(addr, Number(prefix), isIP(addr) === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted quad allowed), or null. */
function ipv6Groups(address: string): number[] | null {
  if (isIP(address) !== 6) return null;
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad !== null) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 ? groups : null;
}

/**
 * The address a connection to `address` really reaches: the IPv4 address inside an IPv4-mapped
 * IPv6 address (`::ffff:127.0.0.1`, also written `::ffff:7f00:1`) or inside the well-known NAT64
 * prefix (`64:ff9b::/96`, which a NAT64 gateway forwards to that IPv4 address); otherwise the
 * address itself, lower-cased.
 *
 * @example effectiveAddress('::ffff:7f00:1') // '127.0.0.1'
 */
export function effectiveAddress(address: string): string {
  const g = ipv6Groups(address);
  if (g === null) return address.toLowerCase();
  const mapped = g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0;
  if (!mapped && !nat64) return address.toLowerCase();
  const hi = g[6] ?? 0;
  const lo = g[7] ?? 0;
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/**
 * What kind of special-purpose address this is (`loopback`, `private (RFC 1918)`, `link-local
 * (incl. cloud metadata)`, `multicast`, …), or null for a public unicast address. Mapped and
 * NAT64 IPv6 forms are judged by the IPv4 address they reach.
 *
 * @example specialAddressKind('169.254.169.254') // 'link-local (incl. cloud metadata)'
 */
export function specialAddressKind(address: string): string | null {
  const a = effectiveAddress(address);
  const family = isIP(a);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const { label, list } of LISTS) if (list.check(a, type)) return label;
  return null;
}
