import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configReference } from '../src/config.ts';
import { ERROR_CODES } from '../src/core/errors/registry.ts';
import { openApiDocument } from '../src/docs/openapi.ts';
import { errorsReference, permissionsReference } from '../src/docs/reference.ts';

const read = (name: string) => readFileSync(new URL(`../docs/reference/${name}`, import.meta.url), 'utf8');
const regenerate = 'run `npm run docs:generate` and commit the result';

describe('reference docs match the code', () => {
  it('errors.md lists every registry code, and only those', () => {
    const doc = read('errors.md');
    expect(doc, regenerate).toBe(errorsReference());
    const documented = [...doc.matchAll(/^\| <a id="[a-z-]+"><\/a>`([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(documented).toEqual(Object.entries(ERROR_CODES).map(([c, d]) => [c, d.status]));
  });

  it('config.md is generated from the config schema', () => {
    expect(read('config.md'), regenerate).toBe(configReference());
  });

  it('permissions.md is generated from the role table', () => {
    expect(read('permissions.md'), regenerate).toBe(permissionsReference());
  });

  it('openapi.json is what the server serves', async () => {
    expect(JSON.parse(read('openapi.json')), regenerate).toEqual(await openApiDocument());
  });
});
