/**
 * Paths as clients configured by hand send them, put right before anything reads the path (the
 * error boundary picks the API's error format by it):
 * - repeated slashes collapse: `/v1//chat/completions` or `//v1/messages`, from a base URL that ends
 *   in "/" joined to a path that begins with one;
 * - an API path without its `/v1` (`/chat/completions`, `/models`, `/responses`: the OpenAI SDK and
 *   Codex given `http://host:8080`, as LiteLLM's docs write a base URL) or with it twice
 *   (`/v1/v1/messages`: the Anthropic SDK given `http://host:8080/v1`) is served as the `/v1` path.
 * Before, each was a 404. A path is rewritten only when nothing is mounted on it as sent and
 * something is on the rewritten one, so no plugin's own route is ever shadowed. The request for
 * the exact path (nearly every one) passes with two string checks.
 */
import type Router from '@koa/router';
import type { Context as KoaContext, Next } from 'koa';

export function canonicalPath(router: Router) {
  const reaches = (path: string, method: string) => router.match(path, method).path.length > 0;
  return function canonicalRequestPath(koa: KoaContext, next: Next): Promise<void> {
    const request = koa.request;
    let path = request.path;
    if (path.startsWith('/v1/') && !path.startsWith('/v1/v1/') && !path.includes('//')) return next();
    if (path.includes('//')) path = path.replace(/\/{2,}/g, '/');
    if (!reaches(path, request.method)) {
      const underV1 = path.startsWith('/v1/v1/') ? path.slice(3) : path.startsWith('/v1/') || path === '/v1' ? undefined : `/v1${path}`;
      if (underV1 !== undefined && reaches(underV1, request.method)) path = underV1;
    }
    // Koa keeps the query string.
    if (path !== request.path) request.path = path;
    return next();
  };
}
