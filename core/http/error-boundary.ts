/**
 * The outermost Koa middleware: stamps the request id, and turns anything thrown below into the
 * OpenAI error JSON with the right status. Unexpected errors are logged with their cause and shown
 * to the client only as an opaque 500, since their messages may hold secrets.
 */
import type { Context as KoaContext, Next } from 'koa';
import { toGatewayError, toOpenAIErrorBody } from '../errors.js';
import type { Logger } from '../logger.js';
import { requestIdFrom } from './request-id.js';

export function errorBoundary(logger: Logger) {
  return async function gatewayErrorBoundary(koa: KoaContext, next: Next): Promise<void> {
    koa.startedAt = performance.now();
    koa.requestId = requestIdFrom(koa.req.headers['x-request-id']);
    koa.set('x-request-id', koa.requestId);
    try {
      await next();
    } catch (cause) {
      const error = toGatewayError(cause);
      if (error.kind === 'internal') {
        logger.error('request failed unexpectedly', { requestId: koa.requestId, path: koa.path, error: error.cause as Error });
      }
      if (koa.headerSent || !koa.writable) return;
      koa.status = error.status;
      if (error.retryAfterSeconds !== undefined) koa.set('retry-after', String(Math.ceil(error.retryAfterSeconds)));
      if (error.provider !== undefined) koa.set('x-gateway-provider', error.provider);
      koa.body = toOpenAIErrorBody(error);
    }
  };
}
