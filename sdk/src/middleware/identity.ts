import type { Environment } from '../types.ts';

/** Who a verified request comes from, as the middleware hands it to the route. */
export interface ClavisIdentity {
  keyId: string;
  /** The consumer the key was issued to (`ownerId` at creation), if any. */
  ownerId: string | null;
  scopes: string[];
  environment: Environment;
  metadata: Record<string, unknown>;
}

const identities = new WeakMap<object, ClavisIdentity>();

/** Attaches the identity to a request: as `req.clavis` for plain access, and for {@link clavisIdentity}. */
export function attachIdentity(req: object, identity: ClavisIdentity): void {
  identities.set(req, identity);
  Object.assign(req, { clavis: identity });
}

/**
 * The identity the middleware verified for this request; undefined when it did not run or
 * refused. Typed, with no declaration merging into the framework's request type.
 *
 * @example const { keyId, scopes } = clavisIdentity(request) ?? fail()
 */
export function clavisIdentity(req: object): ClavisIdentity | undefined {
  return identities.get(req);
}
