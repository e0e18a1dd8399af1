import { generateKeyPairSync } from 'node:crypto';
import type { AuthContext } from '../../src/core/auth/token-service.ts';
import { TOTP_PERIOD_SECONDS, base32Decode, hotp, timeStep } from '../../src/core/mfa/totp.ts';
import type { Role } from '../../src/core/model.ts';
import type { Harness } from '../support/harness.ts';

/** A user of the harness workspace with a token and, once enrolled, its TOTP secret. */
export interface TestUser {
  userId: string;
  token: string;
  ctx: AuthContext;
  /** The base32 secret (after `enrolled`). */
  secret: string;
  recoveryCodes: string[];
  /** The code of the current step of the harness clock. */
  code(): string;
  /** Moves the clock to the next 30 s step, so the next code is fresh. */
  nextStep(): void;
}

export const STEP_MS = TOTP_PERIOD_SECONDS * 1000;

/** The code of `secret` (base32) at `now`. */
export function codeAt(secret: string, now: number, offsetSteps = 0): string {
  const key = base32Decode(secret);
  if (key === null) throw new Error('not a base32 secret');
  return hotp(key, timeStep(now) + offsetSteps);
}

/**
 * Creates a user of `role` with a token of the same role, through the services (as the bootstrap
 * owner, a service token, so no step-up applies).
 */
export async function makeUser(h: Harness, role: Role, email = `${role}-${Math.random().toString(36).slice(2, 8)}@example.com`): Promise<TestUser> {
  const owner: AuthContext = { tokenId: h.owner.record.id, workspaceId: h.workspaceId, role: 'owner' };
  const user = await h.services.users.create(owner, { email, name: `${role} user`, role });
  const issued = await h.services.tokens.create(owner, { name: `${role} user token`, role, userId: user.id });
  const u: TestUser = {
    userId: user.id,
    token: issued.secret,
    ctx: { tokenId: issued.record.id, workspaceId: h.workspaceId, role, userId: user.id },
    secret: '',
    recoveryCodes: [],
    code: () => codeAt(u.secret, h.clock.now()),
    nextStep: () => h.clock.advance(STEP_MS),
  };
  return u;
}

/** Enrols and confirms TOTP for the user, then moves to the next step (the confirming code is used up). */
export async function enrol(h: Harness, u: TestUser): Promise<TestUser> {
  const e = await h.services.mfa.enrol(u.ctx);
  u.secret = e.secret;
  u.recoveryCodes = e.recoveryCodes;
  await h.services.mfa.confirm(u.ctx, u.code());
  u.nextStep();
  return u;
}

/** A user of `role` with confirmed TOTP. */
export async function enrolledUser(h: Harness, role: Role): Promise<TestUser> {
  return enrol(h, await makeUser(h, role));
}

/** Headers of a request by `token`, with an X-Clavis-MFA code when given. */
export function withMfa(token: string, code?: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, ...(code !== undefined ? { 'x-clavis-mfa': code } : {}) };
}

/** A signing requirement with a fresh Ed25519 public key (high-risk keys need one). */
export function ed25519Signing(): { scheme: 'ed25519'; publicKey: string } {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
  return { scheme: 'ed25519', publicKey: raw };
}
