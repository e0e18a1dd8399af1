import { fetch as undiciFetch, type Agent } from 'undici';
import type { Clock } from '../core/clock.ts';
import type { Store, WebhookAttemptResult, WebhookDeliveryRecord } from '../core/ports/store.ts';
import { signWebhook } from './standard-webhooks.ts';
import { WebhookEgress } from './webhook-egress.ts';
import type { WebhookSecretBox } from './webhook-secret-box.ts';

/** Waits after the 1st, 2nd, … failed attempt; the last one repeats. */
export const DEFAULT_WEBHOOK_BACKOFF_MS: readonly number[] = [5_000, 30_000, 120_000, 600_000, 1_800_000];

export interface WebhookDispatcherDeps {
  store: Pick<Store, 'webhooks'>;
  box: WebhookSecretBox;
  clock: Clock;
  /** Names this process's leases; unique per node. */
  nodeId: string;
  /** Attempts per delivery before it is marked failed. Default 6. */
  maxAttempts?: number;
  backoffMs?: readonly number[];
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  /** Deliveries leased per run. Default 20. */
  batch?: number;
  /** Where deliveries may connect; default: no internal address, https only (no allowed networks). */
  egress?: WebhookEgress;
}

/** The first 200 characters of an error, for the delivery log (never a header or body). */
function describe(err: unknown): string {
  const message = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
  return message.slice(0, 200);
}

/**
 * Sends due webhook deliveries: leases them in the store (so on several nodes one node sends a
 * given message), signs each in the Standard Webhooks format, POSTs it, and records the outcome —
 * delivered on a 2xx, else retried with backoff until `maxAttempts`, then failed. Redirects are
 * not followed. Every connection goes through the egress filter (resolve, check, connect to the
 * checked address), so a receiver name rebound to an internal address is refused at delivery
 * even though it passed at creation. The server runs it on a timer
 * (CLAVIS_WEBHOOK_POLL_INTERVAL_SECONDS).
 *
 * @example await dispatcher.runOnce() // { attempted: 2, delivered: 1 }
 */
export class WebhookDispatcher {
  readonly #d: WebhookDispatcherDeps;
  readonly #maxAttempts: number;
  readonly #backoff: readonly number[];
  readonly #timeoutMs: number;
  readonly #agent: Agent;
  #running: Promise<{ attempted: number; delivered: number }> | null = null;

  constructor(deps: WebhookDispatcherDeps) {
    this.#d = deps;
    this.#maxAttempts = deps.maxAttempts ?? 6;
    this.#backoff = deps.backoffMs ?? DEFAULT_WEBHOOK_BACKOFF_MS;
    this.#timeoutMs = deps.timeoutMs ?? 10_000;
    this.#agent = (deps.egress ?? new WebhookEgress()).dispatcher(this.#timeoutMs);
    if (this.#maxAttempts < 1 || this.#backoff.length === 0) throw new RangeError('a webhook dispatcher needs at least one attempt and one backoff step');
  }

  /** One pass over the due deliveries; a pass already running is joined, not doubled. */
  runOnce(): Promise<{ attempted: number; delivered: number }> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #pass(): Promise<{ attempted: number; delivered: number }> {
    const now = this.#d.clock.now();
    // The lease outlives one request's timeout with room to record the outcome.
    const leaseUntil = now + this.#timeoutMs * 2 + 5_000;
    const due = await this.#d.store.webhooks.claimDue(now, this.#d.nodeId, leaseUntil, this.#d.batch ?? 20);
    const results = await Promise.all(due.map((d) => this.#attempt(d)));
    return { attempted: due.length, delivered: results.filter(Boolean).length };
  }

  async #attempt(d: WebhookDeliveryRecord): Promise<boolean> {
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const endpoint = await this.#d.store.webhooks.findEndpoint(d.workspaceId, d.endpointId);
      if (endpoint === null) throw new Error('the endpoint was deleted');
      const secret = await this.#d.box.open(endpoint);
      const headers = signWebhook(secret, d.id, this.#d.clock.now() / 1000, d.payload);
      const res = await undiciFetch(endpoint.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Clavis-Webhooks/1', ...headers },
        body: d.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
        dispatcher: this.#agent,
      });
      statusCode = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (err) {
      error = describe(err);
    }
    const attempts = d.attempts + 1;
    const now = this.#d.clock.now();
    const ok = error === null;
    const giveUp = !ok && attempts >= this.#maxAttempts;
    const wait = this.#backoff[Math.min(attempts - 1, this.#backoff.length - 1)] ?? 0;
    const result: WebhookAttemptResult = { status: ok ? 'delivered' : giveUp ? 'failed' : 'pending', attempts, nextAttemptAt: ok || giveUp ? now : now + wait, lastStatusCode: statusCode, lastError: error, updatedAt: now };
    await this.#d.store.webhooks.finishAttempt(d.id, this.#d.nodeId, result);
    return ok;
  }
}
