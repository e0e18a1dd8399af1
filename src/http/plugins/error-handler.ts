import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ClavisError, ERROR_CODES, docsAnchor, type ErrorCode, type FieldError } from '../../core/errors/registry.ts';

interface AjvError {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** Turns ajv errors into field paths like `/body/scopes/0` with a reason. */
function fieldErrors(context: string | undefined, errors: readonly AjvError[]): FieldError[] {
  return errors.map((e) => {
    let field = `/${context ?? 'body'}${e.instancePath}`;
    let message = e.message ?? e.keyword;
    if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') {
      field += `/${e.params.additionalProperty}`;
      message = 'unknown field';
    } else if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') {
      field += `/${e.params.missingProperty}`;
      message = 'required';
    }
    return { field, message };
  });
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, code: ErrorCode, detail: string, errors: FieldError[] = []): FastifyReply {
  const def = ERROR_CODES[code];
  return reply
    .status(def.status)
    .type('application/problem+json')
    .send({
      type: `/docs/${docsAnchor(code)}`,
      title: def.title,
      status: def.status,
      detail,
      instance: request.url.split('?')[0] ?? request.url,
      code,
      requestId: request.id,
      ...(errors.length > 0 ? { errors } : {}),
    });
}

/** The registry code a domain error outside core carries as `code` (IndexQueryError, MarketDataError, …), or null. */
function domainCode(err: FastifyError): ErrorCode | null {
  const code: unknown = err.code;
  return err.validation === undefined && typeof code === 'string' && Object.hasOwn(ERROR_CODES, code) ? (code as ErrorCode) : null;
}

/** Maps framework errors (parsing, size, media type) to registry codes. */
function frameworkCode(err: FastifyError): { code: ErrorCode; detail: string } | null {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'send the body as application/json' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'BODY_TOO_LARGE', detail: err.message };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'INVALID_JSON', detail: 'the body is not valid JSON' };
    default:
      if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/.test(err.message))) return { code: 'INVALID_JSON', detail: 'the body is not valid JSON' };
      return null;
  }
}

/**
 * The only place a domain error becomes HTTP: RFC 9457 problem+json with `code` and `requestId`.
 * Unexpected errors are logged (never with request bodies) and answered as INTERNAL_ERROR.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof ClavisError) {
      if (err.status >= 500) request.log.error({ code: err.code, err: { message: err.message } }, 'request failed');
      return sendProblem(reply, request, err.code, err.message, err.errors);
    }
    const domain = domainCode(err);
    if (domain !== null) {
      // Errors of the market and index layers carry a registry code (and maybe the query or body
      // field at fault). A server-side failure (a bad data file, a provider down) is logged with
      // its message and answered without it: file paths and provider URLs are not for consumers.
      if (ERROR_CODES[domain].status >= 500) {
        request.log.error({ code: domain, err: { message: err.message } }, 'request failed');
        return sendProblem(reply, request, domain, `${ERROR_CODES[domain].title}; the server log has the details (requestId ${request.id})`);
      }
      const field = 'field' in err && typeof err.field === 'string' && err.field !== '' ? `/${request.method === 'GET' ? 'querystring' : 'body'}/${err.field}` : null;
      return sendProblem(reply, request, domain, err.message, field === null ? [] : [{ field, message: err.message }]);
    }
    if (err.validation !== undefined) {
      const errors = fieldErrors(err.validationContext, err.validation);
      return sendProblem(reply, request, 'VALIDATION_FAILED', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
    }
    const mapped = frameworkCode(err);
    if (mapped !== null) return sendProblem(reply, request, mapped.code, mapped.detail);
    // A client that hung up mid-body is not a server failure (and no one reads the answer).
    if (err.code === 'ECONNRESET' && request.raw.destroyed) {
      request.log.info({ err: { message: err.message, code: err.code } }, 'client closed the connection mid-request');
      return sendProblem(reply, request, 'MALFORMED_REQUEST', 'the connection closed before the request was complete');
    }
    request.log.error({ err: { message: err.message, code: err.code, stack: err.stack } }, 'unexpected error');
    return sendProblem(reply, request, 'INTERNAL_ERROR', 'an unexpected error occurred; quote the requestId when reporting it');
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, request, 'ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`));
}
