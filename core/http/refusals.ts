/**
 * What the gateway answers when a request reaches no route: an unknown path (404), a path that
 * takes other methods (405), and a WebSocket handshake (426). All three are errors in the API's own
 * format, through the error boundary, like every other failure.
 */
import type Koa from 'koa';
import { GatewayError } from '../errors.js';

/**
 * Clients that can speak to the Responses API over a WebSocket (Codex CLI with OpenAI as its
 * provider) try that first and fall back to HTTP POST at once on a 426; on any other status they
 * retry the handshake, five times with backoff (about seven seconds), before falling back. The
 * gateway serves every API over HTTP only, so a handshake is told so at once.
 */
export async function refuseWebSockets(koa: Koa.Context, next: Koa.Next): Promise<void> {
  if (koa.get('upgrade').toLowerCase() !== 'websocket') return next();
  throw new GatewayError('invalid_request', 'This gateway does not accept WebSocket connections: send the request as an HTTP POST.', {
    status: 426,
    code: 'websocket_not_supported',
    retryable: false,
  });
}

/** A path no route serves (404), or a method its routes do not take (405, with the router's `Allow`). */
export async function unknownPath(koa: Koa.Context, next: Koa.Next): Promise<void> {
  await next();
  if ((koa.status === 405 || koa.status === 501) && koa.body == null) throw methodNotAllowed();
  if (koa.status === 404 && koa.body == null) {
    throw new GatewayError('not_found', `Unknown path: ${koa.method} ${koa.path}. OpenAI clients take the gateway's /v1 as their base URL (http://host:port/v1), Anthropic clients the gateway itself (http://host:port).`, { code: 'unknown_url' });
  }
}

export function methodNotAllowed(): GatewayError {
  return new GatewayError('method_not_allowed', 'This path does not accept that HTTP method.', { code: 'method_not_allowed' });
}
