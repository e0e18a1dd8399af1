import type { Clock } from '../clock.ts';
import type { ApiKeyRecord } from '../model.ts';
import type { KeyRepo } from '../ports/store.ts';
import { TtlCache } from '../cache/ttl-cache.ts';
import { hashCredential, parseCredential, type Environment } from './key-format.ts';
import { compileAllowlist, type IpMatcher } from './ip-allowlist.ts';

/** Verify outcomes, in pipeline order (DESIGN.md section 3). */
export const VERIFY_CODES = [
  'VALID',
  'MALFORMED',
  'NOT_FOUND',
  'REVOKED',
  'SUSPENDED',
  'EXPIRED',
  'ENV_MISMATCH',
  'IP_NOT_ALLOWED',
  'INSUFFICIENT_SCOPE',
] as const;
export type VerifyCode = (typeof VERIFY_CODES)[number];

export interface VerifyRequest {
  key: string;
  /** The workspace of the caller: a key of another workspace is NOT_FOUND. */
  workspaceId: string;
  environment?: Environment;
  scope?: string;
  ip?: string;
}

export interface VerifyResult {
  valid: boolean;
  code: VerifyCode;
  /** Present once the key is known (from NOT_FOUND on it is absent). */
  key?: ApiKeyRecord;
}

/** What the cache holds per hash: the record with its allowlist compiled once. */
interface CachedKey {
  record: ApiKeyRecord;
  ip: IpMatcher;
  scopes: ReadonlySet<string>;
}

const UNKNOWN = Symbol('unknown');

export interface KeyVerifierDeps {
  keys: Pick<KeyRepo, 'findByHash'>;
  clock: Clock;
  cache: { maxEntries: number; ttlMs: number; negativeTtlMs: number };
}

/**
 * The verify pipeline: format/checksum → lookup by hash (cached, negatively too) → status →
 * expiry → environment → IP allowlist → scope. A malformed key costs no lookup.
 *
 * @example await verifier.verify({ key, workspaceId, scope: 'prices:read', ip: '203.0.113.7' })
 */
export class KeyVerifier {
  readonly #keys: Pick<KeyRepo, 'findByHash'>;
  readonly #clock: Clock;
  readonly #cache: TtlCache<string, CachedKey>;
  readonly #negative: TtlCache<string, typeof UNKNOWN>;

  constructor(deps: KeyVerifierDeps) {
    this.#keys = deps.keys;
    this.#clock = deps.clock;
    const now = () => deps.clock.now();
    this.#cache = new TtlCache({ maxEntries: deps.cache.maxEntries, ttlMs: deps.cache.ttlMs, now });
    this.#negative = new TtlCache({ maxEntries: deps.cache.maxEntries, ttlMs: deps.cache.negativeTtlMs, now });
  }

  /** Drops a key from the cache after a change; the next verify reads the store. */
  invalidate(hash: string): void {
    this.#cache.delete(hash);
    this.#negative.delete(hash);
  }

  async #lookup(hash: string): Promise<CachedKey | null> {
    const hit = this.#cache.get(hash);
    if (hit !== undefined) return hit;
    if (this.#negative.get(hash) !== undefined) return null;
    const record = await this.#keys.findByHash(hash);
    if (record === null) {
      this.#negative.set(hash, UNKNOWN);
      return null;
    }
    const entry: CachedKey = { record, ip: compileAllowlist(record.ipAllowlist), scopes: new Set(record.scopes) };
    this.#cache.set(hash, entry);
    return entry;
  }

  async verify(req: VerifyRequest): Promise<VerifyResult> {
    const parsed = parseCredential(req.key);
    if (parsed === null || parsed.type === 'adm') return { valid: false, code: 'MALFORMED' };
    const entry = await this.#lookup(hashCredential(req.key));
    if (entry === null || entry.record.workspaceId !== req.workspaceId) return { valid: false, code: 'NOT_FOUND' };
    const key = entry.record;
    if (key.status === 'revoked') return { valid: false, code: 'REVOKED', key };
    if (key.status === 'suspended') return { valid: false, code: 'SUSPENDED', key };
    if (key.expiresAt !== null && key.expiresAt <= this.#clock.now()) return { valid: false, code: 'EXPIRED', key };
    if (req.environment !== undefined && req.environment !== key.environment) return { valid: false, code: 'ENV_MISMATCH', key };
    if (req.ip !== undefined ? !entry.ip.allows(req.ip) : key.ipAllowlist.length > 0) return { valid: false, code: 'IP_NOT_ALLOWED', key };
    if (req.scope !== undefined && !entry.scopes.has(req.scope)) return { valid: false, code: 'INSUFFICIENT_SCOPE', key };
    return { valid: true, code: 'VALID', key };
  }
}
