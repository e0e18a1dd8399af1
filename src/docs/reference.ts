import { PERMISSIONS, ROLE_PERMISSIONS, type Permission } from '../core/auth/permissions.ts';
import { ERROR_CODES, docsAnchor, type ErrorCode } from '../core/errors/registry.ts';
import { KEY_REGEX_SOURCE } from '../core/keys/key-format.ts';
import { SCOPES } from '../core/keys/scopes.ts';
import { VERIFY_CODES } from '../core/keys/verify.ts';
import { ROLES } from '../core/model.ts';

/** docs/reference/errors.md, generated from the error registry. */
export function errorsReference(): string {
  const verify = new Set<string>(VERIFY_CODES);
  const rows = (Object.entries(ERROR_CODES) as [ErrorCode, { status: number; title: string }][]).map(
    ([code, d]) => `| <a id="${docsAnchor(code).split('#')[1] ?? ''}"></a>\`${code}\` | ${d.status} | ${d.title}${verify.has(code) ? ' (verify outcome)' : ''} |`,
  );
  return [
    '# Error codes',
    '',
    'Generated from `src/core/errors/registry.ts` by `npm run docs:generate`; a test fails when the two disagree.',
    '',
    'Every error answer is RFC 9457 `application/problem+json`:',
    '',
    '```json',
    '{ "type": "/docs/errors.md#key-not-found", "title": "No such key in this workspace", "status": 404,',
    '  "detail": "no key key_… in this workspace", "instance": "/v1/keys/key_…", "code": "KEY_NOT_FOUND",',
    '  "requestId": "req_…", "errors": [{ "field": "/body/scopes/0", "message": "unknown scope \'x:y\'" }] }',
    '```',
    '',
    '`code` is stable: codes are never renamed or reused. `errors` lists each bad field (as `/body/…`, `/querystring/…`, `/params/…`) when the input was at fault.',
    'Verify outcomes (`MALFORMED` … `INSUFFICIENT_SCOPE`) come back from `POST /v1/keys/verify` as `200 {valid: false, code}`; the data API answers them with the status shown.',
    '',
    '| code | HTTP status | meaning |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** docs/reference/permissions.md, generated from the role table. */
export function permissionsReference(): string {
  const perms = Object.keys(PERMISSIONS) as Permission[];
  const header = `| permission | meaning | ${ROLES.join(' | ')} |`;
  const sep = `| --- | --- | ${ROLES.map(() => ':---:').join(' | ')} |`;
  const rows = perms.map((p) => `| \`${p}\` | ${PERMISSIONS[p]} | ${ROLES.map((r) => (ROLE_PERMISSIONS[r].includes(p) ? 'yes' : '')).join(' | ')} |`);
  const scopes = Object.entries(SCOPES).map(([s, d]) => `| \`${s}\` | ${d.risk} | ${d.description} |`);
  return [
    '# Roles, permissions and scopes',
    '',
    'Generated from `src/core/auth/permissions.ts` and `src/core/keys/scopes.ts` by `npm run docs:generate`.',
    '',
    '## Admin token roles',
    '',
    'Every admin route needs one permission; one check (`can(role, permission)`) guards them all.',
    'A token never creates or revokes a token above its own role, and only owners manage owners. New tokens are `read-only` unless a role is asked for.',
    '',
    header,
    sep,
    ...rows,
    '',
    '## API key scopes',
    '',
    'Scopes are `resource:action`. A scope outside this list is refused (`UNKNOWN_SCOPE`).',
    '',
    '| scope | risk | meaning |',
    '| --- | --- | --- |',
    ...scopes,
    '',
    '## Key format',
    '',
    '`<prefix>_<env>_<body><check>`: prefix `[a-z]{2,8}` (default `clv`), env `live|test|dev`, body 43 base62 characters (32 CSPRNG bytes),',
    'check 6 base62 characters (CRC32/IEEE of everything before it). Alphabet `0-9A-Za-z`, big-endian, left-padded with `0`.',
    'Admin tokens use the same format with `adm` in place of the environment.',
    '',
    'Regex for scanners (gitleaks, secretlint):',
    '',
    '```',
    KEY_REGEX_SOURCE,
    '```',
    '',
  ].join('\n');
}
