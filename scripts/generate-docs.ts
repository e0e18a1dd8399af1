// Regenerates the reference docs that are derived from code. Run after changing the error
// registry, the config schema, roles/scopes or any route schema: `npm run docs:generate`.
import { writeFileSync } from 'node:fs';
import { configReference } from '../src/config.ts';
import { errorsReference, permissionsReference } from '../src/docs/reference.ts';
import { openApiDocument } from '../src/docs/openapi.ts';

const out = new URL('../docs/reference/', import.meta.url);
writeFileSync(new URL('errors.md', out), errorsReference());
writeFileSync(new URL('config.md', out), configReference());
writeFileSync(new URL('permissions.md', out), permissionsReference());
writeFileSync(new URL('openapi.json', out), `${JSON.stringify(await openApiDocument(), null, 2)}\n`);
process.stdout.write('docs/reference: errors.md config.md permissions.md openapi.json written\n');
