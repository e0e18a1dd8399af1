import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, makeHarness, type Harness } from '../support/harness.ts';

// POST /v1/keys/verify writes its answer with JSON.stringify (no schema serializer drops an
// undocumented field or turns a wrong type into a right one), so every answer shape is checked
// here against the schema the OpenAPI document publishes, closed to extra properties.
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);

function closed(schema: unknown): object {
  return JSON.parse(JSON.stringify(schema), (_k, v: unknown) =>
    typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'object' && 'properties' in v ? { ...v, additionalProperties: false } : v,
  ) as object;
}

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => h.close());

function documentedAnswer(): (body: unknown) => string | null {
  const doc = h.app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: unknown }> }> }>> };
  const schema = doc.paths['/v1/keys/verify']?.post?.responses['200']?.content['application/json']?.schema;
  if (schema === undefined) throw new Error('the OpenAPI document has no 200 answer for POST /v1/keys/verify');
  const check = ajv.compile(closed(schema));
  return (body) => (check(body) ? null : ajv.errorsText(check.errors));
}

async function verify(payload: object): Promise<{ status: number; body: { code: string } }> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/keys/verify', headers: bearer(h.owner.secret), payload });
  return { status: res.statusCode, body: res.json<{ code: string }>() };
}

describe('POST /v1/keys/verify answers match the documented schema', () => {
  it('for a valid key with limits and credits, a plain valid key, a refusal and a malformed key', async () => {
    const check = documentedAnswer();
    const create = async (payload: object): Promise<string> => {
      const res = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: bearer(h.owner.secret), payload });
      expect(res.statusCode).toBe(201);
      return res.json<{ key: string }>().key;
    };
    const metered = await create({
      name: 'metered',
      environment: 'test',
      scopes: ['prices:read'],
      metadata: { plan: 'pro' },
      rateLimits: [{ name: 'burst', algorithm: 'token-bucket', limit: 3, windowSeconds: 60 }],
      credits: { quota: 5, refill: 'daily' },
    });
    const plain = await create({ name: 'plain', environment: 'dev', scopes: ['prices:read'] });
    const answers = [
      await verify({ key: metered, scope: 'prices:read', environment: 'test' }),
      await verify({ key: plain, scope: 'prices:read' }),
      await verify({ key: plain, scope: 'index:read' }),
      await verify({ key: 'clv_test_not-a-key' }),
    ];
    expect(answers.map((a) => [a.status, a.body.code])).toEqual([
      [200, 'VALID'],
      [200, 'VALID'],
      [200, 'INSUFFICIENT_SCOPE'],
      [200, 'MALFORMED'],
    ]);
    for (const a of answers) expect(check(a.body), a.body.code).toBeNull();
  });
});
