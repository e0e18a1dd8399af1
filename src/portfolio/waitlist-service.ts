import type { Clock } from '../core/clock.ts';
import { ClavisError } from '../core/errors/registry.ts';
import type { IdGenerator } from '../core/ids.ts';
import type { Store } from '../core/ports/store.ts';
import type { KeyCaller } from './portfolio-service.ts';

// One @, a local part of printable characters without spaces, a domain of two or more
// letter-digit-hyphen labels. Stricter than RFC 5321 on purpose: quoted local parts and address
// literals are valid there but are not addresses anyone signs up with.
const EMAIL = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * An email address as stored: trimmed and in lower case (mailbox providers treat local parts
 * case-insensitively in practice), or null when it is not an address.
 *
 * @example normaliseEmail('  Ada@Example.COM ') // 'ada@example.com'
 */
export function normaliseEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email) || email.split('@')[0]?.split('.').includes('') === true) return null;
  return email;
}

/**
 * Signups for new index launches, once per address and workspace. The answer does not say
 * whether the address was already there, so the endpoint cannot test who signed up. Addresses
 * stay out of the audit log (personal data does not belong in an append-only log).
 *
 * @example await waitlist.join(key, { email: 'ada@example.com', index: 'ct100-capped' })
 */
export class WaitlistService {
  readonly #d: { store: Store; clock: Clock; ids: IdGenerator };

  constructor(deps: { store: Store; clock: Clock; ids: IdGenerator }) {
    this.#d = deps;
  }

  /** Adds the address; `added` is false when the workspace had it already. */
  async join(caller: KeyCaller, input: { email: string; index?: string }): Promise<{ email: string; index: string; added: boolean }> {
    const email = normaliseEmail(input.email);
    if (email === null) throw new ClavisError('VALIDATION_FAILED', '/body/email: not an email address', [{ field: '/body/email', message: 'not an email address' }]);
    const index = input.index ?? 'any';
    const added = await this.#d.store.transact((tx) => tx.waitlist.add({ id: this.#d.ids('wl'), workspaceId: caller.workspaceId, email, indexId: index, keyId: caller.id, createdAt: this.#d.clock.now() }));
    return { email, index, added };
  }
}
