/**
 * gateway:dashboard, server-rendered pages for operators at `/dashboard` (Eta templates from the
 * package's `views/dashboard/`, htmx served from the package, never a CDN), and the admin JSON API
 * of live configuration at `/admin/config`.
 *
 * Off unless the gateway has an admin key (`server.adminKey`, default LLM_GATEWAY_ADMIN_KEY; read
 * from `host.config.server.adminKey`): then no page and no route exists, and `llm-gateway check`
 * says so. Its pages are admin routes, which the kernel opens to the admin key as a bearer token or
 * `x-api-key` (scripts), with or without gateway:auth; and its `gate` adds sessions:
 * - a valid session cookie (signed, expiring, HttpOnly, SameSite=Strict) makes the request an
 *   operator's (`grantAdmin`) on every admin route (`/admin/*` of every plugin, and its own pages),
 *   for reading; a state-changing request must also carry the session's CSRF token in
 *   `x-csrf-token`, or it is refused (403). A browser without a session is sent to the login page.
 * The login form compares the admin key in constant time, is protected by its own CSRF token, and
 * is rate-limited per client (login-limiter.ts; across replicas where they share a store). Sessions
 * are signed with a key derived from the admin key, and valid only while their record is in the
 * store (live-sessions.ts): a logout deletes it, and a store that lost its data logs everyone out.
 *
 * @example
 * plugins: [auth(), usageLogger(), dashboard()]   // LLM_GATEWAY_ADMIN_KEY=... npm start → /dashboard
 */
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Context as KoaContext } from 'koa';
import { GatewayError, definePlugin, defineService, grantAdmin } from 'llm-gateway/plugin';
import { addConfigRoutes } from './config-api.js';
import { LiveSessions, type LiveRecords } from './live-sessions.js';
import { createKit, htmlHeaders, keepSession, readForm, sessionOf } from './kit.js';
import { loginAttempts } from './login-limiter.js';
import { cachePages, cacheAdmin } from './pages/cache.js';
import { configPages } from './pages/config.js';
import { keyPages } from './pages/keys.js';
import { logPages } from './pages/logs.js';
import { overviewPages } from './pages/overview.js';
import { providerPages } from './pages/providers.js';
import { LOGIN_COOKIE, SESSION_COOKIE, Sessions, cookieValue, same, setCookie } from './session.js';
import { createRenderer, viewsDir } from './views.js';

export interface DashboardOptions {
  /**
   * @deprecated Set `server.adminKey` in the config (default: LLM_GATEWAY_ADMIN_KEY) instead: the
   * key operators log in with. Still accepted: it sets the gateway's one admin key, and must not
   * differ from `server.adminKey`.
   */
  adminKey?: string;
  /** How long a login lasts, in ms. Default 8 hours. */
  sessionTtlMs?: number;
  /** Failed logins an address may make per `loginWindowMs` before it must wait. Default 5. */
  loginAttempts?: number;
  /** Default 15 minutes. */
  loginWindowMs?: number;
  /** Seconds between refreshes of the Overview. Default 10. */
  refreshSeconds?: number;
}

/** Whether the dashboard is on, where, and why not: `llm-gateway start` and `check` print it. */
export interface DashboardStatus {
  readonly enabled: boolean;
  readonly path: string;
  readonly reason?: string;
}

export const dashboardStatus = defineService<DashboardStatus>('dashboard:status');

export const DASHBOARD_PATH = '/dashboard';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const defaults = { sessionTtlMs: 8 * 3_600_000, loginAttempts: 5, loginWindowMs: 15 * 60_000, refreshSeconds: 10 } satisfies DashboardOptions;

export const dashboard = definePlugin<DashboardOptions, typeof defaults>({
  name: 'gateway:dashboard',
  secretOptions: ['adminKey'],
  adminKeyOption: 'adminKey',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      adminKey: { type: 'string', minLength: 16 },
      sessionTtlMs: { type: 'integer', minimum: 60_000 },
      loginAttempts: { type: 'integer', minimum: 1 },
      loginWindowMs: { type: 'integer', minimum: 1000 },
      refreshSeconds: { type: 'integer', minimum: 1 },
    },
  },
  defaults,
  setup(host, options) {
    // The kernel's, whichever way it was given (server.adminKey, LLM_GATEWAY_ADMIN_KEY, this plugin's old option).
    const { adminKey } = host.config.server;
    const base = DASHBOARD_PATH;
    if (!adminKey) {
      host.provide(dashboardStatus, { enabled: false, path: base, reason: 'no admin key: set LLM_GATEWAY_ADMIN_KEY or server.adminKey (16 characters or more) to turn it on' });
      return;
    }
    host.provide(dashboardStatus, { enabled: true, path: base });

    const sessions = new Sessions(adminKey, options.sessionTtlMs);
    const live = new LiveSessions(host.store.kv<LiveRecords>('dashboard-sessions'), host.logger);
    const limiter = loginAttempts(host.store.counters, { maxFailures: options.loginAttempts, windowMs: options.loginWindowMs });
    const render = createRenderer();
    const kit = createKit(host, base, render, sessions, () => host.tryResolve(cacheAdmin) !== undefined, options.refreshSeconds);
    const overview = overviewPages(kit);
    const providers = providerPages(kit);
    const keys = keyPages(kit);
    const logs = logPages(kit);
    const cache = cachePages(kit);
    const config = configPages(kit);

    const page = (path: string, handler: (http: KoaContext) => Promise<void>) => host.route({ method: 'GET', path: `${base}${path}`, handler, access: 'admin' });
    const action = (path: string, handler: (http: KoaContext) => Promise<void>) => host.route({ method: 'POST', path: `${base}${path}`, handler, access: 'admin' });

    page('', overview.page);
    page('/overview/body', overview.body);
    page('/providers', providers.view);
    action('/providers', providers.add);
    action('/providers/:name/toggle', providers.toggle);
    action('/providers/:name/limits', providers.limits);
    action('/models', providers.model);
    action('/providers/:name/revert', providers.revert);
    action('/models/:name/revert', providers.revert);
    page('/keys', keys.view);
    action('/keys', keys.create);
    action('/keys/:id', keys.update);
    action('/keys/:id/rotate', keys.rotate);
    action('/keys/:id/revoke', keys.revoke);
    action('/teams', keys.setTeamBudget);
    action('/teams/remove', keys.removeTeamBudget);
    page('/logs', logs.list);
    page('/logs/:id', logs.detail);
    page('/cache', cache.view);
    action('/cache/clear', cache.clear);
    page('/config', config.view);
    addConfigRoutes(host);

    // Public: the login page and the two static files (htmx, the stylesheet), which hold no secret.
    const require = createRequire(import.meta.url);
    const assets: Record<string, { file: string; type: string }> = {
      'htmx.min.js': { file: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' },
      'dashboard.css': { file: join(viewsDir(), 'dashboard', 'dashboard.css'), type: 'text/css; charset=utf-8' },
    };
    host.route({
      method: 'GET',
      path: `${base}/assets/:file`,
      access: 'public',
      handler: (http) => {
        const name = String(http.params.file);
        // Own names only: `constructor` and the like are Object.prototype's, not files.
        const asset = Object.hasOwn(assets, name) ? assets[name] : undefined;
        if (!asset) return;
        http.type = asset.type;
        http.set('cache-control', 'public, max-age=3600');
        http.set('x-content-type-options', 'nosniff');
        http.body = createReadStream(asset.file);
      },
    });

    const secure = (http: KoaContext) => http.secure;
    const loginPage = async (http: KoaContext, data: { error?: string; next?: string } = {}) => {
      const nonce = randomBytes(16).toString('base64url');
      http.append('set-cookie', setCookie(LOGIN_COOKIE, nonce, { maxAgeSeconds: 3600, secure: secure(http), path: `${base}/login` }));
      htmlHeaders(http);
      http.body = await render('login', { base, title: 'Log in', token: sessions.loginToken(nonce), next: data.next ?? '', error: data.error, nav: [], csrf: '', loggedIn: false, notice: undefined });
    };
    host.route({ method: 'GET', path: `${base}/login`, access: 'public', handler: (http) => loginPage(http, { next: safeNext(http.query.next, base) }) });
    host.route({
      method: 'POST',
      path: `${base}/login`,
      access: 'public',
      handler: async (http) => {
        const address = http.ip || 'unknown';
        const tooMany = (wait: number) => {
          http.status = 429;
          http.set('retry-after', String(wait));
          return loginPage(http, { error: `Too many failed logins from this address: try again in ${Math.ceil(wait / 60)} min.` });
        };
        const blocked = await limiter.blockedFor(address);
        if (blocked > 0) return tooMany(blocked);
        const form = await readForm(http);
        const nonce = cookieValue(http.get('cookie'), LOGIN_COOKIE);
        const next = safeNext(form.get('next'), base);
        if (!nonce || !same(form.get('token') ?? '', sessions.loginToken(nonce))) {
          http.status = 403;
          return loginPage(http, { error: 'The login form expired: try again.', next });
        }
        // Counted before the key is compared, in one atomic step: attempts sent at once are each
        // counted, and only the first `loginAttempts` of them are compared.
        const wait = await limiter.attempt(address);
        if (wait > 0) return tooMany(wait);
        if (!same(form.get('key') ?? '', adminKey)) {
          host.logger.warn('dashboard: failed login', { address });
          http.status = 401;
          return loginPage(http, { error: 'That is not the admin key.', next });
        }
        await limiter.succeeded(address);
        const { value, session } = sessions.issue();
        // Recorded in the store before the cookie is set: a session without its record is logged out.
        await live.start(session);
        http.append('set-cookie', setCookie(SESSION_COOKIE, value, { maxAgeSeconds: sessions.maxAgeSeconds, secure: secure(http) }));
        http.append('set-cookie', setCookie(LOGIN_COOKIE, '', { maxAgeSeconds: 0, secure: secure(http), path: `${base}/login` }));
        host.logger.info('dashboard: operator logged in', { address });
        http.redirect(next);
        http.status = 303;
      },
    });
    // Public, so it works without JavaScript too: it checks the CSRF token itself, from the header or the form.
    host.route({
      method: 'POST',
      path: `${base}/logout`,
      access: 'public',
      handler: async (http) => {
        const session = sessionOf(http);
        const token = http.get('x-csrf-token') || (await readForm(http)).get('_csrf') || undefined;
        if (session && !sessions.checkCsrf(session, token)) throw new GatewayError('permission', 'Missing or wrong CSRF token: reload the page and log out again.', { code: 'csrf_failed' });
        // Over for every copy of the cookie, not only this browser's.
        if (session) await live.end(session);
        http.append('set-cookie', setCookie(SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: secure(http) }));
        http.set('hx-redirect', `${base}/login`);
        http.redirect(`${base}/login`);
        http.status = 303;
      },
    });

    const isOurs = (path: string) => path === base || path.startsWith(`${base}/`) || path.startsWith('/admin/');
    /** Public paths: the login form, the logout (it checks its CSRF token itself) and the static files. */
    const isLogin = (path: string) => path === `${base}/login` || path === `${base}/logout` || path.startsWith(`${base}/assets/`);

    return {
      async gate(http, next) {
        const signed = sessions.verify(cookieValue(http.get('cookie'), SESSION_COOKIE));
        // A session is valid only while its record is in the store (live-sessions.ts): logged out,
        // or lost with the store's data, it is no session.
        const session = signed && (await live.isLive(signed)) ? signed : undefined;
        if (session) {
          keepSession(http, session);
          if (SAFE_METHODS.has(http.method) || sessions.checkCsrf(session, http.get('x-csrf-token') || undefined)) grantAdmin(http, `dashboard session (${http.ip || 'unknown address'})`);
          else if (isOurs(http.path) && !isLogin(http.path)) {
            if (http.get('hx-request')) {
              // A page older than the session (logged in again in another tab): htmx swaps no 4xx
              // answer, so the page is reloaded for a token of this session.
              return answerHtmx(http, 403, 'hx-refresh', 'true');
            }
            throw new GatewayError('permission', 'Missing or wrong CSRF token: a state-changing request from the dashboard must send its x-csrf-token header (reload the page).', { code: 'csrf_failed' });
          }
        } else if (isOurs(http.path) && !isLogin(http.path) && !http.get('authorization') && !http.get('x-api-key')) {
          const page = http.path === base || http.path.startsWith(`${base}/`);
          if (http.method === 'GET' && page) {
            // A browser without a session: to the login page, and back here after it.
            const target = `${base}/login?next=${encodeURIComponent(http.originalUrl)}`;
            if (http.get('hx-request')) http.set('hx-redirect', target);
            http.redirect(target);
            return;
          }
          if (http.method !== 'GET' && http.get('hx-request')) {
            // A button pressed after the session ended (expired, or logged out in another tab):
            // htmx swaps no 4xx answer, so the click would do nothing, silently. To the login page.
            return answerHtmx(http, 401, 'hx-redirect', `${base}/login`);
          }
        }
        await next();
      },
    };
  },
});

/**
 * An answer to an htmx request that htmx acts on by its header alone: it swaps no 4xx body, so
 * the header (reload the page, go to the login page) is what the user sees happen.
 */
function answerHtmx(http: KoaContext, status: 401 | 403, header: 'hx-refresh' | 'hx-redirect', value: string): void {
  http.set(header, value);
  http.status = status;
  http.body = '';
}

/** Where to go after logging in: a dashboard path only, never another site. */
function safeNext(value: unknown, base: string): string {
  return typeof value === 'string' && (value === base || value.startsWith(`${base}/`) || value.startsWith(`${base}?`)) && !value.includes('//') && !value.includes('\\') ? value : base;
}

export { cacheAdmin } from './pages/cache.js';
export type { CacheAdmin } from './pages/cache.js';
export { LoginLimiter, clientOf, loginAttempts } from './login-limiter.js';
export { Sessions } from './session.js';
