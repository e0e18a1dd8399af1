import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, docsAnchor, type ErrorCode } from '../../core/errors/registry.ts';
import { sendProblem } from './error-handler.ts';

// Refusals that happen before a request exists for Fastify: the HTTP parser gives up (headers
// too large, not HTTP, a body shorter than its Content-Length) or the router cannot read the URL.
// Fastify's defaults answer those with a JSON of their own; here they are problem+json with a
// registry code like every other refusal, so a client (and the edge-input test) sees one format.

/** The code of a connection-level parser error: the socket never became a request. */
function clientErrorCode(err: { code?: string }): ErrorCode {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'HEADERS_TOO_LARGE';
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'REQUEST_TIMEOUT';
  return 'MALFORMED_REQUEST';
}

const CLIENT_DETAIL: Partial<Record<ErrorCode, string>> = {
  HEADERS_TOO_LARGE: 'the request line and headers together exceed the 16 KiB the server reads; send fewer or shorter headers',
  REQUEST_TIMEOUT: 'the request was not received completely in time',
  MALFORMED_REQUEST: 'the request is not valid HTTP/1.1 (request line, header syntax, or a body that does not match its framing)',
};

/**
 * Fastify's `clientErrorHandler`: answers a request the HTTP parser refused with problem+json
 * (431 HEADERS_TOO_LARGE, 408 REQUEST_TIMEOUT, 400 MALFORMED_REQUEST) and closes the connection,
 * as Node itself would. A reset connection gets nothing (there is no one to answer).
 *
 * @example Fastify({ clientErrorHandler: clientErrorHandler(requestIds) })
 */
export function clientErrorHandler(requestId: () => string): (err: Error & { code?: string }, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable) {
      const code = clientErrorCode(err);
      const { status, title } = ERROR_CODES[code];
      const id = requestId();
      const body = JSON.stringify({ type: `/docs/${docsAnchor(code)}`, title, status, detail: CLIENT_DETAIL[code] ?? title, instance: '', code, requestId: id });
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${id}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  };
}

/**
 * Fastify's `frameworkErrors`: a URL the router cannot decode (400 INVALID_URL) or a path
 * parameter over the router's limit (414 URL_TOO_LONG), as problem+json. Anything else Fastify
 * sends here is answered like an unexpected error, without its message.
 *
 * @example Fastify({ frameworkErrors })
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('X-Request-Id', request.id);
  if (err.code === 'FST_ERR_BAD_URL') {
    void sendProblem(reply, request, 'INVALID_URL', 'the path has a percent-encoding that does not decode to UTF-8');
    return;
  }
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void sendProblem(reply, request, 'URL_TOO_LONG', 'a path segment is longer than the server accepts');
    return;
  }
  request.log.error({ err: { message: err.message, code: err.code } }, 'framework error');
  void sendProblem(reply, request, 'INTERNAL_ERROR', 'an unexpected error occurred; quote the requestId when reporting it');
}
