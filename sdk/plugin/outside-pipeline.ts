/**
 * Requests the pipeline never saw: refused by a gate or by `authorize` (a key unknown, expired),
 * answered 400 or 413 before their body was a request, or served by a route of their own
 * (`/v1/models`, the admin API). `request:start` and `request:end` never fire for them, yet the
 * access log, metrics and traces owe them a line, a count and a span. The gate this returns only
 * listens for each one's end; it waits on nothing.
 * @example
 * return { gate: outsidePipeline(host, (http, aborted) => count(http.path, http.res.statusCode, aborted)) };
 */
import type { Context as KoaContext } from 'koa';
import { ERROR_KINDS } from '../../core/errors.js';
import type { HttpGate, PluginHost } from '../../core/plugin.js';

export function outsidePipeline(host: PluginHost, ended: (http: KoaContext, aborted: boolean) => void): HttpGate {
  const pipelined = new WeakSet<KoaContext>();
  host.events.on('request:start', (ctx) => void pipelined.add(ctx.http));
  return (http, next) => {
    http.res.once('close', () => {
      if (pipelined.has(http)) return;
      const aborted = !http.res.writableFinished;
      // Left before anything was sent (while still sending its body): a closed request's 499, as
      // inside the pipeline (core/http/exchange.ts), not Koa's default 404.
      if (aborted && !http.res.headersSent) http.res.statusCode = ERROR_KINDS.client_closed.status;
      ended(http, aborted);
    });
    return next();
  };
}

/**
 * One of those that metrics and traces count as a client's request: on the API's paths (`/v1/*`,
 * and, given the `host`, any front-end's path, such as a plugin's `/api/chat`), refused (4xx, 5xx)
 * or abandoned. A page of `/v1/models` answered, a probe, the admin API are not.
 */
export function refusedOnTheApi(http: KoaContext, aborted: boolean, host?: PluginHost): boolean {
  if (!aborted && http.res.statusCode < 400) return false;
  // As the router matches paths: `/V1/Chat/Completions/` is served, so it is the API's too.
  return http.path.slice(0, 4).toLowerCase() === '/v1/' || host?.frontEndAt(http.path) !== undefined;
}
