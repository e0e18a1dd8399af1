import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_CODES, docsAnchor, type ErrorCode } from '../core/errors/registry.ts';

/**
 * Answers a request that never reached Fastify (a websocket upgrade) with the same RFC 9457
 * problem+json body `sendProblem` sends, written straight to the socket, which is then closed.
 *
 * @example writeRawProblem(socket, { code: 'INSUFFICIENT_SCOPE', detail: 'this route needs prices:read', url: req.url, requestId })
 */
export function writeRawProblem(
  socket: Duplex,
  p: { code: ErrorCode; detail: string; url: string; requestId: string; headers?: Record<string, string> },
): void {
  const def = ERROR_CODES[p.code];
  const body = JSON.stringify({
    type: `/docs/${docsAnchor(p.code)}`,
    title: def.title,
    status: def.status,
    detail: p.detail,
    instance: p.url.split('?')[0] ?? p.url,
    code: p.code,
    requestId: p.requestId,
  });
  const headers: Record<string, string> = {
    'Content-Type': 'application/problem+json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Request-Id': p.requestId,
    Connection: 'close',
    ...p.headers,
  };
  const head = [`HTTP/1.1 ${def.status} ${STATUS_CODES[def.status] ?? ''}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  if (socket.writable) socket.end(`${head}\r\n\r\n${body}`);
  else socket.destroy();
}
