/**
 * The front-ends' own paths, found with one Map lookup ahead of Koa's router. Nearly every request
 * a gateway serves is one of them, and the router's way there (a regular expression tried per
 * route, the matched layers and params it records, its own compose) with the unknown-path check
 * around it cost each one more than the lookup. What answers is the same: only the exact path with
 * POST is looked up, and only for paths the router had nothing else on when the front-ends were
 * mounted (a plugin's route on a front-end's path is refused at start: core/route-claims.ts);
 * anything else (a trailing slash, another case, another method) goes on to the router, which has
 * the same handlers.
 */
import type Router from '@koa/router';
import type { Middleware } from 'koa';

export class FrontEndRoutes {
  private readonly byPath = new Map<string, Middleware>();

  constructor(private readonly router: Router) {}

  /** Registers `handler` with the router, and for the shortcut when nothing else claims the path. */
  post(path: string, handler: Middleware): void {
    const unclaimed = this.router.match(path, 'POST').path.length === 0;
    this.router.post(path, handler);
    if (unclaimed) this.byPath.set(path, handler);
  }

  /** The Koa middleware: goes ahead of the unknown-path check and the router. */
  shortcut(): Middleware {
    const byPath = this.byPath;
    return function frontEndShortcut(koa, next) {
      // Koa's request itself rather than the context's delegates (see exchange.ts).
      const request = koa.request;
      const handler = request.method === 'POST' ? byPath.get(request.path) : undefined;
      return handler ? handler(koa, next) : next();
    };
  }
}
