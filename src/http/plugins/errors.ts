/**
 * One place that turns failures into responses: ApiErrors keep their code,
 * Fastify's own client errors are mapped to stable codes, anything else is a
 * 500 that leaks nothing but the request id.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ERROR_CODES, type ErrorBody, type ErrorCode } from '../../errors/index.js';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
};

export function sendError(reply: FastifyReply, code: ErrorCode, message: string, field?: string): FastifyReply {
  const statusCode = ERROR_CODES[code].status;
  const body: ErrorBody = { code, message, statusCode };
  if (field !== undefined) body.field = field;
  return reply.code(statusCode).type('application/json; charset=utf-8').send(body);
}

export function toErrorResponse(err: unknown): { code: ErrorCode; message: string; field?: string; headers?: Record<string, string> } {
  if (err instanceof ApiError) {
    return { code: err.code, message: err.message, ...(err.field !== undefined ? { field: err.field } : {}), ...(err.headers ? { headers: err.headers } : {}) };
  }
  const fe = err as Partial<FastifyError> & { type?: string };
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) {
    const message =
      mapped === 'PAYLOAD_TOO_LARGE'
        ? 'request body is larger than 1 MiB'
        : mapped === 'UNSUPPORTED_MEDIA_TYPE'
          ? 'unsupported content type; send application/json'
          : (fe.message ?? 'bad request');
    return { code: mapped, message };
  }
  // Errors from body parsing libraries (bad content encoding, aborted bodies…).
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    if (fe.statusCode === 413) return { code: 'PAYLOAD_TOO_LARGE', message: 'request body is larger than 1 MiB' };
    if (fe.statusCode === 415) return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'unsupported content type; send application/json' };
    return { code: 'VALIDATION_FAILED', message: fe.message ?? 'bad request' };
  }
  return { code: 'INTERNAL', message: 'internal error' };
}

/**
 * Errors Fastify's router raises before any route or hook runs (bad
 * percent-encoding, an over-long path parameter): same error body as the rest.
 */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const message =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a path segment of the URL is too long'
      : err.code === 'FST_ERR_BAD_URL'
        ? 'the URL path is not valid (bad percent-encoding)'
        : 'the request could not be routed';
  void sendError(reply, 'VALIDATION_FAILED', message);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const r = toErrorResponse(err);
    if (r.code === 'INTERNAL') req.log.error({ err }, 'unhandled error');
    else if (ERROR_CODES[r.code].status >= 500) req.log.warn({ code: r.code, msg: r.message }, 'service unavailable');
    if (r.headers) void reply.headers(r.headers);
    const message = r.code === 'INTERNAL' ? `internal error (request id ${req.id})` : r.message;
    return sendError(reply, r.code, message, r.field);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 'NOT_FOUND', `no route for ${req.method} ${req.url.split('?')[0]}`));

  // JSON bodies: an empty body is "no body" (LivePerson clients send none), anything else must parse.
  // Fastify's built-in text/plain parser goes too: a body of any other type is a 415.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(new ApiError('INVALID_JSON', `body is not valid JSON: ${(e as Error).message}`), undefined);
    }
  });
}
