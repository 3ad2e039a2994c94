/**
 * The outermost Koa middleware: stamps the request id, and turns anything thrown below into the
 * API's own error JSON with the right status: the front-end that serves the path renders it
 * (Anthropic's format on `/v1/messages` and below), OpenAI's format everywhere else. Unexpected
 * errors are logged with their cause and shown to the client only as an opaque 500, since their
 * messages may hold secrets.
 */
import type { Context as KoaContext, Next } from 'koa';
import { toGatewayError, toOpenAIErrorBody, type GatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FrontEnd } from './front-end.js';
import { requestIdFrom } from './request-id.js';

export function errorBoundary(logger: Logger, frontEnds: readonly FrontEnd<unknown>[]) {
  // Longest path first: the API that claims the most specific path answers for it.
  const renderers = frontEnds
    .flatMap((f) => (f.renderError ? [...f.paths, ...(f.errorPaths ?? [])].map((path) => ({ path, render: f.renderError!.bind(f) })) : []))
    .sort((a, b) => b.path.length - a.path.length);
  const renderFor = (path: string): ((error: GatewayError, requestId: string) => unknown) =>
    renderers.find((r) => path === r.path || path.startsWith(`${r.path}/`))?.render ?? toOpenAIErrorBody;

  return async function gatewayErrorBoundary(koa: KoaContext, next: Next): Promise<void> {
    koa.startedAt = performance.now();
    koa.requestId = requestIdFrom(koa.req.headers['x-request-id']);
    // Node's own setHeader: Koa's `set` builds three arrays a header, on every request.
    koa.res.setHeader('x-request-id', koa.requestId);
    try {
      await next();
    } catch (cause) {
      const error = toGatewayError(cause);
      if (error.kind === 'internal') {
        logger.error('request failed unexpectedly', { requestId: koa.requestId, path: koa.path, error: error.cause as Error });
      }
      if (koa.headerSent || !koa.writable) return;
      koa.status = error.status;
      // A whole number of seconds (RFC 9110), whatever a plugin or an upstream put in the error.
      if (error.retryAfterSeconds !== undefined && Number.isFinite(error.retryAfterSeconds)) koa.set('retry-after', String(Math.max(0, Math.ceil(error.retryAfterSeconds))));
      // A 429 that waiting will not mend (a prompt larger than a whole limit, a spent quota): the
      // OpenAI and Anthropic SDKs retry every 429 unless this header says not to.
      else if (error.status === 429 && !error.retryable) koa.set('x-should-retry', 'false');
      if (error.provider !== undefined) koa.set('x-gateway-provider', error.provider);
      // Each API answers in its own error format, from its first byte (a body that fails to parse too).
      koa.body = renderFor(koa.path)(error, koa.requestId);
    }
  };
}
