import pg from 'pg';
import type { PoolConfig } from 'pg';
import type { CacheChange, ChangeListener, ChangeWatch } from '../../core/ports/store.ts';

const PAYLOAD = /^(key|token):([0-9a-f]{64})$/;

/** The NOTIFY channel; per schema, so stores in different schemas of one database stay apart. */
export function changeChannel(schema: string | undefined): string {
  return schema === undefined ? 'clavis_changes' : `clavis_changes_${schema}`;
}

export function encodeChange(change: CacheChange): string {
  return `${change.kind}:${change.hash}`;
}

/**
 * LISTENs on a dedicated connection (not a pooled one: a pooled client may be handed to someone
 * else). When the connection drops it reports a gap at once — the caller stops trusting its
 * caches — and reconnects with backoff; after LISTEN succeeds again it reports resume.
 *
 * @example const watch = await watchPostgresChanges(config, 'clavis_changes', { onChange, onGap, onResume })
 */
export async function watchPostgresChanges(config: PoolConfig, channel: string, listener: ChangeListener): Promise<ChangeWatch> {
  let closed = false;
  let client: pg.Client | null = null;
  let retryTimer: NodeJS.Timeout | undefined;
  let delayMs = 100;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ ...config, application_name: 'clavis-listen' });
    let lost = false;
    const onLost = (): void => {
      if (lost) return;
      lost = true;
      c.removeAllListeners('notification');
      c.end().catch(() => undefined);
      if (closed) return;
      client = null;
      listener.onGap();
      schedule();
    };
    c.on('error', onLost);
    c.on('end', onLost);
    c.on('notification', (msg) => {
      const m = PAYLOAD.exec(msg.payload ?? '');
      if (m?.[1] !== undefined && m[2] !== undefined) listener.onChange({ kind: m[1] as CacheChange['kind'], hash: m[2] });
    });
    try {
      await c.connect();
      await c.query(`LISTEN "${channel}"`);
    } catch (err) {
      onLost();
      throw err;
    }
    client = c;
    delayMs = 100;
  };

  const schedule = (): void => {
    if (closed || retryTimer !== undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect().then(
        () => listener.onResume(),
        () => {
          delayMs = Math.min(delayMs * 2, 5_000);
        },
      );
    }, delayMs);
    retryTimer.unref();
  };

  await connect();
  return {
    close: async () => {
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      const c = client;
      client = null;
      if (c !== null) await c.end().catch(() => undefined);
    },
  };
}
