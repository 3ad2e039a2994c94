/**
 * Route access: before a route that is not public runs, the kernel checks it. Admin routes need
 * the admin key (`server.adminKey`, as `Authorization: Bearer` or `x-api-key`, compared in
 * constant time): a wrong or missing key is a 401 `invalid_admin_key`, and without an admin key
 * configured they are shut (403 `admin_disabled`) rather than open to whoever reaches the port.
 * Then every plugin's `authorize` hook checks the request (see `Access` in plugin.ts): gateway keys
 * on key routes; on admin routes a plugin can only refuse more. The list of checks is filled once
 * every plugin is set up; routes are wrapped while plugins set up, so they read it when a request
 * comes.
 *
 * One exception, and one mechanism for it: a plugin's `gate` that has already identified an
 * operator by other means than the admin key in a header (the dashboard's signed session cookie,
 * with its CSRF token) vouches for the request with `grantAdmin(http, actor)`. Admin routes then
 * run without asking for the key or the authorizers, which know only the headers; key routes are
 * unaffected.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { Context as KoaContext } from 'koa';
import { GatewayError } from '../errors.js';
import type { Access, Authorize } from '../plugin.js';

type Handler = (http: KoaContext) => Promise<void> | void;

/** What routes are checked against: the admin key, if any, and the plugins' `authorize` hooks. */
export interface AccessRules {
  readonly adminKey: string | undefined;
  readonly authorizers: readonly Authorize[];
}

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

/** Constant-time comparison of two secrets of any length (both hashed first). */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(hash('sha256', given, 'buffer'), hash('sha256', expected, 'buffer'));
}

/** The secret a request carries: `Authorization: Bearer …` (OpenAI clients) or `x-api-key` (Anthropic clients). */
export function secretFrom(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1];
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.trim() !== '' ? apiKey.trim() : undefined;
}

const adminDisabled = () =>
  new GatewayError('permission', 'Admin routes are off: set an admin key (LLM_GATEWAY_ADMIN_KEY, or server.adminKey in the config; 16 characters or more).', { code: 'admin_disabled' });

const invalidAdminKey = () =>
  new GatewayError('authentication', 'This route needs the admin key: send it as "Authorization: Bearer <key>" or "x-api-key: <key>" (or log in to the dashboard).', { code: 'invalid_admin_key' });

function checkAdminKey(http: KoaContext, adminKey: string | undefined): void {
  if (!adminKey) throw adminDisabled();
  const secret = secretFrom(http.req.headers);
  if (!secret || !sameSecret(secret, adminKey)) throw invalidAdminKey();
}

export function guarded(access: Access, rules: AccessRules, handler: Handler): Handler {
  if (access === 'public') return handler;
  return async function authorizedRoute(http) {
    if (access === 'admin') {
      if (grantedAdmin(http) !== undefined) return handler(http);
      checkAdminKey(http, rules.adminKey);
    }
    for (const authorize of rules.authorizers) {
      const pending = authorize(http, access);
      if (pending) await pending;
    }
    await handler(http);
  };
}
