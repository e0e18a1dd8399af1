import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ClavisClient } from '@clavis/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffShapes, enumOfSchema, loadSdkTypes, requestBodySchema, shapeOfQuery, shapeOfSchema, successSchema, type JsonSchema, type OpenApiDocument, type OpenApiOperation, type SdkTypes } from './wire-shapes.ts';

// The SDK drifts from the server when a route or field changes and nobody updates sdk/src. This
// suite reads docs/reference/openapi.json (kept equal to what the server serves by
// test/docs.test.ts) and fails on any difference in routes, property names or optionality.

const doc = JSON.parse(readFileSync(new URL('../../docs/reference/openapi.json', import.meta.url), 'utf8')) as OpenApiDocument;
const sdkFile = (name: string) => fileURLToPath(new URL(`../../sdk/src/${name}`, import.meta.url));

type ClientMethod = keyof ClavisClient;

/** One call per client method, with every optional argument given so its wire name shows. */
const CALLS = {
  getKeyUsage: (c) => c.getKeyUsage('key_1', { from: 'f', to: 't', bucket: 'hour' }),
  listAlerts: (c) => c.listAlerts({ status: 'open', severity: 'high', type: 'rate-spike', keyId: 'key_1', limit: 1, cursor: 'c' }),
  getAlert: (c) => c.getAlert('alr_1'),
  acknowledgeAlert: (c) => c.acknowledgeAlert('alr_1', 'n'),
  resolveAlert: (c) => c.resolveAlert('alr_1', 'n'),
  offboardOwner: (c) => c.offboardOwner('alice', 'left'),
  reinstateOwner: (c) => c.reinstateOwner('alice'),
  listOffboardedOwners: (c) => c.listOffboardedOwners({ limit: 1, cursor: 'c' }),
  createKey: (c) => c.createKey({ name: 'n', environment: 'test', scopes: ['prices:read'] }),
  listKeys: (c) => c.listKeys({ environment: 'test', status: 'active', ownerId: 'o', limit: 1, cursor: 'c' }),
  getKey: (c) => c.getKey('key_1'),
  updateKey: (c) => c.updateKey('key_1', { name: 'n' }),
  rotateKey: (c) => c.rotateKey('key_1', 60),
  revokeKey: (c) => c.revokeKey('key_1', 'leaked'),
  suspendKey: (c) => c.suspendKey('key_1', 'paused'),
  resumeKey: (c) => c.resumeKey('key_1'),
  verifyKey: (c) => c.verifyKey({ key: 'k' }),
  lookupKeys: (c) => c.lookupKeys(['0'.repeat(64)]),
  createToken: (c) => c.createToken({ name: 'n', role: 'developer', ttlSeconds: 60, userId: 'usr_1' }),
  listTokens: (c) => c.listTokens({ limit: 1, cursor: 'c' }),
  revokeToken: (c) => c.revokeToken('tok_1'),
  createWorkspace: (c) => c.createWorkspace('w'),
  getWorkspace: (c) => c.getWorkspace(),
  updateWorkspace: (c) => c.updateWorkspace({ requireMfa: true }),
  revokeAllKeys: (c) => c.revokeAllKeys({ reason: 'r', environment: 'live' }),
  createUser: (c) => c.createUser({ email: 'a@example.com', name: 'A', role: 'developer' }),
  listUsers: (c) => c.listUsers({ limit: 1, cursor: 'c' }),
  updateUser: (c) => c.updateUser('usr_1', { name: 'n', role: 'auditor' }),
  disableUser: (c) => c.disableUser('usr_1'),
  resetUserMfa: (c) => c.resetUserMfa('usr_1'),
  enrolTotp: (c) => c.enrolTotp(),
  confirmTotp: (c) => c.confirmTotp('123456'),
  getTotp: (c) => c.getTotp(),
  removeTotp: (c) => c.removeTotp(),
  listAuditEvents: (c) => c.listAuditEvents({ fromSeq: 0, toSeq: 1, since: 's', until: 'u', actor: 'a', target: 't', action: 'x', limit: 1, cursor: 'c' }),
  listCheckpoints: (c) => c.listCheckpoints({ limit: 1, beforeTreeSize: 2 }),
  createCheckpoint: (c) => c.createCheckpoint(),
  getInclusionProof: (c) => c.getInclusionProof(3, 4),
  getConsistencyProof: (c) => c.getConsistencyProof(1, 2),
  putSecret: (c) => c.putSecret('live', 'binance', { value: 'v', cas: 0 }),
  getSecret: (c) => c.getSecret('live', 'binance', 2),
  listSecrets: (c) => c.listSecrets({ environment: 'live', limit: 1, cursor: 'c' }),
  deleteSecret: (c) => c.deleteSecret('live', 'binance', 2),
  undeleteSecret: (c) => c.undeleteSecret('live', 'exchanges/binance', [2]),
  destroySecret: (c) => c.destroySecret('live', 'exchanges/binance', [2]),
  getKeyring: (c) => c.getKeyring(),
  rotateKeyring: (c) => c.rotateKeyring(),
  rewrapKeyring: (c) => c.rewrapKeyring(10),
  retireKeyringVersions: (c) => c.retireKeyringVersions(2, true),
  unsealKeyring: (c) => c.unsealKeyring('p'),
  createWebhook: (c) => c.createWebhook({ url: 'https://hooks.example/x', events: ['alert.raised'] }),
  listWebhooks: (c) => c.listWebhooks(),
  deleteWebhook: (c) => c.deleteWebhook('whk_1'),
  listPlaybooks: (c) => c.listPlaybooks(),
  getHygieneReport: (c) => c.getHygieneReport({ rotationDays: 30, unusedDays: 60, overPrivilegeDays: 30 }),
  getEvidenceReport: (c) => c.getEvidenceReport({ from: '2026-01-01', to: '2026-03-31' }),
  runPlaybook: (c) => c.runPlaybook('key-compromise', { keyId: 'key_1', ownerId: 'o', dryRun: true }),
  runScheduler: (c) => c.runScheduler({ dryRun: true }),
  listWebhookDeliveries: (c) => c.listWebhookDeliveries('whk_1', { limit: 1, cursor: 'c' }),
} satisfies Record<ClientMethod, (c: ClavisClient) => Promise<unknown>>;

/**
 * Operations of the SDK's route families that the client leaves out on purpose, each with the
 * reason. Empty today: every one has a method.
 */
const DELIBERATELY_UNCOVERED: Readonly<Record<string, string>> = {};

const FAMILIES = /^\/v1\/(keys|tokens|workspaces?|audit|secrets|keyring|users|mfa|alerts|owners|webhooks|playbooks|reports)(\/|$)/;

interface Sent {
  method: string;
  path: string;
  query: string[];
  body: unknown;
}

/** Which documented path template a concrete path is: static segments win over parameters. */
function templateOf(method: string, path: string): string | undefined {
  const candidates = Object.keys(doc.paths).filter((t) => doc.paths[t]?.[method.toLowerCase()] !== undefined && new RegExp(`^${t.replace(/\{\*\}/g, '.+').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
  return candidates.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))[0];
}

function operation(method: string, template: string): OpenApiOperation {
  const op = doc.paths[template]?.[method.toLowerCase()];
  if (op === undefined) throw new Error(`no ${method} ${template}`);
  return op;
}

/** What each client method sends, recorded by a fetch that answers `{}`. */
async function recordCalls(): Promise<Map<ClientMethod, Sent[]>> {
  const out = new Map<ClientMethod, Sent[]>();
  let current: Sent[] = [];
  const client = new ClavisClient({
    url: 'http://clavis.test',
    token: 'clv_adm_x',
    fetch: async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      current.push({ method: init?.method ?? 'GET', path: url.pathname, query: [...url.searchParams.keys()], body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined });
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    },
  });
  for (const [name, call] of Object.entries(CALLS) as [ClientMethod, (c: ClavisClient) => Promise<unknown>][]) {
    current = [];
    await call(client);
    out.set(name, current);
  }
  return out;
}

function propertySchema(schema: JsonSchema | undefined, name: string): JsonSchema | undefined {
  const props = schema?.properties as Record<string, JsonSchema> | undefined;
  return props?.[name];
}

let sent: Map<ClientMethod, Sent[]>;
let sdk: SdkTypes;
beforeAll(async () => {
  sent = await recordCalls();
  sdk = loadSdkTypes(sdkFile('client.ts'), sdkFile('types.ts'));
});

/** The operation a client method calls (each makes exactly one request). */
function operationOf(name: ClientMethod): { sent: Sent; template: string; op: OpenApiOperation } {
  const calls = sent.get(name) ?? [];
  const only = calls[0];
  if (calls.length !== 1 || only === undefined) throw new Error(`${name} made ${calls.length} requests`);
  const template = templateOf(only.method, only.path);
  if (template === undefined) throw new Error(`${name} calls ${only.method} ${only.path}, which the OpenAPI document does not have`);
  return { sent: only, template, op: operation(only.method, template) };
}

describe('the SDK client against docs/reference/openapi.json', () => {
  it('has a call above for every public method of ClavisClient', () => {
    const methods = Object.getOwnPropertyNames(ClavisClient.prototype).filter((m) => m !== 'constructor');
    expect(methods.sort()).toEqual(Object.keys(CALLS).sort());
  });

  it.each(Object.keys(CALLS) as ClientMethod[])('%s calls an operation of the document with its parameter names', (name) => {
    const { sent: s, op } = operationOf(name);
    const queryNames = new Set((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
    expect(s.query.filter((q) => !queryNames.has(q)), 'query parameters the document does not have').toEqual([]);
    const body = requestBodySchema(op);
    if (body === undefined) {
      expect(s.body, 'a body the operation does not take').toBeUndefined();
      return;
    }
    const shape = shapeOfSchema(doc, body);
    expect(shape.kind === 'object' && typeof s.body === 'object' && s.body !== null, 'a JSON object body').toBe(true);
    if (shape.kind === 'object') expect(Object.keys(s.body as object).filter((k) => !shape.props.has(k)), 'body fields the document does not have').toEqual([]);
  });

  it('has a method for every operation of /v1/keys*, /v1/tokens*, /v1/workspace*, /v1/audit/*, /v1/secrets*, /v1/keyring*, /v1/users* and /v1/mfa/*', () => {
    const covered = new Set((Object.keys(CALLS) as ClientMethod[]).map((n) => {
      const { sent: s, template } = operationOf(n);
      return `${s.method} ${template}`;
    }));
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => (FAMILIES.test(path) ? Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`) : []));
    const missing = documented.filter((op) => !covered.has(op) && DELIBERATELY_UNCOVERED[op] === undefined);
    expect(missing, 'operations without a client method (add one, or list it with a reason)').toEqual([]);
    const stale = Object.keys(DELIBERATELY_UNCOVERED).filter((op) => !documented.includes(op) || covered.has(op));
    expect(stale, 'uncovered-list entries that are gone or now covered').toEqual([]);
  });

  it.each([
    ['ApiKey', () => doc.components.schemas.ApiKey],
    ['AdminToken', () => doc.components.schemas.AdminToken],
    ['AuditEvent', () => doc.components.schemas.AuditEvent],
    ['AuditCheckpoint', () => doc.components.schemas.AuditCheckpoint],
    ['Workspace', () => doc.components.schemas.Workspace],
    ['User', () => doc.components.schemas.User],
    ['WorkspaceInfo', () => successSchema(operation('GET', '/v1/workspace'))],
    ['TotpEnrolment', () => successSchema(operation('POST', '/v1/mfa/totp'))],
    ['TotpStatus', () => successSchema(operation('GET', '/v1/mfa/totp'))],
    ['CreateUserRequest', () => requestBodySchema(operation('POST', '/v1/users'))],
    ['UpdateUserRequest', () => requestBodySchema(operation('PATCH', '/v1/users/{id}'))],
    ['Problem', () => doc.components.schemas.Problem],
    ['VerifyResult', () => successSchema(operation('POST', '/v1/keys/verify'))],
    ['VerifyRequest', () => requestBodySchema(operation('POST', '/v1/keys/verify'))],
    ['CreateKeyRequest', () => requestBodySchema(operation('POST', '/v1/keys'))],
    ['UpdateKeyRequest', () => requestBodySchema(operation('PATCH', '/v1/keys/{id}'))],
    ['CreatedKey', () => successSchema(operation('POST', '/v1/keys'))],
    ['CreatedToken', () => successSchema(operation('POST', '/v1/tokens'))],
  ] as const)('types.ts %s has the properties of the document, recursively', (name, schema) => {
    const s = schema();
    if (s === undefined) throw new Error(`the document has no schema for ${name}`);
    expect(diffShapes(sdk.named(name), shapeOfSchema(doc, s), name)).toEqual([]);
  });

  it.each([
    ['VerifyCode', () => propertySchema(successSchema(operation('POST', '/v1/keys/verify')), 'code')],
    ['Environment', () => propertySchema(doc.components.schemas.ApiKey, 'environment')],
    ['Role', () => propertySchema(doc.components.schemas.AdminToken, 'role')],
    ['KeyLookupStatus', () => propertySchema(propertySchema(successSchema(operation('POST', '/v1/keys/lookup')), 'results')?.items as JsonSchema | undefined, 'status')],
  ] as const)('types.ts %s has exactly the values of the document', (name, schema) => {
    const s = schema();
    if (s === undefined) throw new Error(`the document has no schema for ${name}`);
    const values = enumOfSchema(doc, s);
    expect(values.length, 'values found in the document').toBeGreaterThan(2);
    expect(sdk.literals(name)).toEqual(values);
  });

  it.each(Object.keys(CALLS) as ClientMethod[])('%s: parameter and answer types match the operation', (name) => {
    const { sent: s, op } = operationOf(name);
    const method = sdk.methods('ClavisClient').get(name);
    if (method === undefined) throw new Error(`the compiler sees no method ${name}`);
    const answer = successSchema(op);
    if (answer === undefined) throw new Error(`${name}: the operation documents no JSON answer`);
    const diffs = diffShapes(method.returns, shapeOfSchema(doc, answer), `${name}()`);
    // An object parameter is the query (GET) or the body (otherwise); scalars are path or body values checked above.
    const body = requestBodySchema(op);
    for (const [i, p] of method.params.entries()) {
      if (p.kind !== 'object') continue;
      const api = s.method === 'GET' ? shapeOfQuery(doc, op) : body === undefined ? undefined : shapeOfSchema(doc, body);
      if (api === undefined) diffs.push(`${name}: parameter ${i} is an object but the operation takes no body`);
      else diffs.push(...diffShapes(p, api, `${name}(#${i})`));
    }
    expect(diffs).toEqual([]);
  });

  it('the comparison fails on a drifted schema, both ways', () => {
    const apiKey = doc.components.schemas.ApiKey;
    if (apiKey === undefined) throw new Error('no ApiKey schema');
    const props: Record<string, unknown> = { ...(apiKey.properties as Record<string, unknown>), archivedAt: { type: 'string' } };
    delete props.credits;
    const drifted = { ...apiKey, properties: props, required: [...(apiKey.required as string[]), 'archivedAt'] };
    expect(diffShapes(sdk.named('ApiKey'), shapeOfSchema(doc, drifted), 'ApiKey')).toEqual([
      'ApiKey.archivedAt: in the OpenAPI document, missing from the SDK',
      'ApiKey.credits: in the SDK, not in the OpenAPI document',
    ]);
    const verify = successSchema(operation('POST', '/v1/keys/verify'));
    if (verify === undefined) throw new Error('no verify answer');
    const nested = JSON.parse(JSON.stringify(verify)) as { properties: { credits: { anyOf: { properties?: Record<string, unknown>; required?: string[] }[] } } };
    const credits = nested.properties.credits.anyOf.find((a) => a.properties !== undefined);
    if (credits?.properties === undefined) throw new Error('no credits object');
    delete credits.properties.reset;
    expect(diffShapes(sdk.named('VerifyResult'), shapeOfSchema(doc, nested), 'VerifyResult')).toEqual(['VerifyResult.credits.reset: in the SDK, not in the OpenAPI document']);
    expect(templateOf('POST', '/v1/keys/verify')).toBe('/v1/keys/verify');
    expect(templateOf('DELETE', '/v1/keys/key_1')).toBeUndefined();
  });
});
