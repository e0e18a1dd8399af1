import type { FastifyRequest } from 'fastify';

/**
 * preValidation hook for operations whose body has only optional fields: a request without a
 * body is treated as `{}` rather than refused, so `curl -X POST …/resume` works.
 */
export async function emptyBodyAsObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}
