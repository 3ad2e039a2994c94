/**
 * # The plugin contract
 *
 * A plugin is a plain object with a `name`, made by a factory (`retry({ attempts: 2 })`, see
 * `definePlugin`). What it contributes comes in two kinds.
 *
 * Data, known before anything runs, so `llm-gateway check` validates a config without side effects:
 * - `providerTypes`: provider types (`anthropic`) the config may name in `providers`;
 * - `requestOptions`: the fields of the request body's `gateway` object it reads, with their schemas;
 * - `configSections`: top-level config keys it reads (`usageLog`), with their schemas;
 * - `providerOptions`: options it reads on each provider entry (`limits`), with their schemas.
 *
 * Hooks, returned by `setup(host)` (or set on the object directly when they need no setup):
 * - `setup(host)` runs once at start, in config order. It contributes routes, front-ends (whole
 *   API surfaces such as `/v1/responses`), provider status sections, event listeners and services
 *   (see `PluginHost`), and returns the hooks below, which close over whatever it prepared.
 * - `authorize(http, access)` runs before every route that is not public (see `Access`): the place
 *   for authentication (gateway keys). Throw a GatewayError to refuse. On admin routes it runs
 *   after the kernel has checked the admin key (`server.adminKey`), and can only refuse more.
 * - `gate(http, next)` runs for every HTTP request before routing, known path or not (an IP
 *   allow-list). Throw a GatewayError to refuse.
 * - `middleware(ctx, next)` runs once per client request, in config order, as an onion: code before
 *   `await next()` runs on the way in (auth, cache lookup, routing), code after it on the way out
 *   (logging, cache store). Not calling `next()` short-circuits: set `ctx.response` (a cache hit:
 *   `{ kind: 'json', body }`, status 200 unless given) or throw a GatewayError (a refusal). A refusal
 *   after `next()` returned a stream lets that stream go (the upstream is cut). Calling `next()`
 *   twice is an error.
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
import type { Context as KoaContext } from 'koa';
import type { ResolvedConfig } from './config/resolve-config.js';
import type { GatewayContext } from './context.js';
import type { EventBus } from './events.js';
import type { FrontEnd } from './http/front-end.js';
import type { HealthTracker } from './health.js';
import type { Logger } from './logger.js';
import type { Provider, ProviderType, Target, UpstreamResult } from './providers/provider.js';
import type { ConfigCheck, LiveConfig } from './live/live-config.js';
import type { ModelLookup } from './routing/resolve-model.js';
import type { ServiceToken } from './services.js';
import type { Store } from './store/store.js';

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
  /**
   * Extra HTTP headers for this one try (a trace's `traceparent`), added to what the adapter sends:
   * an interceptor passes `next({ ...call, headers: { ...call.headers, name: value } })`.
   */
  readonly headers?: Readonly<Record<string, string>>;
}

export type UpstreamHandler = (call: UpstreamCall) => Promise<UpstreamResult>;

export type UpstreamInterceptor = (next: UpstreamHandler) => UpstreamHandler;

/** Runs for every HTTP request the gateway serves, before routing. */
export type HttpGate = (http: KoaContext, next: () => Promise<void>) => Promise<void>;

/**
 * Who may call a route: anyone (`public`: health probes, a login page), a client with a gateway key
 * (`key`: the APIs), or an operator with the admin key (`admin`). The kernel checks the admin key
 * itself (`server.adminKey`; without one admin routes answer 403), unless a gate vouched for the
 * request (`grantAdmin`), then asks every plugin's `authorize` hook; with no plugin that
 * authorizes, key routes are open.
 */
export type Access = 'public' | 'key' | 'admin';

/**
 * Checks a request against a route's access; throws a GatewayError (401, 403) to refuse. May
 * answer at once (a key found in a cache): only a returned promise is waited for.
 */
export type Authorize = (http: KoaContext, access: Exclude<Access, 'public'>) => void | Promise<void>;

/** The hooks a plugin runs; `setup` returns them, or they sit on the plugin object itself. */
export interface PluginHooks {
  gate?: HttpGate;
  authorize?: Authorize;
  middleware?: RequestMiddleware;
  upstream?: UpstreamInterceptor;
  close?(): void | Promise<void>;
}

export interface GatewayPlugin extends PluginHooks {
  readonly name: string;
  readonly order?: 'pre' | 'post';
  readonly requires?: readonly string[];
  /** Provider types this plugin adds, usable as `providers.<id>.type` in the config. */
  readonly providerTypes?: readonly ProviderType<never>[];
  /** Fields of the request body's `gateway` object this plugin reads, each with its JSON Schema. */
  readonly requestOptions?: Readonly<Record<string, object>>;
  /** Top-level config keys this plugin reads, each with its JSON Schema (`host.config.sections`). */
  readonly configSections?: Readonly<Record<string, object>>;
  /** Options this plugin reads on every provider entry (`providers.groq.limits`), each with its JSON Schema. */
  readonly providerOptions?: Readonly<Record<string, object>>;
  /**
   * @deprecated The admin key given as one of this plugin's options (`auth({ adminKey })`), read by
   * the kernel as `server.adminKey` for configs written before it existed. Plugins read the key
   * from `host.config.server.adminKey`.
   */
  readonly adminKey?: string;
  setup?(host: PluginHost): void | PluginHooks | Promise<void | PluginHooks>;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDefinition {
  method: HttpMethod;
  /** A @koa/router path, e.g. `/admin/keys/:id`. */
  path: string;
  handler: (ctx: KoaContext) => Promise<void> | void;
  /** Who may call it. Default: `admin` under `/admin/`, else `key`. */
  access?: Access;
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
  /**
   * `visible`, when the caller may see only some models (a key's `models`): a section that lists
   * deployments (`provider/model`) lists only those it lets through.
   */
  status(providerId: string, visible?: (model: string) => boolean): unknown;
}

/** What a plugin's `setup` can reach and contribute. */
export interface PluginHost {
  readonly logger: Logger;
  readonly events: EventBus;
  /**
   * The gateway's resolved config as it was at start (read-only): server, store location, sections.
   * Providers and virtual models may change while the gateway runs: read them through `models`,
   * `provider(id)` and `live`, and hear of changes on the `config:change` event.
   */
  readonly config: ResolvedConfig;
  /** Where state lives: key-value namespaces and atomic counters, shared by replicas on Redis. */
  readonly store: Store;
  /** Turns a requested model name into the targets that may serve it, as the config is now. */
  readonly models: ModelLookup;
  /** Live configuration: overrides of providers and virtual models, their audit trail, stored secrets. */
  readonly live: LiveConfig;
  /**
   * A check of the providers and virtual models, run now and before every live change is applied:
   * problems it returns refuse the change (and, now, the start).
   */
  checkConfig(check: ConfigCheck): void;
  /** Per-deployment latency and error rates, fed by every request. */
  readonly health: HealthTracker;
  /**
   * Adds an HTTP route beside the gateway's own (`/v1/*`, `/health`, `/ready`). A method and path
   * another route serves (the gateway's, another plugin's) throws: the start fails, naming both.
   */
  route(route: RouteDefinition): void;
  /** Adds a whole API surface whose requests run through the plugin pipeline (see `FrontEnd`); a path already served throws, as for `route`. */
  frontEnd<State>(frontEnd: FrontEnd<State>): void;
  /**
   * The `endpoint` of the front-end serving POST `path` (`/v1/messages` → `messages`), whichever
   * plugin added it, before this one or after (ask when a request comes): for a request refused
   * before it reached the front-end, which carries no `ctx.endpoint`.
   */
  frontEndAt(path: string): string | undefined;
  /** A provider instance by id (undefined when no such provider is configured and enabled). */
  provider(id: string): Provider | undefined;
  /**
   * A short name of the options provider `id` is served with now, the same on every replica with
   * the same config; a new one when it is rebuilt with other options (another host, other
   * credentials). State kept in the store about a provider's upstream (circuits, learned blocks)
   * is named with it, so a provider pointed elsewhere starts afresh on every replica at once.
   */
  providerGeneration(id: string): string | undefined;
  addPanel(panel: DashboardPanel): void;
  /** Every panel contributed so far, and by plugins set up later (read it when rendering). */
  panels(): readonly DashboardPanel[];
  /** Adds a section to each provider in `GET /v1/providers` and `/v1/providers/:id/health`. */
  addProviderStatus(section: ProviderStatusSection): void;
  /** Registers a service other plugins can `resolve`. */
  provide<T>(token: ServiceToken<T>, value: T): void;
  resolve<T>(token: ServiceToken<T>): T;
  /** Like resolve, but undefined when nobody provided it (an optional collaboration). */
  tryResolve<T>(token: ServiceToken<T>): T | undefined;
}

export function isGatewayPlugin(value: unknown): value is GatewayPlugin {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<GatewayPlugin>;
  return typeof candidate.name === 'string' && candidate.name.length > 0;
}
