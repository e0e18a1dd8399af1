/**
 * Baseline server of bench/http-verify.bench.ts: a bare Fastify app (no logger, no plugins, no
 * schema) whose `POST /v1/keys/verify` answers a constant JSON object of the same shape and about
 * the same size as Clavis's answer for a valid key without rate limits or credits (the benchmark
 * reports any field that one answer has and the other lacks). It parses the JSON body like any Fastify
 * route, and does nothing else.
 *
 * Run: `node --import tsx bench/servers/bare-fastify.ts`. Listens on 127.0.0.1, a free port, and
 * prints `{"port":…}` as one JSON line on stdout once it accepts connections. SIGTERM or SIGINT
 * closes it.
 */
import fastify from 'fastify';

const ANSWER = {
  valid: true,
  code: 'VALID',
  keyId: 'key_0Tq7bA2xLm9Rz4Kp1Wc8Ye',
  environment: 'test',
  scopes: ['prices:read'],
  expiresAt: '2027-01-01T00:00:00.000Z',
  ownerId: null,
  metadata: {},
  // A key without rate limits or credits answers these as null.
  rateLimit: null,
  credits: null,
} as const;

const app = fastify({ logger: false });
app.post('/v1/keys/verify', async () => ANSWER);
await app.listen({ host: '127.0.0.1', port: 0 });

const address = app.server.address();
if (typeof address !== 'object' || address === null) throw new Error('bare-fastify: no TCP address');
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);

let closing = false;
const stop = (): void => {
  if (closing) return;
  closing = true;
  app
    .close()
    .then(() => process.exit(0))
    .catch((err: unknown) => {
      process.stderr.write(`bare-fastify: close failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
