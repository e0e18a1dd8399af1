import { resolve } from 'node:path';
import { z } from 'zod';
import { LEAK_POLICIES, type LeakPolicy } from './scan/leaks/leak-report.ts';
import { parseLeakPublicKeys } from './scan/leaks/leak-signature.ts';
import { parseCidr } from './core/keys/ip-allowlist.ts';
import type { KeyObject } from 'node:crypto';
import type { KeyProviderSettings } from './keyring/settings.ts';
import { existsSync } from 'node:fs';
import type { Environment } from './core/keys/key-format.ts';
import type { MarketDataSettings } from './market/market-data.ts';
import { ALERT_TYPES, type AlertType, type DetectorThresholds } from './monitor/thresholds.ts';

/**
 * One schema for every setting, parsed once at start; docs/reference/config.md is generated from
 * it (`npm run docs:generate`) and a test keeps the two equal. No setting that is a secret has a
 * default.
 */
interface Setting {
  description: string;
  /** The default as it would be written in the environment; absent means unset by default. */
  default?: string;
  schema: z.ZodTypeAny;
}

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const seconds = z.coerce.number().int().min(0);
const count = (min = 1) => z.coerce.number().int().min(min).max(1_000_000_000);

/** Comma-separated addresses or CIDR ranges. */
const cidrList = z.string().transform((v, ctx) => {
  const entries = v.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const bad = entries.filter((e) => parseCidr(e) === null);
  if (bad.length > 0) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not an IP address or CIDR range: ${bad.join(', ')}` });
    return z.NEVER;
  }
  return entries;
});

export const SETTINGS = {
  CLAVIS_HOST: { description: 'Address to listen on. Without TLS, anything but loopback needs CLAVIS_ALLOW_PLAIN_HTTP=true.', default: '127.0.0.1', schema: z.string().min(1) },
  CLAVIS_PORT: { description: 'TCP port to listen on (0 picks a free one).', default: '8420', schema: z.coerce.number().int().min(0).max(65535) },
  CLAVIS_DATA_DIR: { description: 'Folder for the embedded database, the first admin token and the local audit signing key.', default: './.clavis', schema: z.string().min(1) },
  CLAVIS_DATABASE_URL: { description: 'postgres:// URL; when set, PostgreSQL is the store instead of the embedded SQLite database.', schema: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional() },
  CLAVIS_REDIS_URL: { description: 'redis:// or rediss:// URL; when set, rate limits, credits and replay nonces live in Redis, shared by every node, instead of in the process.', schema: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional() },
  CLAVIS_SQLITE_SYNCHRONOUS: { description: 'SQLite fsync policy: `full` survives power loss, `normal` survives a process crash only.', default: 'full', schema: z.enum(['full', 'normal']) },
  CLAVIS_TLS_CERT_FILE: { description: 'PEM certificate chain; with CLAVIS_TLS_KEY_FILE the server speaks HTTPS only.', schema: z.string().min(1).optional() },
  CLAVIS_TLS_KEY_FILE: { description: 'PEM private key for CLAVIS_TLS_CERT_FILE.', schema: z.string().min(1).optional() },
  CLAVIS_ALLOW_PLAIN_HTTP: { description: 'Allow plain HTTP on a non-loopback address (behind a TLS-terminating proxy). Off by default.', default: 'false', schema: bool },
  CLAVIS_KEY_PREFIX: { description: 'Brand at the start of every key and admin token, `[a-z]{2,8}`.', default: 'clv', schema: z.string().regex(/^[a-z]{2,8}$/, 'must be 2 to 8 lowercase letters') },
  CLAVIS_LIVE_MAX_TTL_SECONDS: { description: 'Longest lifetime of a `live` key; keys created without an expiry get this one. Must be above 0: no live key lives forever.', default: '7776000', schema: seconds.min(1) },
  CLAVIS_TEST_MAX_TTL_SECONDS: { description: 'Longest lifetime of a `test` key; 0 means no limit (and no default expiry).', default: '31536000', schema: seconds },
  CLAVIS_DEV_MAX_TTL_SECONDS: { description: 'Longest lifetime of a `dev` key; 0 means no limit (and no default expiry).', default: '0', schema: seconds },
  CLAVIS_HIGH_RISK_REQUIRE_IP_ALLOWLIST: { description: 'Keys with a high-risk scope (trade, withdraw, admin) must carry an IP allowlist.', default: 'true', schema: bool },
  CLAVIS_HIGH_RISK_REQUIRE_SIGNING: { description: 'Keys with a high-risk scope must require signed requests.', default: 'true', schema: bool },
  CLAVIS_SIGNATURE_WINDOW_MS: { description: 'How far a signed request timestamp may be from the server clock, either way; nonces are remembered for twice this.', default: '5000', schema: z.coerce.number().int().min(100).max(300_000) },
  CLAVIS_ROTATION_GRACE_SECONDS: { description: 'How long a rotated key keeps working when the request names no grace period.', default: '86400', schema: seconds },
  CLAVIS_CACHE_TTL_MS: { description: 'How long a node may serve a key or admin token from its cache. Changes made on this node apply at once; other nodes see them within this bound.', default: '5000', schema: z.coerce.number().int().min(0) },
  CLAVIS_NEGATIVE_CACHE_TTL_MS: { description: 'How long an unknown key hash is remembered as unknown.', default: '2000', schema: z.coerce.number().int().min(0) },
  CLAVIS_CACHE_MAX_ENTRIES: { description: 'Most keys held in the verify cache.', default: '1000000', schema: z.coerce.number().int().min(0) },
  CLAVIS_AUDIT_ORIGIN: { description: 'Origin line of signed audit checkpoints; each workspace log is `<origin>/<workspace id>`.', default: 'clavis.local', schema: z.string().regex(/^[^\s]+$/, 'no white space') },
  CLAVIS_AUDIT_CHECKPOINT_INTERVAL_SECONDS: { description: 'How often each grown audit log gets a signed checkpoint (0 turns the timer off; exports still checkpoint).', default: '60', schema: seconds },
  CLAVIS_AUDIT_SIGNING_KEY_FILE: { description: 'PEM Ed25519 private key that signs checkpoints instead of the key provider (created, mode 0600, when set and missing). Unset: the key provider signs, except in data folders that already have `<data dir>/audit-signing-key.pem`, which keep signing with it. Nodes sharing a database must share this key.', schema: z.string().min(1).optional() },
  CLAVIS_KEY_PROVIDER: { description: 'Where the master keys live: `local` (a root key sealed by CLAVIS_MASTER_PASSPHRASE through scrypt, kept in the database), `pkcs11` (an HSM: non-extractable AES-256 and Ed25519 keys on a token), or `vault-transit` (HashiCorp Vault or OpenBao transit engine).', default: 'local', schema: z.enum(['local', 'pkcs11', 'vault-transit']) },
  CLAVIS_MASTER_PASSPHRASE: { description: 'Passphrase that seals the local keyring (scrypt). Without it (and without CLAVIS_MASTER_PASSPHRASE_FILE) a first start makes a development root key file instead, and says so. A wrong one starts the server sealed.', schema: z.string().min(1).optional() },
  CLAVIS_MASTER_PASSPHRASE_FILE: { description: 'File holding the local keyring passphrase (one line). Read again on every unseal attempt, so fixing the file unseals a sealed server without a restart.', schema: z.string().min(1).optional() },
  CLAVIS_ROOT_KEY_FILE: { description: 'Development only: the generated root key that seals the local keyring when no passphrase is set (mode 0600). Default `<data dir>/root-key`.', schema: z.string().min(1).optional() },
  CLAVIS_KEYRING_KDF_COST: { description: 'scrypt cost of a new local keyring, as log2 N (r = 8, p = 1); 17 takes about 128 MiB and a few hundred ms once per start.', default: '17', schema: z.coerce.number().int().min(14).max(22) },
  CLAVIS_UNSEAL_RETRY_SECONDS: { description: 'How often a sealed server tries again to open its key provider (provider back, token inserted, PIN or passphrase file fixed).', default: '5', schema: z.coerce.number().int().min(1).max(3600) },
  CLAVIS_PKCS11_MODULE: { description: 'PKCS#11 module path (CLAVIS_KEY_PROVIDER=pkcs11), e.g. `/usr/lib/softhsm/libsofthsm2.so`.', schema: z.string().min(1).optional() },
  CLAVIS_PKCS11_TOKEN_LABEL: { description: 'Label of the token holding the keys; or give CLAVIS_PKCS11_SLOT.', schema: z.string().min(1).optional() },
  CLAVIS_PKCS11_SLOT: { description: 'Slot id of the token, when it is not chosen by label.', schema: z.coerce.number().int().min(0).optional() },
  CLAVIS_PKCS11_PIN: { description: 'User PIN of the token. A wrong PIN starts the server sealed.', schema: z.string().min(1).optional() },
  CLAVIS_PKCS11_PIN_FILE: { description: 'File holding the user PIN; read again on every unseal attempt.', schema: z.string().min(1).optional() },
  CLAVIS_PKCS11_KEY_LABEL: { description: 'Label prefix of the objects Clavis makes on the token: `<label>-root-v<N>` (AES-256) and `<label>-audit` (Ed25519).', default: 'clavis', schema: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'letters, digits, . _ - (at most 32)') },
  CLAVIS_VAULT_ADDR: { description: 'Vault (or OpenBao) address for CLAVIS_KEY_PROVIDER=vault-transit, e.g. `https://vault.internal:8200`.', schema: z.string().regex(/^https?:\/\//, 'must be an http(s):// URL').optional() },
  CLAVIS_VAULT_TOKEN: { description: 'Vault token allowed to use the transit keys (encrypt, decrypt, sign, rotate, read).', schema: z.string().min(1).optional() },
  CLAVIS_VAULT_TOKEN_FILE: { description: 'File holding the Vault token (an agent sink); read again on every unseal attempt.', schema: z.string().min(1).optional() },
  CLAVIS_VAULT_NAMESPACE: { description: 'Vault Enterprise namespace, if any.', schema: z.string().min(1).optional() },
  CLAVIS_VAULT_TRANSIT_MOUNT: { description: 'Mount path of the transit engine.', default: 'transit', schema: z.string().regex(/^[A-Za-z0-9_.\/-]+$/, 'a mount path') },
  CLAVIS_VAULT_TRANSIT_KEY: { description: 'Transit key (aes256-gcm96) whose versions are the root key versions; created when missing.', default: 'clavis-root', schema: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a key name') },
  CLAVIS_VAULT_SIGNING_KEY: { description: 'Transit key (ed25519) that signs audit checkpoints; created when missing.', default: 'clavis-audit', schema: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a key name') },
  CLAVIS_SECRETS_MAX_VERSIONS: { description: 'Versions kept per secret; writing one more removes the oldest with its data key.', default: '10', schema: z.coerce.number().int().min(1).max(1000) },
  CLAVIS_MFA_ISSUER: { description: 'Issuer of TOTP enrolments: authenticator apps show it beside the account (the otpauth URI label). Name the deployment when there are several, e.g. `Clavis (prod)`.', default: 'Clavis', schema: z.string().trim().min(1).max(64).regex(/^[^:]+$/, 'no colon (it separates issuer and account in the otpauth label)') },
  CLAVIS_MARKET_DATA: { description: 'What the crypto data API (`/v1/prices`, `/v1/signals`, `/v1/indices`, docs/guides/data-api.md) serves: `simulator` (a deterministic simulated market; every number is synthetic), `coingecko` (the CoinGecko API, see CLAVIS_COINGECKO_*), a path to a CSV or CoinGecko-shaped JSON file or a folder of them, or `off`. Loaded once in a worker thread after the server listens (data requests wait for it) and again daily after 00:05 UTC.', default: 'simulator', schema: z.string().min(1) },
  CLAVIS_COINGECKO_API_KEY_SECRET: { description: 'Where the secrets vault holds the CoinGecko API key, as `<environment>/<path>` in the operator workspace (e.g. `live/market/coingecko-api-key`); read once the keyring is unsealed. Preferred over CLAVIS_COINGECKO_API_KEY, which keeps the key in the environment.', schema: z.string().regex(/^(live|test|dev)\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'must be <live|test|dev>/<path>').optional() },
  CLAVIS_COINGECKO_API_KEY: { description: 'CoinGecko API key for CLAVIS_MARKET_DATA=coingecko; sent only in its request header. Unset: the keyless public API (low rate limits).', schema: z.string().min(1).optional() },
  CLAVIS_COINGECKO_PLAN: { description: 'CoinGecko plan of the key: `demo` (api.coingecko.com) or `pro` (pro-api.coingecko.com).', default: 'demo', schema: z.enum(['demo', 'pro']) },
  CLAVIS_PRICE_STREAM_INTERVAL_MS: { description: 'Interval of the simulated intraday ticks of `GET /v1/prices/stream` (Server-Sent Events).', default: '5000', schema: z.coerce.number().int().min(100).max(3_600_000) },
  CLAVIS_DATA_API_ENVIRONMENT: { description: 'Only keys of this environment (`live`, `test`, `dev`) may call the data API; others get ENV_MISMATCH. Unset: keys of every environment.', schema: z.enum(['live', 'test', 'dev']).optional() },
  CLAVIS_BODY_LIMIT_BYTES: { description: 'Largest request body accepted.', default: '65536', schema: z.coerce.number().int().min(1024) },
  CLAVIS_LOG_LEVEL: { description: 'pino log level.', default: 'info', schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) },
  CLAVIS_LEAK_REPORT_PUBLIC_KEYS: {
    description: 'Public keys whose signatures `POST /v1/leaks` accepts (GitHub secret scanning partner reports): comma-separated `id=key` entries, each key a PEM public key (`\\n` escapes allowed) or base64 DER SubjectPublicKeyInfo, ECDSA P-256; the id is the `Github-Public-Key-Identifier`. GitHub publishes its keys at https://api.github.com/meta/public_keys/secret_scanning. Unset: the endpoint answers 404.',
    schema: z
      .string()
      .transform((v, ctx) => {
        try {
          return parseLeakPublicKeys(v);
        } catch (error) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: error instanceof Error ? error.message : 'invalid' });
          return z.NEVER;
        }
      })
      .optional(),
  },
  CLAVIS_LEAK_POLICY: { description: 'What a signed leak report does to a reported key that still works: `revoke`, `suspend`, or `notify` (an audit event `key.leak_reported` only). Per-workspace policies are not there yet.', default: 'revoke', schema: z.enum(LEAK_POLICIES) },
  CLAVIS_GATEWAY_UPSTREAM: {
    description: 'http:// or https:// URL of the API the gateway protects (a path is prefixed to every request). With CLAVIS_GATEWAY_ROUTES_FILE, `npm start` also runs the gateway beside the admin API; `clavis gateway --upstream` overrides it. See docs/guides/gateway.md.',
    schema: z
      .string()
      .refine((v) => {
        try {
          const u = new URL(v);
          return (u.protocol === 'http:' || u.protocol === 'https:') && u.search === '' && u.hash === '' && u.username === '' && u.password === '';
        } catch {
          return false;
        }
      }, 'must be an http:// or https:// URL without query, fragment or credentials')
      .optional(),
  },
  CLAVIS_GATEWAY_ROUTES_FILE: { description: 'JSON route file of the gateway: which method and path patterns it forwards and the scope each needs; a request matching no route is refused (docs/guides/gateway.md).', schema: z.string().min(1).optional() },
  CLAVIS_GATEWAY_PORT: { description: 'TCP port of the gateway (0 picks a free one). It listens on CLAVIS_HOST, with TLS when CLAVIS_TLS_CERT_FILE is set.', default: '8421', schema: z.coerce.number().int().min(0).max(65535) },
  CLAVIS_GATEWAY_TRUST_PROXY: {
    description: 'Comma-separated addresses or CIDR ranges of proxies in front of the gateway whose X-Forwarded-For it believes when checking a key\'s IP allowlist. Unset: the client address is the socket peer and X-Forwarded-For is ignored.',
    schema: z
      .string()
      .transform((v, ctx) => {
        const entries = v.split(',').map((e) => e.trim()).filter((e) => e !== '');
        const bad = entries.filter((e) => parseCidr(e) === null);
        if (bad.length > 0) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not an IP address or CIDR range: ${bad.join(', ')}` });
          return z.NEVER;
        }
        return entries;
      })
      .optional(),
  },
  CLAVIS_TRUST_PROXY: { description: 'Comma-separated addresses or CIDR ranges of proxies in front of the admin API whose X-Forwarded-For is believed for the client address that usage counting and detection locate when a verify call names no `ip`. Unset: the socket peer, X-Forwarded-For ignored.', schema: cidrList.optional() },
  CLAVIS_GEOIP: { description: 'Locate client addresses with the GeoIP database shipped in `geoip-lite` (country, approximate position) for usage by country and the new-country and impossible-travel detectors. Loading it takes ~0.4 s and ~150 MB; `false` leaves every address unlocated.', default: 'true', schema: bool },
  CLAVIS_USAGE_FLUSH_INTERVAL_SECONDS: { description: 'How often usage counts and last uses are written to the store (one transaction) and detector findings are stored as alerts; shut-down flushes once more. 0 turns the timer off.', default: '10', schema: seconds.max(3600) },
  CLAVIS_PLAYBOOKS_DIR: { description: 'Folder of playbook files (`*.yaml`, `*.yml`, or `*.json` as before; docs/guides/webhooks-and-playbooks.md) the server loads at start; a file that does not validate stops the start. Unset: the playbooks shipped in `playbooks/`.', schema: z.string().min(1).optional() },
  CLAVIS_WEBHOOK_POLL_INTERVAL_SECONDS: { description: 'How often this node sends due webhook deliveries (each leased in the database, so one node sends a given message). 0 turns delivery off on this node.', default: '5', schema: seconds.max(3600) },
  CLAVIS_WEBHOOK_ALLOWED_NETWORKS: { description: 'Comma-separated addresses or CIDR ranges webhook endpoints may reach although they are internal (loopback, RFC 1918, fc00::/7, link-local, …), e.g. `10.20.0.0/16` for an on-premises receiver or `127.0.0.1,::1` for one on this host; plain `http` URLs are accepted only to these. Unset: webhooks go only to public addresses, over https. Checked at creation and on every delivery connection (docs/guides/webhooks-and-playbooks.md).', schema: cidrList.optional() },
  CLAVIS_SCHEDULER_INTERVAL_SECONDS: { description: 'How often this node runs the rotation and expiry scheduler (docs/guides/rotation.md): due vault rotations, `key.rotation_due`, `key.expiring_soon` and `key.quota_low` notices, suspension of idle high-risk keys. One node at a time acts (a lease in the database); the others find it held. 0 turns the scheduler off on this node.', default: '60', schema: seconds.max(86_400) },
  CLAVIS_SCHEDULER_LEASE_SECONDS: { description: 'How long a node holds the scheduler lease after each tick and page (it renews it while it works). If the holder dies, another node takes over this long after its last renewal; keep it well above the clock skew between nodes.', default: '180', schema: seconds.min(10).max(86_400) },
  CLAVIS_EXPIRY_NOTICE_DAYS: { description: 'The scheduler sends `key.expiring_soon` (audit event and webhook) once per key when its expiry is this many days away or less (not for keys that rotate into the vault). 0: never.', default: '7', schema: seconds.max(365) },
  CLAVIS_QUOTA_LOW_PERCENT: { description: 'The scheduler sends `key.quota_low` once per credit period when a key has fewer credits left than this percentage of its quota. 0: never.', default: '10', schema: seconds.max(100) },
  CLAVIS_HIGH_RISK_IDLE_DAYS: { description: 'The scheduler suspends active keys with a high-risk scope (trade, withdraw, admin) that were neither used nor changed for this many days (a key never used counts from its creation or last change, e.g. a resume); audited, with a `key.suspended` webhook. 0: never.', default: '30', schema: seconds.max(3650) },
  CLAVIS_WEBHOOK_MAX_ATTEMPTS: { description: 'Attempts per webhook delivery (backoff 5 s, 30 s, 2 min, 10 min, then 30 min) before it is marked failed in the delivery log.', default: '6', schema: count(1) },
  CLAVIS_USAGE_RETENTION_DAYS: { description: 'Per-minute usage buckets older than this are deleted (checked once a day at a flush); 0 keeps them forever.', default: '90', schema: seconds.max(3650) },
  CLAVIS_REPORT_ROTATION_DAYS: { description: 'Hygiene report: keys older than this many days and not rotated are `rotation-overdue`; a key with its own rotation policy is held to its `everyDays` instead. `--rotation-days` / `rotationDays` override it per report.', default: '90', schema: seconds.min(1).max(3650) },
  CLAVIS_REPORT_UNUSED_DAYS: { description: 'Hygiene report: keys not used for this many days (never used: since creation) are `unused`. `--unused-days` / `unusedDays` override it.', default: '90', schema: seconds.min(1).max(3650) },
  CLAVIS_REPORT_OVER_PRIVILEGE_DAYS: { description: 'Hygiene report: active keys older than this many days holding a scope that no successful verification exercised in the last this-many days are `over-privileged`. Usage buckets kept for less time (CLAVIS_USAGE_RETENTION_DAYS) shorten what the report can see. `--over-privilege-days` / `overPrivilegeDays` override it.', default: '30', schema: seconds.min(1).max(3650) },
  CLAVIS_USAGE_MAX_PENDING_EVENTS: { description: 'Verifications queued for counting between drains at most; beyond it they are dropped and counted in `clavis_usage_dropped_total`.', default: '100000', schema: count(1000) },
  CLAVIS_DETECTORS_DISABLED: { description: `Comma-separated alert types whose detectors are off: ${ALERT_TYPES.join(', ')}.`, schema: z.string().transform((v, ctx) => {
    const types = v.split(',').map((e) => e.trim()).filter((e) => e !== '');
    const bad = types.filter((t) => !(ALERT_TYPES as readonly string[]).includes(t));
    if (bad.length > 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `unknown alert type: ${bad.join(', ')}` });
      return z.NEVER;
    }
    return types as AlertType[];
  }).optional() },
  CLAVIS_DETECT_RATE_SPIKE_FACTOR: { description: 'rate-spike: a minute must reach this multiple of the key\'s baseline (its decaying per-minute peak).', default: '3', schema: z.coerce.number().min(1.1).max(1000) },
  CLAVIS_DETECT_RATE_SPIKE_MIN_REQUESTS: { description: 'rate-spike: and at least this many requests in the minute.', default: '60', schema: count() },
  CLAVIS_DETECT_RATE_SPIKE_WARMUP_MINUTES: { description: 'rate-spike: minutes a key must have been seen (since this process started) before it can spike.', default: '60', schema: count(0) },
  CLAVIS_DETECT_RATE_SPIKE_HALF_LIFE_MINUTES: { description: 'rate-spike: half-life of the decaying per-minute peak that is the baseline.', default: '1440', schema: count() },
  CLAVIS_DETECT_NEW_LOCATION_WARMUP_USES: { description: 'new-country, new-network: successful uses a key needs before a new place alerts.', default: '50', schema: count(0) },
  CLAVIS_DETECT_NEW_LOCATION_WARMUP_HOURS: { description: 'new-country, new-network: and hours since its first use.', default: '24', schema: count(0) },
  CLAVIS_DETECT_NEW_LOCATION_MAX_NETWORKS: { description: 'new-network: a key seen from more networks (/24, /48) than this roams, and new networks stop alerting for it.', default: '8', schema: count() },
  CLAVIS_DETECT_TRAVEL_MAX_SPEED_KMH: { description: 'impossible-travel: speed between consecutive uses of a key above which the travel is impossible.', default: '1000', schema: count() },
  CLAVIS_DETECT_TRAVEL_MIN_DISTANCE_KM: { description: 'impossible-travel: distance (after both GeoIP accuracy radii) below which two places count as one.', default: '500', schema: count(0) },
  CLAVIS_DETECT_FAILED_WINDOW_SECONDS: { description: 'failed-verify-burst: sliding window of refused credentials.', default: '60', schema: count() },
  CLAVIS_DETECT_FAILED_PER_IP: { description: 'failed-verify-burst: refused credentials from one address within the window.', default: '20', schema: count() },
  CLAVIS_DETECT_FAILED_PER_KEY: { description: 'failed-verify-burst: refused uses of one key within the window.', default: '10', schema: count() },
  CLAVIS_DETECT_BAD_SIGNATURE_WINDOW_SECONDS: { description: 'bad-signature-burst: sliding window of SIGNATURE_INVALID and REPLAYED.', default: '60', schema: count() },
  CLAVIS_DETECT_BAD_SIGNATURE_PER_IP: { description: 'bad-signature-burst: bad signatures from one address within the window.', default: '10', schema: count() },
  CLAVIS_DETECT_BAD_SIGNATURE_PER_KEY: { description: 'bad-signature-burst: bad signatures against one key within the window.', default: '5', schema: count() },
  CLAVIS_DETECT_SCOPE_DENIAL_WINDOW_SECONDS: { description: 'scope-denial-burst: sliding window of INSUFFICIENT_SCOPE.', default: '300', schema: count() },
  CLAVIS_DETECT_SCOPE_DENIAL_PER_KEY: { description: 'scope-denial-burst: scope denials of one key within the window.', default: '10', schema: count() },
  CLAVIS_DETECT_DORMANT_DAYS: { description: 'dormant-key-use: a key unused (or never used since creation) this many days alerts on its next use.', default: '30', schema: count() },
  CLAVIS_DETECT_MAX_TRACKED_KEYS: { description: 'Keys each detector keeps state for; the least recently seen is forgotten beyond it (bounded memory).', default: '100000', schema: count(100) },
  CLAVIS_DETECT_MAX_TRACKED_IPS: { description: 'Client addresses the burst detectors keep state for; the least recently seen is forgotten beyond it.', default: '100000', schema: count(100) },
} satisfies Record<string, Setting>;

type Settings = typeof SETTINGS;
type Raw = { [K in keyof Settings]: z.infer<Settings[K]['schema']> };

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  sqliteSynchronous: 'full' | 'normal';
  tls: { certFile: string; keyFile: string } | undefined;
  allowPlainHttp: boolean;
  keyPrefix: string;
  maxTtlSeconds: { live: number; test: number | null; dev: number | null };
  rotationGraceSeconds: number;
  highRisk: { requireIpAllowlist: boolean; requireSigning: boolean };
  signatureWindowMs: number;
  cache: { ttlMs: number; negativeTtlMs: number; maxEntries: number };
  audit: { origin: string; checkpointIntervalSeconds: number; signingKeyFile: string };
  bodyLimitBytes: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  leakReports: { publicKeys: ReadonlyMap<string, KeyObject>; policy: LeakPolicy };
  keyProvider: KeyProviderSettings;
  /** Whether CLAVIS_AUDIT_SIGNING_KEY_FILE was set explicitly (then that PEM file keeps signing). */
  auditSigningKeyFileSet: boolean;
  unsealRetrySeconds: number;
  secretsMaxVersions: number;
  /** Issuer of TOTP enrolments (CLAVIS_MFA_ISSUER). */
  mfaIssuer: string;
  /** What the data API serves (CLAVIS_MARKET_DATA); undefined when `off`. */
  marketData: MarketDataSettings | undefined;
  /** Vault location of the CoinGecko API key in the operator workspace. */
  coingeckoApiKeySecret: { environment: 'live' | 'test' | 'dev'; path: string } | undefined;
  /** Data API edge settings: the environment its keys must have (any when undefined) and the SSE tick interval. */
  dataApi: { environment: Environment | undefined; priceStreamIntervalMs: number };
  /** The gateway (CLAVIS_GATEWAY_*), when an upstream and a route file are set. */
  gateway: { upstream: string; routesFile: string; port: number; trustProxy: string[] } | undefined;
  /** Usage counting and anomaly detection (docs/guides/monitoring.md). */
  monitor: {
    trustProxy: string[];
    geoip: boolean;
    flushIntervalSeconds: number;
    retentionDays: number;
    maxPendingEvents: number;
    disabled: AlertType[];
    thresholds: DetectorThresholds;
  };
  /** Webhook delivery (docs/guides/webhooks-and-playbooks.md). */
  webhooks: { pollIntervalSeconds: number; maxAttempts: number; allowedNetworks: string[] };
  /** The rotation and expiry scheduler (docs/guides/rotation.md); intervalSeconds 0: off on this node. */
  scheduler: { intervalSeconds: number; leaseSeconds: number; expiryNoticeDays: number; quotaLowPercent: number; highRiskIdleDays: number };
  /** Playbook folder; undefined: the shipped playbooks. */
  playbooksDir: string | undefined;
  /** Default periods of the hygiene report, in days (docs/guides/reports.md). */
  reports: { rotationDays: number; unusedDays: number; overPrivilegeDays: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Parses the environment once. Throws a ConfigError listing every bad setting.
 *
 * @example const config = loadConfig(process.env)
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [string, Setting][]) {
    const given = env[name];
    const text = given === undefined || given === '' ? setting.default : given;
    const parsed = setting.schema.safeParse(text);
    if (parsed.success) raw[name] = parsed.data;
    else problems.push(`${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const r = raw as Raw;
  const tlsGiven = [r.CLAVIS_TLS_CERT_FILE, r.CLAVIS_TLS_KEY_FILE].filter((v) => v !== undefined).length;
  if (tlsGiven === 1) problems.push('CLAVIS_TLS_CERT_FILE and CLAVIS_TLS_KEY_FILE go together');
  if (tlsGiven === 0 && !r.CLAVIS_ALLOW_PLAIN_HTTP && !LOOPBACK.test(r.CLAVIS_HOST)) {
    problems.push(`CLAVIS_HOST=${r.CLAVIS_HOST} is not loopback: give CLAVIS_TLS_CERT_FILE and CLAVIS_TLS_KEY_FILE, or set CLAVIS_ALLOW_PLAIN_HTTP=true if a TLS proxy stands in front`);
  }
  if ((r.CLAVIS_GATEWAY_UPSTREAM === undefined) !== (r.CLAVIS_GATEWAY_ROUTES_FILE === undefined)) problems.push('CLAVIS_GATEWAY_UPSTREAM and CLAVIS_GATEWAY_ROUTES_FILE go together');
  if (r.CLAVIS_KEY_PROVIDER === 'pkcs11') {
    if (r.CLAVIS_PKCS11_MODULE === undefined) problems.push('CLAVIS_KEY_PROVIDER=pkcs11 needs CLAVIS_PKCS11_MODULE');
    if (r.CLAVIS_PKCS11_TOKEN_LABEL === undefined && r.CLAVIS_PKCS11_SLOT === undefined) problems.push('CLAVIS_KEY_PROVIDER=pkcs11 needs CLAVIS_PKCS11_TOKEN_LABEL or CLAVIS_PKCS11_SLOT');
    if (r.CLAVIS_PKCS11_PIN === undefined && r.CLAVIS_PKCS11_PIN_FILE === undefined) problems.push('CLAVIS_KEY_PROVIDER=pkcs11 needs CLAVIS_PKCS11_PIN or CLAVIS_PKCS11_PIN_FILE');
  }
  if (r.CLAVIS_KEY_PROVIDER === 'vault-transit') {
    if (r.CLAVIS_VAULT_ADDR === undefined) problems.push('CLAVIS_KEY_PROVIDER=vault-transit needs CLAVIS_VAULT_ADDR');
    if (r.CLAVIS_VAULT_TOKEN === undefined && r.CLAVIS_VAULT_TOKEN_FILE === undefined) problems.push('CLAVIS_KEY_PROVIDER=vault-transit needs CLAVIS_VAULT_TOKEN or CLAVIS_VAULT_TOKEN_FILE');
  }
  const marketData = marketDataSettings(r);
  if (marketData?.kind === 'file' && !existsSync(marketData.path)) problems.push(`CLAVIS_MARKET_DATA: no such file or folder: ${marketData.path} (or use simulator, coingecko, off)`);
  if (problems.length > 0) throw new ConfigError(problems);
  const dataDir = resolve(r.CLAVIS_DATA_DIR);
  const keyProvider = keyProviderSettings(r, dataDir);
  return {
    host: r.CLAVIS_HOST,
    port: r.CLAVIS_PORT,
    dataDir,
    databaseUrl: r.CLAVIS_DATABASE_URL,
    redisUrl: r.CLAVIS_REDIS_URL,
    sqliteSynchronous: r.CLAVIS_SQLITE_SYNCHRONOUS,
    tls: r.CLAVIS_TLS_CERT_FILE !== undefined && r.CLAVIS_TLS_KEY_FILE !== undefined ? { certFile: r.CLAVIS_TLS_CERT_FILE, keyFile: r.CLAVIS_TLS_KEY_FILE } : undefined,
    allowPlainHttp: r.CLAVIS_ALLOW_PLAIN_HTTP,
    keyPrefix: r.CLAVIS_KEY_PREFIX,
    maxTtlSeconds: {
      live: r.CLAVIS_LIVE_MAX_TTL_SECONDS,
      test: r.CLAVIS_TEST_MAX_TTL_SECONDS === 0 ? null : r.CLAVIS_TEST_MAX_TTL_SECONDS,
      dev: r.CLAVIS_DEV_MAX_TTL_SECONDS === 0 ? null : r.CLAVIS_DEV_MAX_TTL_SECONDS,
    },
    rotationGraceSeconds: r.CLAVIS_ROTATION_GRACE_SECONDS,
    highRisk: { requireIpAllowlist: r.CLAVIS_HIGH_RISK_REQUIRE_IP_ALLOWLIST, requireSigning: r.CLAVIS_HIGH_RISK_REQUIRE_SIGNING },
    signatureWindowMs: r.CLAVIS_SIGNATURE_WINDOW_MS,
    cache: { ttlMs: r.CLAVIS_CACHE_TTL_MS, negativeTtlMs: r.CLAVIS_NEGATIVE_CACHE_TTL_MS, maxEntries: r.CLAVIS_CACHE_MAX_ENTRIES },
    audit: {
      origin: r.CLAVIS_AUDIT_ORIGIN,
      checkpointIntervalSeconds: r.CLAVIS_AUDIT_CHECKPOINT_INTERVAL_SECONDS,
      signingKeyFile: resolve(r.CLAVIS_AUDIT_SIGNING_KEY_FILE ?? `${dataDir}/audit-signing-key.pem`),
    },
    bodyLimitBytes: r.CLAVIS_BODY_LIMIT_BYTES,
    logLevel: r.CLAVIS_LOG_LEVEL,
    leakReports: { publicKeys: r.CLAVIS_LEAK_REPORT_PUBLIC_KEYS ?? new Map<string, KeyObject>(), policy: r.CLAVIS_LEAK_POLICY },
    keyProvider,
    auditSigningKeyFileSet: r.CLAVIS_AUDIT_SIGNING_KEY_FILE !== undefined,
    unsealRetrySeconds: r.CLAVIS_UNSEAL_RETRY_SECONDS,
    secretsMaxVersions: r.CLAVIS_SECRETS_MAX_VERSIONS,
    mfaIssuer: r.CLAVIS_MFA_ISSUER,
    marketData,
    coingeckoApiKeySecret: secretLocation(r.CLAVIS_COINGECKO_API_KEY_SECRET),
    dataApi: { environment: r.CLAVIS_DATA_API_ENVIRONMENT, priceStreamIntervalMs: r.CLAVIS_PRICE_STREAM_INTERVAL_MS },
    gateway:
      r.CLAVIS_GATEWAY_UPSTREAM !== undefined && r.CLAVIS_GATEWAY_ROUTES_FILE !== undefined
        ? { upstream: r.CLAVIS_GATEWAY_UPSTREAM, routesFile: resolve(r.CLAVIS_GATEWAY_ROUTES_FILE), port: r.CLAVIS_GATEWAY_PORT, trustProxy: r.CLAVIS_GATEWAY_TRUST_PROXY ?? [] }
        : undefined,
    scheduler: {
      intervalSeconds: r.CLAVIS_SCHEDULER_INTERVAL_SECONDS,
      leaseSeconds: r.CLAVIS_SCHEDULER_LEASE_SECONDS,
      expiryNoticeDays: r.CLAVIS_EXPIRY_NOTICE_DAYS,
      quotaLowPercent: r.CLAVIS_QUOTA_LOW_PERCENT,
      highRiskIdleDays: r.CLAVIS_HIGH_RISK_IDLE_DAYS,
    },
    webhooks: { pollIntervalSeconds: r.CLAVIS_WEBHOOK_POLL_INTERVAL_SECONDS, maxAttempts: r.CLAVIS_WEBHOOK_MAX_ATTEMPTS, allowedNetworks: r.CLAVIS_WEBHOOK_ALLOWED_NETWORKS ?? [] },
    playbooksDir: r.CLAVIS_PLAYBOOKS_DIR,
    reports: { rotationDays: r.CLAVIS_REPORT_ROTATION_DAYS, unusedDays: r.CLAVIS_REPORT_UNUSED_DAYS, overPrivilegeDays: r.CLAVIS_REPORT_OVER_PRIVILEGE_DAYS },
    monitor: {
      trustProxy: r.CLAVIS_TRUST_PROXY ?? [],
      geoip: r.CLAVIS_GEOIP,
      flushIntervalSeconds: r.CLAVIS_USAGE_FLUSH_INTERVAL_SECONDS,
      retentionDays: r.CLAVIS_USAGE_RETENTION_DAYS,
      maxPendingEvents: r.CLAVIS_USAGE_MAX_PENDING_EVENTS,
      disabled: r.CLAVIS_DETECTORS_DISABLED ?? [],
      thresholds: {
        rateSpike: { factor: r.CLAVIS_DETECT_RATE_SPIKE_FACTOR, minRequests: r.CLAVIS_DETECT_RATE_SPIKE_MIN_REQUESTS, warmupMinutes: r.CLAVIS_DETECT_RATE_SPIKE_WARMUP_MINUTES, baselineHalfLifeMinutes: r.CLAVIS_DETECT_RATE_SPIKE_HALF_LIFE_MINUTES },
        newLocation: { warmupUses: r.CLAVIS_DETECT_NEW_LOCATION_WARMUP_USES, warmupHours: r.CLAVIS_DETECT_NEW_LOCATION_WARMUP_HOURS, maxNetworks: r.CLAVIS_DETECT_NEW_LOCATION_MAX_NETWORKS },
        impossibleTravel: { maxSpeedKmh: r.CLAVIS_DETECT_TRAVEL_MAX_SPEED_KMH, minDistanceKm: r.CLAVIS_DETECT_TRAVEL_MIN_DISTANCE_KM },
        failedVerifications: { windowSeconds: r.CLAVIS_DETECT_FAILED_WINDOW_SECONDS, perIp: r.CLAVIS_DETECT_FAILED_PER_IP, perKey: r.CLAVIS_DETECT_FAILED_PER_KEY },
        badSignatures: { windowSeconds: r.CLAVIS_DETECT_BAD_SIGNATURE_WINDOW_SECONDS, perIp: r.CLAVIS_DETECT_BAD_SIGNATURE_PER_IP, perKey: r.CLAVIS_DETECT_BAD_SIGNATURE_PER_KEY },
        scopeDenials: { windowSeconds: r.CLAVIS_DETECT_SCOPE_DENIAL_WINDOW_SECONDS, perKey: r.CLAVIS_DETECT_SCOPE_DENIAL_PER_KEY },
        dormant: { idleDays: r.CLAVIS_DETECT_DORMANT_DAYS },
        maxTrackedKeys: r.CLAVIS_DETECT_MAX_TRACKED_KEYS,
        maxTrackedIps: r.CLAVIS_DETECT_MAX_TRACKED_IPS,
      },
    },
  };
}

/** `<environment>/<path>` (already validated) as a vault location. */
function secretLocation(text: string | undefined): Config['coingeckoApiKeySecret'] {
  if (text === undefined) return undefined;
  const slash = text.indexOf('/');
  return { environment: text.slice(0, slash) as 'live' | 'test' | 'dev', path: text.slice(slash + 1) };
}

/** CLAVIS_MARKET_DATA: a provider name, `off`, or else a file or folder path. */
function marketDataSettings(r: Raw): MarketDataSettings | undefined {
  switch (r.CLAVIS_MARKET_DATA) {
    case 'off':
      return undefined;
    case 'simulator':
      return { kind: 'simulator' };
    case 'coingecko':
      return { kind: 'coingecko', plan: r.CLAVIS_COINGECKO_PLAN, ...(r.CLAVIS_COINGECKO_API_KEY === undefined ? {} : { apiKey: r.CLAVIS_COINGECKO_API_KEY }) };
    default:
      return { kind: 'file', path: resolve(r.CLAVIS_MARKET_DATA) };
  }
}

/** The key provider part of the configuration (only the settings of the chosen provider). */
function keyProviderSettings(r: Raw, dataDir: string): KeyProviderSettings {
  const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));
  if (r.CLAVIS_KEY_PROVIDER === 'pkcs11') {
    return { kind: 'pkcs11', module: r.CLAVIS_PKCS11_MODULE ?? '', keyLabel: r.CLAVIS_PKCS11_KEY_LABEL, ...optional('tokenLabel', r.CLAVIS_PKCS11_TOKEN_LABEL), ...optional('slot', r.CLAVIS_PKCS11_SLOT), ...optional('pin', r.CLAVIS_PKCS11_PIN), ...optional('pinFile', r.CLAVIS_PKCS11_PIN_FILE) };
  }
  if (r.CLAVIS_KEY_PROVIDER === 'vault-transit') {
    return { kind: 'vault-transit', address: r.CLAVIS_VAULT_ADDR ?? '', mount: r.CLAVIS_VAULT_TRANSIT_MOUNT, keyName: r.CLAVIS_VAULT_TRANSIT_KEY, signingKeyName: r.CLAVIS_VAULT_SIGNING_KEY, ...optional('token', r.CLAVIS_VAULT_TOKEN), ...optional('tokenFile', r.CLAVIS_VAULT_TOKEN_FILE), ...optional('namespace', r.CLAVIS_VAULT_NAMESPACE) };
  }
  return { kind: 'local', rootKeyFile: resolve(r.CLAVIS_ROOT_KEY_FILE ?? `${dataDir}/root-key`), kdfLogN: r.CLAVIS_KEYRING_KDF_COST, ...optional('passphrase', r.CLAVIS_MASTER_PASSPHRASE), ...optional('passphraseFile', r.CLAVIS_MASTER_PASSPHRASE_FILE) };
}

/** The Markdown reference of every setting, generated from SETTINGS. */
export function configReference(): string {
  const rows = (Object.entries(SETTINGS) as [string, Setting][]).map(
    ([name, s]) => `| \`${name}\` | ${s.default === undefined ? '(unset)' : `\`${s.default}\``} | ${s.description} |`,
  );
  return [
    '# Configuration reference',
    '',
    'Generated from `src/config.ts` by `npm run docs:generate`; a test fails when this file and the schema disagree.',
    'Every setting is an environment variable, read once at start. A bad value stops the server with a message naming each bad setting.',
    '',
    '| setting | default | meaning |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
