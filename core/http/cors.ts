/**
 * CORS for browser apps that call the gateway directly, with @koa/cors: only the configured
 * origins, the headers SDKs send (keys, Anthropic's version and beta headers, routing hints) and the
 * gateway's own response headers exposed. Preflights are answered before any plugin gate, since a
 * browser sends them without credentials.
 */
import cors from '@koa/cors';
import type { Context as KoaContext, Middleware } from 'koa';

const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'x-api-key',
  'x-request-id',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'x-stainless-os',
  'x-stainless-lang',
  'x-stainless-package-version',
  'x-stainless-runtime',
  'x-stainless-runtime-version',
  'x-stainless-arch',
  'x-stainless-retry-count',
  'x-stainless-timeout',
  // The openai SDK's helpers (`.stream()`, `.parse()`, `runTools()`) and its organization and project options.
  'x-stainless-helper-method',
  'openai-organization',
  'openai-project',
  // Anthropic's SDK helpers; W3C trace context, which a browser app's OpenTelemetry sends.
  'x-stainless-helper',
  'traceparent',
  'tracestate',
  'x-gateway-strategy',
  'x-gateway-prefer',
  'x-gateway-exclude',
];

const EXPOSED_HEADERS = ['x-request-id', 'x-gateway-provider', 'x-gateway-model', 'x-gateway-attempts', 'x-gateway-fallback', 'x-gateway-dropped', 'retry-after'];

export function corsFor(origins: readonly string[] | '*'): Middleware | undefined {
  if (origins !== '*' && origins.length === 0) return undefined;
  const allowed = new Set(origins === '*' ? [] : origins);
  return cors({
    // An origin not on the list gets no CORS headers at all, so the browser refuses the answer.
    origin: (koa: KoaContext) => (origins === '*' ? '*' : allowed.has(koa.get('origin')) ? koa.get('origin') : ''),
    allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowHeaders: ALLOWED_HEADERS,
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  });
}
