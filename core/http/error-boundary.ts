/**
 * The outermost Koa middleware: stamps the request id, and turns anything thrown below into the
 * API's own error JSON (OpenAI's, or Anthropic's on /v1/messages) with the right status. Unexpected
 * errors are logged with their cause and shown to the client only as an opaque 500, since their
 * messages may hold secrets.
 */
import type { Context as KoaContext, Next } from 'koa';
import { toGatewayError, toOpenAIErrorBody } from '../errors.js';
import { toAnthropicErrorBody } from '../protocol/anthropic/errors.js';
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
      // Each API answers in its own error format, from its first byte (a body that fails to parse too).
      koa.body = isAnthropicPath(koa.path) ? toAnthropicErrorBody(error, koa.requestId) : toOpenAIErrorBody(error);
    }
  };
}

export function isAnthropicPath(path: string): boolean {
  return path === '/v1/messages' || path.startsWith('/v1/messages/');
}
