import type { OutgoingHttpHeaders } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../../app-types.ts';
import { simulatedTicks } from '../../../../market/simulated-ticks.ts';
import { consumerKey } from '../../../consumer-auth.ts';
import { CONSUMER_SECURITY, dataErrors } from './data-schemas.ts';
import { dataOf, idList } from './data-views.ts';

/** A comment line at least this often keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/** What EventSource clients wait before reconnecting. */
const RETRY_MS = 5_000;

const DESCRIPTION = [
  'Server-Sent Events (`text/event-stream`). At once, `event: prices` with the latest daily closes (as `GET /v1/prices`); then every',
  'CLAVIS_PRICE_STREAM_INTERVAL_MS (default 5 s) `event: tick` with **simulated** intraday prices: a deterministic drift of at most',
  '±0.5% around the last close (sine waves of the time since the close, a phase per asset), flagged `simulated: true`, since the',
  'providers have daily closes only. A `: heartbeat` comment every 15 s. The key is verified again every 60 s: once it is revoked,',
  'suspended or expired the stream sends `event: end` with the code and closes; it also ends (`reason: shutdown`) when the server stops.',
].join(' ');

/**
 * `GET /v1/prices/stream`. Streams are tracked per app so that a shutdown ends them (an open
 * stream would otherwise hold `close()` until the force-exit timer).
 */
export const pricesStream: RouteModule = (app, s) => {
  const open = new Set<(reason: string) => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end('shutdown');
  });

  app.get('/v1/prices/stream', {
    config: { permission: null, consumerScope: 'prices:read' },
    schema: {
      operationId: 'streamPrices',
      tags: ['data: prices'],
      summary: 'Live prices as Server-Sent Events (the latest closes, then simulated intraday ticks)',
      description: DESCRIPTION,
      security: CONSUMER_SECURITY,
      querystring: Type.Object({ ids: Type.Optional(Type.String({ maxLength: 2000, pattern: '^[a-z0-9._,-]+$', description: 'Comma-separated asset ids (default: every asset)' })) }, { additionalProperties: false }),
      response: dataErrors(),
    },
    handler: async (req, reply) => {
      const data = dataOf(s);
      const ids = idList(req.query.ids);
      // Loaded (or failed) before the stream opens, so a failure is still a problem+json answer.
      const [asOf, first] = await Promise.all([data.market.asOf(), data.market.latestPrices(ids)]);
      const credential = consumerKey(req.headers) ?? '';
      const signed = req.headers['x-clavis-signature'] !== undefined;
      const ip = s.clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for']);

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...(reply.getHeaders() as OutgoingHttpHeaders),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        'x-request-id': req.id,
      });
      let seq = 0;
      let closed = false;
      const timers: NodeJS.Timeout[] = [];
      const send = (event: string, payload: unknown): void => {
        if (!closed) res.write(`event: ${event}\nid: ${++seq}\ndata: ${JSON.stringify(payload)}\n\n`);
      };
      const stop = (): void => {
        closed = true;
        for (const t of timers) clearInterval(t);
        open.delete(end);
      };
      function end(reason: string): void {
        if (closed) return;
        send('end', { reason });
        stop();
        res.end();
      }
      open.add(end);
      res.on('close', stop);
      res.on('error', stop);

      const every = (ms: number, fn: () => void): void => {
        const t = setInterval(fn, ms);
        t.unref();
        timers.push(t);
      };
      const tick = async (): Promise<void> => {
        try {
          const now = s.clock.now();
          send('tick', { time: new Date(now).toISOString(), simulated: true, data: simulatedTicks(await data.market.latestPrices(ids), now) });
        } catch {
          end('MARKET_DATA_UNAVAILABLE');
        }
      };
      // The opening request was verified in full (signature, limits); later checks ask whether the
      // key still stands, at no cost: a key that requires signatures answers SIGNATURE_REQUIRED
      // once every earlier stage (status, expiry, environment, address, scope) has passed.
      const reverify = async (): Promise<void> => {
        try {
          const r = await s.verifier.verify({ key: credential, workspaceId: undefined, environment: s.dataApi.environment, scope: 'prices:read', ip, cost: 0 });
          if (!r.valid && !(signed && r.code === 'SIGNATURE_REQUIRED')) end(r.code);
        } catch {
          end('STORE_UNAVAILABLE');
        }
      };

      res.write(`retry: ${RETRY_MS}\n\n`);
      send('prices', { asOf, source: data.source, simulated: false, data: first });
      every(s.dataApi.priceStreamIntervalMs, () => void tick());
      every(HEARTBEAT_MS, () => {
        if (!closed) res.write(': heartbeat\n\n');
      });
      every(s.dataApi.streamReverifyMs, () => void reverify());
    },
  });
};
