import { ClavisError } from '../errors/registry.ts';

/** Longest secret path, in characters. */
export const MAX_SECRET_PATH = 256;
/** Largest secret value, in UTF-8 bytes. */
export const MAX_SECRET_BYTES = 32_768;

/** `segment(/segment)*`, each segment of letters, digits, `.`, `_`, `-`. Also the route's schema pattern. */
export const SECRET_PATH_SOURCE = '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$';
const SECRET_PATH = new RegExp(SECRET_PATH_SOURCE);

/**
 * Checks a secret path: slash-separated segments, no empty, `.` or `..` segment, at most 256
 * characters. Throws VALIDATION_FAILED naming `field`.
 *
 * @example checkSecretPath('exchanges/binance/api-key') // ok
 */
export function checkSecretPath(path: string, field = '/params/path'): string {
  const bad = (message: string): never => {
    throw new ClavisError('VALIDATION_FAILED', `${field}: ${message}`, [{ field, message }]);
  };
  if (path.length === 0 || path.length > MAX_SECRET_PATH) bad(`must be 1 to ${MAX_SECRET_PATH} characters`);
  if (!SECRET_PATH.test(path)) bad('segments of letters, digits, ".", "_" and "-", separated by single "/"');
  if (path.split('/').some((s) => s === '.' || s === '..')) bad('"." and ".." are not path segments');
  return path;
}
