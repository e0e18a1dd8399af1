/**
 * The one registry of error codes. Codes are UPPER_SNAKE, stable, and never reused once retired.
 * docs/reference/errors.md is checked against this table by a test.
 */
export interface ErrorDefinition {
  status: number;
  title: string;
}

export const ERROR_CODES = {
  // Request shape
  VALIDATION_FAILED: { status: 400, title: 'The request does not match the schema' },
  INVALID_JSON: { status: 400, title: 'The request body is not valid JSON' },
  INVALID_CURSOR: { status: 400, title: 'The pagination cursor is not valid' },
  UNKNOWN_SCOPE: { status: 400, title: 'A scope does not exist' },
  INVALID_CIDR: { status: 400, title: 'An IP allowlist entry is not a valid address or CIDR range' },
  EXPIRY_IN_PAST: { status: 400, title: 'The expiry is in the past' },
  EXPIRY_TOO_LONG: { status: 400, title: 'The expiry is later than the environment policy allows' },
  EXPIRY_CONFLICT: { status: 400, title: 'Both expiresAt and ttlSeconds were given' },
  EXPIRY_REQUIRED: { status: 400, title: 'The environment policy requires an expiry' },
  INVALID_PUBLIC_KEY: { status: 400, title: 'The signing public key is not a valid Ed25519 key' },
  HIGH_RISK_POLICY: { status: 400, title: 'A high-risk scope needs an IP allowlist and a signing requirement' },
  BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are larger than the server reads' },
  MALFORMED_REQUEST: { status: 400, title: 'The request is not valid HTTP' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request was not received in time' },
  INVALID_URL: { status: 400, title: 'The request path is not a valid URL' },
  URL_TOO_LONG: { status: 414, title: 'A path segment is longer than the server accepts' },
  // Authentication and authorisation of admin tokens
  AUTH_REQUIRED: { status: 401, title: 'An admin token is required' },
  AUTH_INVALID: { status: 401, title: 'The admin token is not valid' },
  PERMISSION_DENIED: { status: 403, title: 'The token role does not allow this operation' },
  ROLE_NOT_GRANTABLE: { status: 403, title: 'A token cannot grant a role above its own' },
  // Resources
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  KEY_NOT_FOUND: { status: 404, title: 'No such key in this workspace' },
  TOKEN_NOT_FOUND: { status: 404, title: 'No such admin token in this workspace' },
  WORKSPACE_NOT_FOUND: { status: 404, title: 'No such workspace' },
  AUDIT_EVENT_NOT_FOUND: { status: 404, title: 'No such audit event' },
  CHECKPOINT_NOT_FOUND: { status: 404, title: 'No signed checkpoint covers this event yet' },
  KEY_STATE_CONFLICT: { status: 409, title: 'The key is not in a state that allows this operation' },
  TOKEN_STATE_CONFLICT: { status: 409, title: 'The admin token is not in a state that allows this operation' },
  // Verify outcomes (DESIGN.md section 3); the verify endpoint answers them with 200, the data
  // API and gateway with the status given here.
  MALFORMED: { status: 401, title: 'The key is malformed or its checksum fails' },
  NOT_FOUND: { status: 401, title: 'The key is not known' },
  REVOKED: { status: 401, title: 'The key was revoked' },
  SUSPENDED: { status: 403, title: 'The key is suspended' },
  EXPIRED: { status: 401, title: 'The key has expired' },
  ENV_MISMATCH: { status: 403, title: 'The key belongs to another environment' },
  IP_NOT_ALLOWED: { status: 403, title: 'The client address is not in the key allowlist' },
  INSUFFICIENT_SCOPE: { status: 403, title: 'The key lacks the required scope' },
  SIGNATURE_REQUIRED: { status: 401, title: 'The key requires a signed request' },
  SIGNATURE_INVALID: { status: 401, title: 'The request signature does not verify' },
  REPLAYED: { status: 401, title: 'The request timestamp is outside the window or its nonce was already used' },
  RATE_LIMITED: { status: 429, title: 'A rate limit of the key is exhausted; Retry-After says when to retry' },
  QUOTA_EXCEEDED: { status: 429, title: 'The key has not enough credits left for this request' },
  // Server state
  STORE_UNAVAILABLE: { status: 503, title: 'The store cannot be reached' },
  NOT_READY: { status: 503, title: 'The server is not ready' },
  GATEWAY_UPSTREAM_UNAVAILABLE: { status: 502, title: 'The API behind the gateway did not answer' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  // Secrets vault and keyring (envelope encryption)
  SEALED: { status: 503, title: 'The keyring is sealed: nothing that needs a secret works until it is unsealed' },
  SECRET_NOT_FOUND: { status: 404, title: 'No such secret or secret version in this workspace and environment' },
  SECRET_DELETED: { status: 410, title: 'The secret version is deleted (undelete restores it)' },
  SECRET_DESTROYED: { status: 410, title: 'The secret version was destroyed and cannot be read again' },
  CAS_MISMATCH: { status: 409, title: 'The check-and-set version does not match the current version' },
  DECRYPTION_FAILED: { status: 500, title: 'A stored ciphertext did not authenticate (tampered, moved or under another key)' },
  KEY_VERSION_RETIRED: { status: 409, title: 'The data is wrapped by a retired master key version' },
  RETIRE_BLOCKED: { status: 409, title: 'Data is still wrapped by a version below the requested minimum; rewrap first' },
  UNSEAL_FAILED: { status: 400, title: 'The keyring could not be unsealed with what was given' },
  OPERATOR_ONLY: { status: 403, title: 'Only tokens of the operator workspace may manage the keyring' },
  // Usage and alerts (docs/guides/monitoring.md)
  ALERT_NOT_FOUND: { status: 404, title: 'No such alert in this workspace' },
  ALERT_STATE_CONFLICT: { status: 409, title: 'The alert is not in a state that allows this operation' },
  USAGE_RANGE_INVALID: { status: 400, title: 'The usage time range is empty, reversed or has too many buckets' },
  OWNER_NOT_OFFBOARDED: { status: 404, title: 'The owner is not marked as offboarded in this workspace' },
  // Reports (docs/guides/reports.md)
  EVIDENCE_RANGE_INVALID: { status: 400, title: 'The evidence period is not a valid date range: from and to must be dates or ISO 8601 times, from before to, from not in the future, at most 366 days apart' },
  // Webhooks (docs/guides/webhooks-and-playbooks.md)
  WEBHOOK_NOT_FOUND: { status: 404, title: 'No such webhook endpoint in this workspace' },
  PLAYBOOK_NOT_FOUND: { status: 404, title: 'No playbook of that name is loaded' },
  PLAYBOOK_TARGET_MISSING: { status: 400, title: 'The playbook acts on a key or an owner that was not given' },
  WEBHOOK_URL_INVALID: { status: 400, title: 'The webhook URL must be an http or https URL without credentials' },
  WEBHOOK_URL_FORBIDDEN: { status: 400, title: 'The webhook URL is refused by the egress filter: its host is or resolves to an internal address (loopback, private, link-local, …), does not resolve, or is plain http outside CLAVIS_WEBHOOK_ALLOWED_NETWORKS' },
  // Leak reports (POST /v1/leaks, authenticated by the reporter's signature)
  LEAK_REPORTS_DISABLED: { status: 404, title: 'Leak reports are not configured on this server' },
  LEAK_SIGNATURE_INVALID: { status: 401, title: 'The leak report signature is missing or does not verify' },
  // Crypto data API: market data, the index, quotes and paper portfolios (docs/guides/data-api.md)
  MARKET_DATA_UNAVAILABLE: { status: 503, title: 'This server serves no market data (CLAVIS_MARKET_DATA=off, or its data worker stopped)' },
  MARKET_DATA_INVALID: { status: 503, title: 'The configured market data could not be loaded (bad file or rows)' },
  MARKET_API_FAILED: { status: 502, title: 'The market data provider did not answer' },
  INDEX_DATA_INSUFFICIENT: { status: 503, title: 'The market data cannot support the index (no BTC, no bear asset, too short)' },
  INDEX_DATE_OUT_OF_RANGE: { status: 400, title: 'The date is outside what the index or the market data covers' },
  INDEX_QUERY_INVALID: { status: 400, title: 'A query parameter of the index is not valid' },
  ASSET_NOT_FOUND: { status: 404, title: 'No such asset in the market data' },
  QUOTE_NOT_FOUND: { status: 404, title: 'No such quote for this key owner' },
  QUOTE_EXPIRED: { status: 410, title: 'The quote has expired; ask for a new one' },
  QUOTE_USED: { status: 409, title: 'The quote was already executed; each quote executes once' },
  OWNER_REQUIRED: { status: 403, title: 'The key has no owner identity, so it has no paper portfolio' },
  INSUFFICIENT_UNITS: { status: 409, title: 'The portfolio holds fewer index units than the sale needs' },
  // Users and step-up MFA (docs/guides/mfa.md)
  USER_NOT_FOUND: { status: 404, title: 'No such user in this workspace' },
  USER_EXISTS: { status: 409, title: 'A user with this email exists in the workspace' },
  USER_DISABLED: { status: 409, title: 'The user is disabled' },
  USER_TOKEN_REQUIRED: { status: 403, title: 'The operation needs an admin token issued for a user, not a service token' },
  MFA_REQUIRED: { status: 401, title: 'The operation is critical: send a fresh TOTP or recovery code in X-Clavis-MFA' },
  MFA_INVALID: { status: 401, title: 'The X-Clavis-MFA code is not valid' },
  MFA_REPLAYED: { status: 401, title: 'The X-Clavis-MFA code was already used; wait for the next one' },
  MFA_LOCKED: { status: 429, title: 'Too many MFA attempts: step-up is locked for a while; Retry-After says how long' },
  MFA_ENROLMENT_REQUIRED: { status: 403, title: 'The workspace requires a user with confirmed TOTP for critical operations' },
  MFA_ALREADY_ENROLLED: { status: 409, title: 'The user already has confirmed TOTP; remove it first to enrol again' },
  MFA_NOT_ENROLLED: { status: 409, title: 'The user has no TOTP enrolment (or none pending) for this operation' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where the docs describe a code: an anchor in docs/reference/errors.md. */
export function docsAnchor(code: ErrorCode): string {
  return `errors.md#${code.toLowerCase().replaceAll('_', '-')}`;
}

export interface FieldError {
  /** JSON pointer-like path of the offending field, e.g. `/body/scopes/0`. */
  field: string;
  message: string;
}

/**
 * A domain failure with a stable code. Only the HTTP error handler turns it into a response.
 *
 * @example throw new ClavisError('KEY_NOT_FOUND', `no key ${id}`)
 */
export class ClavisError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[];

  constructor(code: ErrorCode, detail?: string, errors: FieldError[] = []) {
    super(detail ?? ERROR_CODES[code].title);
    this.name = 'ClavisError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.errors = errors;
  }
}
