/**
 * # The plugin contract
 *
 * A plugin is a plain object made by a factory (`retry({ attempts: 2 })`). It has a `name` and up to
 * four hooks, each optional, plus optional contributed data:
 *
 * - `providerTypes` (data, not a hook) adds provider types, e.g. `anthropic`, so the config can
 *   name them in `providers`; they are known before any setup runs, so configs check without side effects.
 * - `setup(host)` runs once at start, in config order. It contributes: HTTP routes, dashboard
 *   panels, event listeners and services (see `PluginHost`). It may be async.
 * - `middleware(ctx, next)` runs once per client request, in config order, as an onion: code before
 *   `await next()` runs on the way in (auth, cache lookup, routing), code after it on the way out
 *   (logging, cache store). Not calling `next()` short-circuits: set `ctx.response` (a cache hit) or
 *   throw a GatewayError (a refusal). Calling `next()` twice is an error.
 * - `upstream(next)` wraps each upstream try and returns the wrapped handler, in config order, the
 *   first plugin outermost. The returned handler may call `next` any number of times, with the same
 *   or another target: this is how retry, fallback, rotation and the circuit breaker compose without
 *   special cases. It throws a GatewayError to fail the try; `error.retryable` says whether another
 *   try makes sense.
 * - `close()` runs once at shutdown, in reverse config order, after in-flight requests finished.
 *
 * `order: 'pre' | 'post'` moves a plugin to the front or the back of the list (array order within a
 * tier), for plugins that must see every request first (auth) or last (usage logging).
 * `requires` names plugins that must also be configured; a missing one fails at start.
 *
 * Observers (metrics, usage logs) should listen to events (`host.events.on('request:end', ...)`)
 * rather than sit on the response path: a listener can never fail or delay a request.
 */
import type { ResolvedConfig } from './config/resolve-config.js';
import type { Context as KoaContext } from 'koa';
import type { GatewayContext } from './context.js';
import type { EventBus } from './events.js';
import type { Logger } from './logger.js';
import type { Provider, ProviderType, Target, UpstreamResult } from './providers/provider.js';
import type { ServiceToken } from './services.js';
import { ConfigError } from './config/config-error.js';
import { formatIssues, validate } from './validation.js';

export type Next = () => Promise<void>;

export type RequestMiddleware = (ctx: GatewayContext, next: Next) => Promise<void>;

/** One upstream try: which target, on behalf of which request. */
export interface UpstreamCall {
  readonly ctx: GatewayContext;
  readonly target: Target;
  /**
   * Aborts this one try (a deadline, a hedge that lost) without aborting the request. The provider
   * call listens to it and to `ctx.signal`; interceptors pass the call on as they got it.
   */
  readonly signal?: AbortSignal;
}

export type UpstreamHandler = (call: UpstreamCall) => Promise<UpstreamResult>;

export type UpstreamInterceptor = (next: UpstreamHandler) => UpstreamHandler;

export interface GatewayPlugin {
  readonly name: string;
  readonly order?: 'pre' | 'post';
  readonly requires?: readonly string[];
  /** Provider types this plugin adds, usable as `providers.<id>.type` in the config. */
  readonly providerTypes?: readonly ProviderType<never>[];
  setup?(host: PluginHost): void | Promise<void>;
  /**
   * Runs for every HTTP request the gateway serves, before routing: the place for checks that must
   * hold on every path (authentication), whatever endpoint the request is for. Throw a
   * GatewayError to refuse; it is answered in the path's API format.
   */
  gate?: HttpGate;
  middleware?: RequestMiddleware;
  upstream?: UpstreamInterceptor;
  close?(): void | Promise<void>;
}

export type HttpGate = (http: KoaContext, next: () => Promise<void>) => Promise<void>;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDefinition {
  method: HttpMethod;
  /** A @koa/router path, e.g. `/admin/keys/:id`. */
  path: string;
  handler: (ctx: KoaContext) => Promise<void> | void;
}

/** A server-rendered block the dashboard shows; `render` returns HTML (escape what you interpolate). */
export interface DashboardPanel {
  id: string;
  title: string;
  render(): Promise<string> | string;
}

/** A section of `GET /v1/providers`, e.g. the circuit breaker's `breaker` or the limits' `limits`. */
export interface ProviderStatusSection {
  name: string;
  status(providerId: string): unknown;
}

/** What a plugin's `setup` can reach and contribute. */
export interface PluginHost {
  readonly logger: Logger;
  readonly events: EventBus;
  /** The gateway's resolved config (read-only): server, store and usage-log locations, providers, models. */
  readonly config: ResolvedConfig;
  /** Adds an HTTP route beside the gateway's own (`/v1/*`, `/health`, `/ready`). */
  route(route: RouteDefinition): void;
  /** A provider instance by id (undefined when no such provider is configured and enabled). */
  provider(id: string): Provider | undefined;
  addPanel(panel: DashboardPanel): void;
  /** Adds a section to each provider in `GET /v1/providers` and `/v1/providers/:id/health`. */
  addProviderStatus(section: ProviderStatusSection): void;
  /** Registers a service other plugins can `resolve`. */
  provide<T>(token: ServiceToken<T>, value: T): void;
  resolve<T>(token: ServiceToken<T>): T;
  /** Like resolve, but undefined when nobody provided it (an optional collaboration). */
  tryResolve<T>(token: ServiceToken<T>): T | undefined;
}

export interface PluginSpec<Options> {
  name: string;
  /** JSON Schema of the options; defaults written in it (`default: 2`) are filled in. */
  schema?: object;
  order?: 'pre' | 'post';
  requires?: readonly string[];
  /** Option names whose values are secrets, never printed. */
  secretOptions?: readonly string[];
  create(options: Options): Omit<GatewayPlugin, 'name' | 'order' | 'requires'>;
}

/** Options may be left out when none is required: `retry()`. */
export type PluginFactory<Options> = undefined extends Options
  ? (options?: Options) => GatewayPlugin
  : {} extends Options
    ? (options?: Options) => GatewayPlugin
    : (options: Options) => GatewayPlugin;

/**
 * Declares a plugin: its options are validated by ajv when the factory is called, so a wrong option
 * fails at start with a message naming the plugin, the option path, the value found and what is allowed.
 * @example
 * export default definePlugin<{ header: string }>({
 *   name: 'request-tagger',
 *   schema: { type: 'object', properties: { header: { type: 'string', default: 'x-tag' } } },
 *   create: (options) => ({
 *     async middleware(ctx, next) { ...; await next(); },
 *   }),
 * });
 */
export function definePlugin<Options = undefined>(spec: PluginSpec<Options>): PluginFactory<Options> {
  const factory = (options?: Options): GatewayPlugin => {
    const resolved = (options === undefined ? {} : isPlainObject(options) ? { ...options } : options) as Options;
    if (spec.schema) {
      const secrets = new Set(spec.secretOptions ?? []);
      const issues = validate(spec.schema, resolved, (path) => secrets.has(path.split('/')[1] ?? ''));
      if (issues.length > 0) {
        throw new ConfigError(`invalid options for plugin ${spec.name}`, formatIssues(`${spec.name}: options`, issues).split('\n'));
      }
    }
    const hooks = spec.create(resolved);
    const plugin: GatewayPlugin = { ...hooks, name: spec.name };
    return Object.assign(plugin, spec.order ? { order: spec.order } : {}, spec.requires ? { requires: spec.requires } : {});
  };
  Object.defineProperty(factory, 'name', { value: spec.name });
  return factory as PluginFactory<Options>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

export function isGatewayPlugin(value: unknown): value is GatewayPlugin {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<GatewayPlugin>;
  return typeof candidate.name === 'string' && candidate.name.length > 0;
}
