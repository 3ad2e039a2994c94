/**
 * Route access: before a route that is not public runs, every plugin's `authorize` hook checks the
 * request (see `Access` in plugin.ts). The list of checks is filled once every plugin is set up;
 * routes are wrapped while plugins set up, so they read it when a request comes.
 */
import type { Context as KoaContext } from 'koa';
import type { Access, Authorize } from '../plugin.js';

type Handler = (http: KoaContext) => Promise<void> | void;

/** Admin routes live under `/admin/`; everything else a plugin serves is for clients with a key. */
export function defaultAccess(path: string): Access {
  return path.startsWith('/admin/') ? 'admin' : 'key';
}

export function guarded(access: Access, authorizers: readonly Authorize[], handler: Handler): Handler {
  if (access === 'public') return handler;
  return async function authorizedRoute(http) {
    for (const authorize of authorizers) await authorize(http, access);
    await handler(http);
  };
}
