import { ClavisError } from '../../core/errors/registry.ts';

/** SQLSTATE classes and codes that mean the server went away or refused us, not a bad query. */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const CONNECTION_SYSCALL_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);
/** node-postgres raises these as plain Errors without a code. */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
];

/** Whether `err` says the database cannot be reached, as opposed to a failed statement. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || CONNECTION_SQLSTATES.has(code) || CONNECTION_SYSCALL_CODES.has(code)) return true;
  }
  if (err instanceof AggregateError && err.errors.some(isConnectionError)) return true;
  return CONNECTION_MESSAGES.some((m) => err.message.includes(m));
}

/** A STORE_UNAVAILABLE error (503) carrying the driver error as its cause. */
export function storeUnavailable(err: unknown): ClavisError {
  const detail = err instanceof Error && err.message !== '' ? err.message : String(err);
  const wrapped = new ClavisError('STORE_UNAVAILABLE', `PostgreSQL is unavailable: ${detail}`);
  wrapped.cause = err;
  return wrapped;
}

/** Connection failures become STORE_UNAVAILABLE; statement errors (constraints…) pass through. */
export function mapPgError(err: unknown): unknown {
  return !(err instanceof ClavisError) && isConnectionError(err) ? storeUnavailable(err) : err;
}
