import { createHmac, generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { generateCredential } from '../../src/core/keys/key-format.ts';

// Secrets for tests, made at test time from fragments: nothing here is a real credential, and
// the repository holds no string that a push-protection scanner would take for one.

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const HEX = '0123456789abcdef';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = `${BASE62}+/`;
const DIGITS = '0123456789';

/** `n` random characters of `alphabet`. */
export function randomOf(alphabet: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet.charAt(randomInt(alphabet.length));
  return out;
}

/** Random base62 with at least one digit and one letter, so no validator takes it for a name. */
function mixed(n: number, alphabet = BASE62): string {
  return `${randomOf(DIGITS, 1)}${randomOf('abcdefghijklmnopqrstuvwxyz', 1)}${randomOf(alphabet, n - 2)}`;
}

const j = (...parts: string[]): string => parts.join('');

function pemBodyLines(der: Buffer): string[] {
  return der.toString('base64').match(/.{1,64}/g) ?? [];
}

/** The base64 body of a freshly generated private key, lines joined with `sep`. */
function privateKeyBody(kind: string): string {
  if (kind === 'rsa') {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    return pemBodyLines(privateKey.export({ type: 'pkcs1', format: 'der' })).join('\n');
  }
  if (kind === 'ec') {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return pemBodyLines(privateKey.export({ type: 'sec1', format: 'der' })).join('\n');
  }
  if (kind === 'openssh') {
    // The shape of an OpenSSH key file body: a magic string and key material, base64, 70 columns.
    const body = Buffer.concat([Buffer.from('openssh-key-v1\0', 'latin1'), randomBytes(380)]).toString('base64');
    return (body.match(/.{1,70}/g) ?? []).join('\n');
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const lines = pemBodyLines(privateKey.export({ type: 'pkcs8', format: 'der' }));
  // Inside JSON (a GCP service account file) line breaks are `\n` escapes.
  return kind === 'gcp' ? lines.join('\\n') : lines.join('\n');
}

function jwt(): string {
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const head = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ sub: `user_${randomInt(1e6)}`, iat: 1767225600, scope: 'prices:read' })}`;
  return `${head}.${createHmac('sha256', randomBytes(32)).update(head).digest('base64url')}`;
}

/**
 * A value of the kind `rule` finds (or, for `noise:` kinds, a harmless value). `name` picks
 * variants: Clavis keys take their environment from it (`test-…`, `dev-…`, else live).
 */
export function secretFor(rule: string, name: string): string {
  switch (rule) {
    case 'clavis-api-key':
      return generateCredential('clv', name.startsWith('test') ? 'test' : name.startsWith('dev') ? 'dev' : 'live');
    case 'clavis-admin-token':
      return generateCredential('clv', 'adm');
    case 'private-key':
      return privateKeyBody(name);
    case 'aws-access-key-id':
      return j('AK', 'IA', randomOf(BASE32, 16));
    case 'aws-secret-access-key':
      return mixed(40, BASE64);
    case 'gcp-api-key':
      return j('AI', 'za', randomOf(`${BASE62}_-`, 35));
    case 'azure-storage-account-key':
      return `${mixed(86, BASE64)}==`;
    case 'azure-ad-client-secret':
      return j(randomOf(BASE62, 3), randomOf(DIGITS, 1), 'Q', '~', randomOf(BASE62, 34));
    case 'digitalocean-token':
      return j('do', 'p_v1_', randomOf(HEX, 64));
    case 'github-token':
      return j('gh', 'p_', randomOf(BASE62, 36));
    case 'github-fine-grained-token':
      return j('github', '_pat_', randomOf(BASE62, 22), '_', randomOf(BASE62, 59));
    case 'gitlab-token':
      return j('gl', 'pat-', randomOf(BASE62, 20));
    case 'slack-token':
      return j('xo', 'xb-', randomOf(DIGITS, 12), '-', randomOf(DIGITS, 13), '-', randomOf(BASE62, 24));
    case 'slack-webhook-url':
      return j('T', randomOf(BASE32, 10), '/B', randomOf(BASE32, 10), '/', randomOf(BASE62, 24));
    case 'stripe-secret-key':
      return j('sk', '_live_', randomOf(BASE62, 99));
    case 'stripe-webhook-secret':
      return j('wh', 'sec_', randomOf(BASE62, 32));
    case 'jwt':
      return jwt();
    case 'database-url-password':
      return mixed(20);
    case 'crypto-exchange-credential':
      return mixed(name.startsWith('kraken') ? 56 : 64);
    case 'generic-secret-assignment':
    case 'generic-secret-unquoted':
      return mixed(32);
    case 'acme-token':
      return j('ac', 'me_', randomOf(HEX, 32));
    case 'public-key': {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      return pemBodyLines(publicKey.export({ type: 'spki', format: 'der' })).join('\n');
    }
    default:
      throw new Error(`no generator for ${rule}`);
  }
}
