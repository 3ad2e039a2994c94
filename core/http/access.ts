/**
 * Route access: before a route that is not public runs, every plugin's `authorize` hook checks the
 * request (see `Access` in plugin.ts). The list of checks is filled once every plugin is set up;
 * routes are wrapped while plugins set up, so they read it when a request comes.
 *
 * One exception, and one mechanism for it: a plugin's `gate` that has already identified an
 * operator by other means than the admin key in a header (the dashboard's signed session cookie,
 * with its CSRF token) vouches for the request with `grantAdmin(http, actor)`. Admin routes then
 * run without asking the authorizers, which know only the headers; key routes are unaffected.
 */
import type { Context as KoaContext } from 'koa';
import { GatewayError } from '../errors.js';
import type { Access, Authorize } from '../plugin.js';

type Handler = (http: KoaContext) => Promise<void> | void;

/** Admin routes live under `/admin/`; everything else a plugin serves is for clients with a key. */
export function defaultAccess(path: string): Access {
  return path.startsWith('/admin/') ? 'admin' : 'key';
}

/** `Symbol.for`: a plugin built against another copy of the kernel grants the same way. */
const ADMIN_GRANT = Symbol.for('llm-gateway.admin-grant');

/** Marks a request as coming from an operator (`actor` names them in audit trails); call it from a `gate`. */
export function grantAdmin(http: KoaContext, actor: string): void {
  (http.state as Record<symbol, string>)[ADMIN_GRANT] = actor;
}

/** Who a gate said this request comes from, if one vouched for it (`grantAdmin`). */
export function grantedAdmin(http: KoaContext): string | undefined {
  return (http.state as Record<symbol, string | undefined>)[ADMIN_GRANT];
}

const adminDisabled = () =>
  new GatewayError('permission', 'Admin routes are off: set an admin key (LLM_GATEWAY_ADMIN_KEY, read by the shipped config\'s dashboard, or auth({ adminKey })).', { code: 'admin_disabled' });

export function guarded(access: Access, authorizers: readonly Authorize[], handler: Handler): Handler {
  if (access === 'public') return handler;
  return async function authorizedRoute(http) {
    if (access === 'admin' && grantedAdmin(http) !== undefined) return handler(http);
    // Nobody checks the admin key: admin routes (logs with bodies, keys, live config) stay shut
    // rather than open to whoever reaches the port.
    if (access === 'admin' && authorizers.length === 0) throw adminDisabled();
    for (const authorize of authorizers) await authorize(http, access);
    await handler(http);
  };
}
