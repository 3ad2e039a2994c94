/**
 * What every page handler shares: rendering a template inside the layout with the navigation and
 * the session's CSRF token, the security headers of an HTML answer, and reading a form body.
 */
import type { Context as KoaContext } from 'koa';
import getRawBody from 'raw-body';
import { invalidRequest, type PluginHost } from 'llm-gateway/plugin';
import type { Session, Sessions } from './session.js';
import type { Render } from './views.js';

const SESSION_STATE = Symbol('dashboard:session');

export const sessionOf = (http: KoaContext): Session | undefined => (http.state as Record<symbol, Session | undefined>)[SESSION_STATE];
export const keepSession = (http: KoaContext, session: Session) => void ((http.state as Record<symbol, Session>)[SESSION_STATE] = session);

/** Scripts and styles from this origin only: htmx and the stylesheet are served by the plugin. */
export const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export interface PageKit {
  readonly host: PluginHost;
  readonly base: string;
  readonly render: Render;
  readonly sessions: Sessions;
  /** How long figures computed for one page are shared with the next (other tabs refreshing). */
  readonly shareMs: number;
  /** How often an open page refreshes itself. */
  readonly refreshMs: number;
  /** Whether a cache plugin offers its admin service (the Cache page is shown only then). */
  hasCache(): boolean;
  /** Renders a page in the layout and answers with it. */
  page(http: KoaContext, template: string, data: Record<string, unknown>): Promise<void>;
}

export function htmlHeaders(http: KoaContext): void {
  http.type = 'text/html; charset=utf-8';
  http.set('content-security-policy', CONTENT_SECURITY_POLICY);
  http.set('cache-control', 'no-store');
  http.set('x-content-type-options', 'nosniff');
  http.set('referrer-policy', 'same-origin');
}

export function createKit(host: PluginHost, base: string, render: Render, sessions: Sessions, hasCache: () => boolean, refreshSeconds = 10): PageKit {
  return {
    host,
    base,
    render,
    sessions,
    hasCache,
    shareMs: Math.min(5000, refreshSeconds * 500),
    refreshMs: refreshSeconds * 1000,
    async page(http, template, data) {
      const session = sessionOf(http);
      const nav = [
        ['overview', 'Overview', base],
        ['providers', 'Providers & models', `${base}/providers`],
        ['keys', 'Keys', `${base}/keys`],
        ['logs', 'Logs', `${base}/logs`],
        ...(hasCache() ? [['cache', 'Cache', `${base}/cache`]] : []),
        ['config', 'Config', `${base}/config`],
      ];
      htmlHeaders(http);
      http.body = await render(template, { base, nav, csrf: session ? sessions.csrfToken(session) : '', loggedIn: session !== undefined, refreshSeconds, notice: undefined, error: undefined, ...data });
    },
  };
}

/** A `application/x-www-form-urlencoded` body (htmx's and HTML forms' encoding), at most 64 KB. */
export async function readForm(http: KoaContext): Promise<URLSearchParams> {
  const type = http.get('content-type');
  if (type && !type.startsWith('application/x-www-form-urlencoded')) throw invalidRequest('Send the form url-encoded.');
  const text = await getRawBody(http.req, { limit: 64 * 1024, encoding: 'utf8' }).catch((error: Error) => {
    throw invalidRequest(`Unreadable form: ${error.message}`);
  });
  return new URLSearchParams(text);
}

/** A form field as a number, or undefined when empty. */
export function numberField(form: URLSearchParams, name: string): number | undefined {
  return numberFrom(form.get(name)?.trim(), name);
}

/** A typed value as a number, undefined when empty; anything else (NaN, saved as null) is refused, naming `name`. */
export function numberFrom(raw: string | undefined, name: string): number | undefined {
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw invalidRequest(`${name} must be a number (found "${raw}").`, name);
  return value;
}

export function textField(form: URLSearchParams, name: string): string | undefined {
  const value = form.get(name)?.trim();
  return value ? value : undefined;
}

/** A form field holding a JSON object (a provider type's other options), or {} when empty. */
export function jsonObjectField(form: URLSearchParams, name: string): Record<string, unknown> {
  const raw = textField(form, name);
  if (raw === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw invalidRequest(`${name} must be a JSON object: ${(error as Error).message}`, name);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidRequest(`${name} must be a JSON object, such as {"endpoint": "https://acme.openai.azure.com"}.`, name);
  return value as Record<string, unknown>;
}

/** Fields left empty are dropped. */
export function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

/**
 * What an operator typed in a form the gateway refused, for the page to show it again (a refusal
 * must not cost them the form): its fields by name, at the path it was sent to, which tells the
 * page which form it was. Secrets are never sent back into a page.
 */
export interface TypedForm {
  at: string;
  values: Record<string, string>;
}

export function typedForm(http: KoaContext, form: URLSearchParams, secrets: readonly string[] = []): TypedForm {
  const values: Record<string, string> = {};
  for (const [name, value] of form) if (!secrets.includes(name) && !(name in values)) values[name] = value;
  return { at: http.path, values };
}
