import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type BlockList, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { ClavisError } from '../core/errors/registry.ts';
import { parseCidr } from '../core/keys/ip-allowlist.ts';
import { blockListOf, effectiveAddress, specialAddressKind } from './special-addresses.ts';

/** Every address of a host name (A and AAAA), in the resolver's order. */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), as every other Node connection uses it. */
export const systemResolve: ResolveHost = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * A webhook destination the egress policy refuses. The message names the host and the kind of
 * address, not the address a name resolved to (it would turn webhook creation into a way to read
 * the server's internal DNS).
 */
export class EgressRefusedError extends Error {
  readonly code = 'WEBHOOK_URL_FORBIDDEN';

  constructor(message: string) {
    super(message);
    this.name = 'EgressRefusedError';
  }
}

export interface WebhookEgressOptions {
  /**
   * Addresses and CIDR ranges webhooks may reach even though they are internal, and the only
   * places plain `http` may go (CLAVIS_WEBHOOK_ALLOWED_NETWORKS). Default none.
   */
  allowedNetworks?: readonly string[];
  /** Default the system resolver; tests pass one that answers what they need (DNS rebinding). */
  resolve?: ResolveHost;
}

/** A checked receiver URL: http(s), no user or password (they would be stored in clear). */
function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ClavisError('WEBHOOK_URL_INVALID', 'the webhook URL does not parse', [{ field: '/body/url', message: 'not a URL' }]);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ClavisError('WEBHOOK_URL_INVALID', 'the webhook URL must be http or https', [{ field: '/body/url', message: 'not http(s)' }]);
  if (url.username !== '' || url.password !== '') throw new ClavisError('WEBHOOK_URL_INVALID', 'the webhook URL must not carry credentials', [{ field: '/body/url', message: 'has credentials' }]);
  return url;
}

type Protocol = 'http:' | 'https:';

/**
 * The webhook egress filter (SSRF guard). A webhook may reach public unicast addresses over
 * https; loopback, private, link-local (cloud metadata), unspecified, multicast and other
 * special-purpose addresses (src/webhooks/special-addresses.ts) only when they are inside
 * `allowedNetworks`, and plain http only goes to `allowedNetworks`. A host name is refused when
 * any of its addresses is.
 *
 * It is checked twice: when an endpoint is created (`checkUrl`, for a clear answer), and on every
 * connection a delivery makes (`dispatcher()`): the name is resolved, every address checked, and
 * the socket connects only to those checked addresses — a name that resolved to a public address
 * at creation and to 127.0.0.1 now (DNS rebinding) is refused before any packet leaves.
 *
 * @example await new WebhookEgress({ allowedNetworks: ['10.1.0.0/16'] }).checkUrl('https://hooks.example.com/clavis')
 */
export class WebhookEgress {
  readonly #allowed: BlockList;
  readonly #resolve: ResolveHost;

  constructor(opts: WebhookEgressOptions = {}) {
    const entries = (opts.allowedNetworks ?? []).map((e) => {
      const cidr = parseCidr(e);
      if (cidr === null) throw new RangeError(`not an IP address or CIDR range: ${e}`);
      return cidr;
    });
    this.#allowed = blockListOf(entries);
    this.#resolve = opts.resolve ?? systemResolve;
  }

  /**
   * Why a connection to `address` over `protocol` is refused, or null when it may go.
   *
   * @example egress.refusal('169.254.169.254', 'https:') // 'a link-local (incl. cloud metadata) address'
   */
  refusal(address: string, protocol: Protocol): string | null {
    const a = effectiveAddress(address);
    const family = isIP(a);
    if (family !== 0 && this.#allowed.check(a, family === 4 ? 'ipv4' : 'ipv6')) return null;
    const kind = specialAddressKind(a);
    if (kind !== null) return `a ${kind} address`;
    // Outside the operator's own networks the payload and its signature would cross the internet in clear.
    if (protocol === 'http:') return 'plain http outside CLAVIS_WEBHOOK_ALLOWED_NETWORKS (use https)';
    return null;
  }

  /**
   * The addresses a connection to `hostname` may use: an IP literal stands for itself, a name is
   * resolved and every address checked. Throws EgressRefusedError when one is refused or the
   * name does not resolve.
   */
  async addresses(hostname: string, protocol: Protocol): Promise<LookupAddress[]> {
    const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
    const family = isIP(host);
    if (family !== 0) {
      const why = this.refusal(host, protocol);
      if (why !== null) throw new EgressRefusedError(`${host} is ${why}`);
      return [{ address: host, family }];
    }
    let found: LookupAddress[];
    try {
      found = await this.#resolve(host);
    } catch (err) {
      const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'lookup failed';
      throw new EgressRefusedError(`${host} does not resolve (${code}), so its addresses cannot be checked`);
    }
    if (found.length === 0) throw new EgressRefusedError(`${host} has no address`);
    for (const f of found) {
      const why = this.refusal(f.address, protocol);
      if (why !== null) throw new EgressRefusedError(`${host} resolves to ${why}`);
    }
    return found;
  }

  /**
   * The creation-time check: the normalised URL, or WEBHOOK_URL_INVALID (shape) /
   * WEBHOOK_URL_FORBIDDEN (destination).
   *
   * @example await egress.checkUrl('http://127.0.0.1:9000/hooks') // throws WEBHOOK_URL_FORBIDDEN unless 127.0.0.1 is allowed
   */
  async checkUrl(raw: string): Promise<string> {
    const url = parseWebhookUrl(raw);
    try {
      await this.addresses(url.hostname, url.protocol === 'http:' ? 'http:' : 'https:');
    } catch (err) {
      if (err instanceof EgressRefusedError) throw new ClavisError('WEBHOOK_URL_FORBIDDEN', `the webhook URL is refused by the egress filter: ${err.message}`, [{ field: '/body/url', message: err.message }]);
      throw err;
    }
    return url.toString();
  }

  /**
   * An undici dispatcher for deliveries whose every connection is checked: IP literals before
   * connecting, names through a `lookup` that resolves, checks every address and hands only
   * those to the socket (which then picks among them, happy-eyeballs style).
   *
   * @example await fetch(url, { dispatcher: egress.dispatcher(10_000), … })
   */
  dispatcher(connectTimeoutMs: number): Agent {
    const connectors = {
      'http:': buildConnector({ timeout: connectTimeoutMs, lookup: this.#lookup('http:') }),
      'https:': buildConnector({ timeout: connectTimeoutMs, lookup: this.#lookup('https:') }),
    };
    return new Agent({
      connect: (opts, callback) => {
        const protocol: Protocol = opts.protocol === 'http:' ? 'http:' : 'https:';
        // Node's net.connect skips `lookup` for an IP literal, so literals are checked here.
        if (isIP(opts.hostname) !== 0) {
          const why = this.refusal(opts.hostname, protocol);
          if (why !== null) {
            callback(new EgressRefusedError(`${opts.hostname} is ${why}`), null);
            return;
          }
        }
        connectors[protocol](opts, callback);
      },
    });
  }

  #lookup(protocol: Protocol): LookupFunction {
    return (hostname: string, options: LookupOptions, callback) => {
      this.addresses(hostname, protocol).then(
        (found) => {
          const want = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
          const usable = want === 0 ? found : found.filter((f) => f.family === want);
          const first = usable[0];
          if (options.all === true) callback(null, usable);
          else if (first === undefined) callback(new EgressRefusedError(`${hostname} has no IPv${want} address`), '');
          else callback(null, first.address, first.family);
        },
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), ''),
      );
    };
  }
}
