/**
 * The incident scenario of issue #6, against a running Clavis server, step by step:
 *
 *   1. a local webhook receiver (node:http) and a webhook endpoint for it;
 *   2. a key that requires Ed25519-signed requests, used normally from one country;
 *   3. the same key hammered from three other countries with requests signed by the wrong key;
 *   4. the alerts the detectors raise, the key-compromise playbook suspending and rotating the key,
 *      the Standard-Webhooks-signed messages the receiver got, and the audit trail of it all.
 *
 * Run it (the server must allow webhooks to the receiver's address, 127.0.0.1 by default, and
 * should flush often so that it does not take a minute):
 *
 *   CLAVIS_WEBHOOK_ALLOWED_NETWORKS=127.0.0.1 CLAVIS_USAGE_FLUSH_INTERVAL_SECONDS=1 \
 *     CLAVIS_WEBHOOK_POLL_INTERVAL_SECONDS=1 npm start
 *   node --import tsx scripts/incident-demo.ts [--url http://127.0.0.1:8420] [--token-file .clavis/admin-token]
 *
 * The token needs the owner or admin role (keys, webhooks, alerts, audit). `runIncident` is also
 * what test/e2e/incident-scenario.test.ts drives against a server it starts.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { AuditEvent } from '@clavis/sdk';
import { canonicalRequest } from '@clavis/sdk/signing';
import { Webhook } from 'standardwebhooks';

/** Addresses GeoIP (geoip-lite) places in Germany (the key's home), Japan, Brazil and Australia. */
export const HOME = { ip: '85.214.132.117', country: 'DE' } as const;
export const ATTACKERS = [
  { ip: '133.242.0.3', country: 'JP' },
  { ip: '200.147.67.142', country: 'BR' },
  { ip: '203.2.218.214', country: 'AU' },
] as const;

/** The events the demo's endpoint subscribes to. */
export const SUBSCRIBED = ['alert.raised', 'key.created', 'key.suspended', 'key.rotated', 'playbook.notify', 'playbook.completed', 'playbook.failed'] as const;

export interface IncidentOptions {
  url: string;
  token: string;
  /** One line per step; default silent. */
  log?: (line: string) => void;
  /** Successful signed uses from HOME before the attack. Default 20. */
  normalUses?: number;
  /** Wrongly signed requests, round-robin from ATTACKERS. Default 9. */
  badRequests?: number;
  /** Bound on each wait for the server's timers (usage flush, webhook delivery). Default 60 s. */
  waitMs?: number;
  /** Address the receiver listens on; the server must be able to reach it. Default 127.0.0.1. */
  receiverHost?: string;
}

export interface Alert {
  id: string;
  type: string;
  severity: string;
  keyId: string | null;
  dedupeKey: string;
  summary: string;
  occurrences: number;
  evidence: Record<string, unknown>;
}

export interface Key {
  id: string;
  name: string;
  start: string;
  status: string;
  replacesId: string | null;
  replacedById: string | null;
}

/** An audit event as GET /v1/audit/events lists it (the SDK's type). */
export type AuditEntry = AuditEvent;

export interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  /** The payload once its signature verified with the endpoint's secret; null when it did not. */
  verified: { type: string; timestamp: string; data: Record<string, unknown> } | null;
}

export interface IncidentReport {
  workspaceId: string;
  webhook: { id: string; url: string; secret: string };
  /** The key and its one-time secret (so a test can check no message carries it). */
  key: Key & { secret: string };
  /** Verify codes of the normal uses and of the attack, in order. */
  normalCodes: string[];
  attackCodes: string[];
  /** Alerts on the key after the normal uses were counted: none is expected. */
  quietAlerts: Alert[];
  /** Alerts on the key once the playbook has acted. */
  alerts: Alert[];
  keyAfter: Key;
  /** The key that replaced it, when the playbook rotated it. */
  successor: Key | null;
  deliveries: Delivery[];
  audit: AuditEntry[];
}

/** A playbook as `GET /v1/playbooks` lists it (the part that says what fires it). */
interface PlaybookView {
  name: string;
  trigger: { type: 'manual' | 'alert'; alertTypes?: string[]; minSeverity?: string };
}

const SEVERITY_RANK: Record<string, number> = { low: 1, medium: 2, high: 3, critical: 4 };

/** Whether an alert on the key fires the playbook (the server's rule, src/playbooks/playbook.ts). */
function triggers(p: PlaybookView, a: Alert): boolean {
  return p.trigger.type === 'alert' && (p.trigger.alertTypes ?? []).includes(a.type) && (SEVERITY_RANK[a.severity] ?? 0) >= (SEVERITY_RANK[p.trigger.minSeverity ?? 'critical'] ?? 4);
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** One JSON call to the admin API; throws ApiError on anything but a 2xx. */
async function api<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, base), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) {
    let code = 'HTTP_ERROR';
    let detail = text;
    try {
      const problem = JSON.parse(text) as { code?: string; detail?: string };
      code = problem.code ?? code;
      detail = problem.detail ?? detail;
    } catch {
      // not a problem+json answer; the text says what happened
    }
    throw new ApiError(res.status, code, `${method} ${path}: ${res.status} ${code}: ${detail}`);
  }
  return JSON.parse(text) as T;
}

/** Every item of a cursor-paginated list. */
async function listAll<T>(base: string, token: string, path: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: { data: T[]; nextCursor: string | null } = await api(base, token, 'GET', cursor === null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`);
    out.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/** Polls until `probe` answers something, or fails naming what it waited for. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A receiver that records every request and answers 204. */
async function startReceiver(host: string): Promise<{ url: string; received: { headers: IncomingHttpHeaders; body: string }[]; close(): Promise<void> }> {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/clavis-hooks`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The `signature` member of a verify call for a GET of /v1/prices signed with `privateKey`. */
function signedGet(privateKey: KeyObject): { method: string; url: string; timestamp: number; nonce: string; signature: string; bodySha256: string } {
  const request = { method: 'GET', url: '/v1/prices?ids=bitcoin', timestamp: Date.now(), nonce: randomBytes(16).toString('hex'), bodySha256: createHash('sha256').update('').digest('hex') };
  return { ...request, signature: sign(null, Buffer.from(canonicalRequest(request), 'utf8'), privateKey).toString('base64') };
}

function verifyDelivery(secret: string, r: { headers: IncomingHttpHeaders; body: string }): Delivery {
  const header = (name: string): string => String(r.headers[name] ?? '');
  try {
    const verified = new Webhook(secret).verify(r.body, { 'webhook-id': header('webhook-id'), 'webhook-timestamp': header('webhook-timestamp'), 'webhook-signature': header('webhook-signature') }) as Delivery['verified'];
    return { ...r, verified };
  } catch {
    return { ...r, verified: null };
  }
}

/**
 * Runs the scenario against `url` with an owner or admin token and returns what it saw. Throws
 * when a step does not happen within `waitMs` (the message names the step).
 *
 * @example const report = await runIncident({ url: 'http://127.0.0.1:8420', token, log: console.log })
 */
export async function runIncident(opts: IncidentOptions): Promise<IncidentReport> {
  const log = opts.log ?? (() => undefined);
  const waitMs = opts.waitMs ?? 60_000;
  const call = <T>(method: string, path: string, body?: unknown): Promise<T> => api<T>(opts.url, opts.token, method, path, body);

  const { workspace } = await call<{ workspace: { id: string; name: string } }>('GET', '/v1/workspace');
  log(`workspace ${workspace.id} (${workspace.name}) at ${opts.url}`);

  const receiver = await startReceiver(opts.receiverHost ?? '127.0.0.1');
  try {
    log(`webhook receiver listening on ${receiver.url}`);
    let webhook: { id: string; url: string; secret: string };
    try {
      webhook = await call('POST', '/v1/webhooks', { url: receiver.url, events: SUBSCRIBED });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'WEBHOOK_URL_FORBIDDEN') throw new Error(`${err.message}\n  the server refuses webhooks to the receiver: start it with CLAVIS_WEBHOOK_ALLOWED_NETWORKS=${opts.receiverHost ?? '127.0.0.1'}`);
      throw err;
    }
    log(`webhook ${webhook.id} → ${webhook.url} for ${SUBSCRIBED.join(', ')} (secret shown once, kept in memory)`);

    const consumer = generateKeyPairSync('ed25519');
    const publicKey = consumer.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
    const created = await call<Key & { key: string }>('POST', '/v1/keys', { name: `incident demo ${new Date().toISOString()}`, environment: 'test', scopes: ['prices:read'], signing: { scheme: 'ed25519', publicKey } });
    const key = { ...created, secret: created.key };
    log(`key ${key.id} (${key.start}…) requires Ed25519-signed requests`);

    const verify = (ip: string, privateKey: KeyObject): Promise<{ code: string }> => call('POST', '/v1/keys/verify', { key: key.secret, scope: 'prices:read', ip, signature: signedGet(privateKey) });
    const normalCodes: string[] = [];
    for (let i = 0; i < (opts.normalUses ?? 20); i += 1) normalCodes.push((await verify(HOME.ip, consumer.privateKey)).code);
    log(`normal use: ${normalCodes.length} signed verifications from ${HOME.ip} (${HOME.country}): ${summarise(normalCodes)}`);

    // The counts reach the store at the next usage flush; after it, the quiet traffic has been
    // through every detector.
    await until('the normal uses to be counted', waitMs, async () => {
      const usage = await call<{ total: number }>('GET', `/v1/keys/${key.id}/usage`);
      return usage.total >= normalCodes.length ? usage : undefined;
    });
    const quietAlerts = await listAll<Alert>(opts.url, opts.token, `/v1/alerts?keyId=${key.id}`);
    log(`after normal use: ${quietAlerts.length} alert(s)`);

    // The attacker holds the key but not the consumer's signing key.
    const attacker = generateKeyPairSync('ed25519');
    const attackCodes: string[] = [];
    for (let i = 0; i < (opts.badRequests ?? 9); i += 1) {
      const from = ATTACKERS[i % ATTACKERS.length] ?? ATTACKERS[0];
      attackCodes.push((await verify(from.ip, attacker.privateKey)).code);
    }
    log(`attack: ${attackCodes.length} requests signed with another key from ${ATTACKERS.map((a) => `${a.ip} (${a.country})`).join(', ')}: ${summarise(attackCodes)}`);

    // A flush runs the detectors (raising alerts, which fire playbooks) before it stores the
    // counts: once every request is counted, every alert of the incident exists.
    const total = normalCodes.length + attackCodes.length;
    await until('the attack to be counted and through the detectors', waitMs, async () => {
      const usage = await call<{ total: number }>('GET', `/v1/keys/${key.id}/usage`);
      return usage.total >= total ? usage : undefined;
    });
    const alerts = await listAll<Alert>(opts.url, opts.token, `/v1/alerts?keyId=${key.id}`);
    log(`${alerts.length} alert(s) on the key:`);
    for (const a of alerts) log(`  ${a.severity.padEnd(8)} ${a.type}: ${a.summary}`);

    // Each alert a loaded playbook triggers on fires one run; wait until all of them ended.
    const { data: playbooks } = await call<{ data: PlaybookView[] }>('GET', '/v1/playbooks');
    const firing = alerts.filter((a) => playbooks.some((p) => triggers(p, a)));
    if (firing.length === 0) throw new Error('no alert on the key triggers a loaded playbook: is key-compromise loaded (CLAVIS_PLAYBOOKS_DIR)?');
    const ended = (events: AuditEntry[]): number => events.filter((e) => (e.action === 'playbook.completed' || e.action === 'playbook.failed') && firing.some((a) => a.id === e.data.alertId)).length;
    const audit = await until(`the ${firing.length} playbook run(s) fired by ${firing.map((a) => a.type).join(', ')} to end`, waitMs, async () => {
      const events = await listAll<AuditEntry>(opts.url, opts.token, '/v1/audit/events?limit=1000');
      return ended(events) >= firing.length ? events : undefined;
    });
    const runs = audit.filter((e) => e.action === 'playbook.completed' || e.action === 'playbook.failed');
    log(`playbook runs: ${summarise(runs.filter((e) => firing.some((a) => a.id === e.data.alertId)).map((e) => `${e.action.slice('playbook.'.length)}`))}`);

    const keyAfter = await call<Key>('GET', `/v1/keys/${key.id}`);
    const successor = keyAfter.replacedById === null ? null : await call<Key>('GET', `/v1/keys/${keyAfter.replacedById}`);
    log(`key ${keyAfter.id} is ${keyAfter.status}; ${successor === null ? 'no successor' : `successor ${successor.id} (${successor.status})`}`);
    // Every audited change of a subscribed type since the endpoint was created queued one message.
    const firstSeq = audit.find((e) => e.action === 'webhook.created' && e.target?.id === webhook.id)?.seq ?? 0;
    const queued = audit.filter((e) => e.seq > firstSeq && (SUBSCRIBED as readonly string[]).includes(e.action)).length;
    const deliveries = await until(`the ${queued} webhook message(s) the incident queued`, waitMs, async () => (receiver.received.length >= queued ? receiver.received.map((r) => verifyDelivery(webhook.secret, r)) : undefined));
    const valid = deliveries.filter((d) => d.verified !== null).length;
    log(`receiver: ${deliveries.length} message(s), ${valid} with a valid Standard Webhooks signature: ${summarise(deliveries.map((d) => d.verified?.type ?? 'UNVERIFIED'))}`);
    // What this run did, from the endpoint's creation on (other traffic on the server may interleave).
    const trail = audit.filter((e) => e.seq >= firstSeq);
    const steps = trail.filter((e) => e.action === 'playbook.step');
    log(`audit log: ${audit.length} event(s); since the endpoint was created (${steps.length} playbook.step events not listed):`);
    for (const e of trail) {
      if (e.action === 'playbook.step') continue;
      const what = e.action === 'alert.raised' ? ` (${String(e.data.type)})` : e.action === 'playbook.started' ? ` (${String(e.data.playbook)})` : '';
      log(`  #${e.seq} ${e.action}${what} by ${e.actor.type}/${e.actor.id}${e.target === null ? '' : ` on ${e.target.id}`}`);
    }
    return { workspaceId: workspace.id, webhook, key, normalCodes, attackCodes, quietAlerts, alerts, keyAfter, successor, deliveries, audit };
  } finally {
    await receiver.close();
  }
}

/** `VALID×20` style counts, in first-seen order. */
function summarise(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${v}×${n}`).join(', ');
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const url = argument('--url') ?? process.env.CLAVIS_URL ?? 'http://127.0.0.1:8420';
  const tokenFile = argument('--token-file') ?? '.clavis/admin-token';
  const token = process.env.CLAVIS_TOKEN ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  if (token === undefined || token === '') throw new Error(`no admin token: set CLAVIS_TOKEN or give --token-file (${tokenFile} does not exist)`);
  let step = 0;
  const report = await runIncident({ url, token, log: (line) => process.stdout.write(line.startsWith('  ') ? `${line}\n` : `[${(step += 1)}] ${line}\n`), ...(argument('--receiver-host') !== undefined ? { receiverHost: argument('--receiver-host') } : {}) });
  process.stdout.write(`\ndone: ${report.alerts.length} alert(s), key ${report.keyAfter.id} ${report.keyAfter.status}, successor ${report.successor?.id ?? 'none'}; check offline with\n  clavis audit export --out incident.jsonl && clavis audit verify incident.jsonl\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`incident demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
