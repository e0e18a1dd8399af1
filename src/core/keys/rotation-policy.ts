import { ClavisError, type FieldError } from '../errors/registry.ts';
import { checkSecretPath } from '../vault/secret-path.ts';

/** What the scheduler does when a key's rotation falls due. */
export const ROTATION_MODES = ['vault', 'notify'] as const;
export type RotationMode = (typeof ROTATION_MODES)[number];

/**
 * A key's automatic rotation (docs/guides/rotation.md): every `everyDays` the scheduler either
 * rotates the key itself and writes the successor into the secrets vault at `vaultPath` (in the
 * key's workspace and environment, where the consumer's service reads it), keeping the old key
 * valid for `graceHours`, or (`notify`) only sends `key.rotation_due` asking the owner to rotate.
 * A rotated key's successor inherits the policy, so the cycle goes on.
 *
 * @example { everyDays: 90, graceHours: 24, mode: 'vault', vaultPath: 'consumers/acme/clavis-key' }
 */
export interface RotationPolicy {
  everyDays: number;
  graceHours: number;
  mode: RotationMode;
  /** Required for `vault`, absent for `notify`. */
  vaultPath?: string;
}

export const ROTATION_BOUNDS = {
  /** Ten years: beyond that it is no rotation policy. */
  maxEveryDays: 3650,
  /** 30 days, like the longest rate-limit window: a longer overlap defeats the rotation. */
  maxGraceHours: 720,
} as const;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

function isIntIn(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
}

/**
 * Field errors of a rotation policy (empty when valid): whole days from 1, whole grace hours from
 * 0 and shorter than the period, a known mode, and a valid secret path for (and only for) `vault`.
 *
 * @example validateRotationPolicy({ everyDays: 30, graceHours: 24, mode: 'notify' }, '/body/rotation') // []
 */
export function validateRotationPolicy(policy: RotationPolicy, path = '/rotation'): FieldError[] {
  const errors: FieldError[] = [];
  if (!isIntIn(policy.everyDays, 1, ROTATION_BOUNDS.maxEveryDays)) errors.push({ field: `${path}/everyDays`, message: `must be an integer from 1 to ${ROTATION_BOUNDS.maxEveryDays}` });
  if (!isIntIn(policy.graceHours, 0, ROTATION_BOUNDS.maxGraceHours)) errors.push({ field: `${path}/graceHours`, message: `must be an integer from 0 to ${ROTATION_BOUNDS.maxGraceHours}` });
  else if (isIntIn(policy.everyDays, 1, ROTATION_BOUNDS.maxEveryDays) && policy.graceHours * HOUR_MS >= policy.everyDays * DAY_MS) {
    // Otherwise the old key would still work when its successor is rotated in turn.
    errors.push({ field: `${path}/graceHours`, message: 'must be shorter than the rotation period' });
  }
  if (!(ROTATION_MODES as readonly string[]).includes(policy.mode)) errors.push({ field: `${path}/mode`, message: `must be one of ${ROTATION_MODES.join(', ')}` });
  if (policy.mode === 'vault') {
    if (policy.vaultPath === undefined) errors.push({ field: `${path}/vaultPath`, message: 'required when mode is vault' });
    else {
      try {
        checkSecretPath(policy.vaultPath, `${path}/vaultPath`);
      } catch (err) {
        if (!(err instanceof ClavisError)) throw err;
        errors.push(...err.errors);
      }
    }
  } else if (policy.vaultPath !== undefined) {
    errors.push({ field: `${path}/vaultPath`, message: 'only a vault rotation writes to the vault' });
  }
  return errors;
}

/**
 * The policy as stored: validated (VALIDATION_FAILED naming each bad field) and reduced to its
 * known fields; null stays null (no policy).
 *
 * @example checkRotationPolicy({ everyDays: 90, graceHours: 24, mode: 'notify' }, '/body/rotation')
 */
export function checkRotationPolicy(policy: RotationPolicy | null, path = '/rotation'): RotationPolicy | null {
  if (policy === null) return null;
  const errors = validateRotationPolicy(policy, path);
  if (errors.length > 0) throw new ClavisError('VALIDATION_FAILED', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
  return policy.mode === 'vault' && policy.vaultPath !== undefined
    ? { everyDays: policy.everyDays, graceHours: policy.graceHours, mode: 'vault', vaultPath: policy.vaultPath }
    : { everyDays: policy.everyDays, graceHours: policy.graceHours, mode: policy.mode };
}

/**
 * When a `vault` rotation falls due (epoch ms): `everyDays` after the key was created, or earlier
 * if the key would otherwise expire first — `graceHours` before its expiry, so that the successor
 * is in the vault while the old key still works for the whole grace.
 *
 * @example vaultRotationDueAt({ everyDays: 90, graceHours: 24, mode: 'vault', vaultPath: 'p' }, created, created + 30 * DAY) // created + 29 days
 */
export function vaultRotationDueAt(policy: RotationPolicy, createdAt: number, expiresAt: number | null): number {
  const byPeriod = createdAt + policy.everyDays * DAY_MS;
  return expiresAt === null ? byPeriod : Math.min(byPeriod, expiresAt - policy.graceHours * HOUR_MS);
}

/**
 * Which rotation period of a key has begun at `now`: 0 before the first is due, then 1, 2, … —
 * each one is a `key.rotation_due` notice (notify mode) until the owner rotates the key.
 *
 * @example rotationPeriod({ everyDays: 30, … }, created, created + 61 * DAY) // 2
 */
export function rotationPeriod(policy: RotationPolicy, createdAt: number, now: number): number {
  return now < createdAt ? 0 : Math.floor((now - createdAt) / (policy.everyDays * DAY_MS));
}
