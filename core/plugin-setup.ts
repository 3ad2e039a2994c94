/**
 * Runs every plugin's `setup` in order with a host of its own, and collects what they contribute:
 * routes, front-ends, dashboard panels, provider status sections, services, and the hooks each
 * setup returns (merged over the hooks the plugin object carries itself).
 */
import type Router from '@koa/router';
import type { ResolvedConfig } from './config/resolve-config.js';
import type { EventBus } from './events.js';
import type { FrontEnd } from './http/front-end.js';
import type { HealthTracker } from './health.js';
import type { Logger } from './logger.js';
import { defaultAccess, guarded } from './http/access.js';
import type { Authorize, DashboardPanel, GatewayPlugin, PluginHooks, PluginHost, ProviderStatusSection } from './plugin.js';
import type { LiveConfigService } from './live/live-config.js';
import type { ProviderRuntime } from './live/provider-runtime.js';
import type { ServiceRegistry } from './services.js';
import type { Store } from './store/store.js';
import { thrownMessage, thrownNamed } from './thrown.js';
import { RouteClaims, routerPath } from './route-claims.js';

export interface SetupDeps {
  config: ResolvedConfig;
  logger: Logger;
  events: EventBus;
  store: Store;
  health: HealthTracker;
  runtime: ProviderRuntime;
  live: LiveConfigService;
  services: ServiceRegistry;
  router: Router;
  /** Filled with every plugin's `authorize` hook once all are set up; routes read it per request. */
  authorizers: Authorize[];
}

export interface Contributions {
  /** Each plugin with the hooks it runs, in execution order. */
  readonly plugins: readonly GatewayPlugin[];
  readonly frontEnds: readonly FrontEnd<unknown>[];
  readonly panels: readonly DashboardPanel[];
  readonly statusSections: readonly ProviderStatusSection[];
}

export async function setUpPlugins(plugins: readonly GatewayPlugin[], deps: SetupDeps): Promise<Contributions> {
  const frontEnds: FrontEnd<unknown>[] = [];
  const panels: DashboardPanel[] = [];
  const statusSections: ProviderStatusSection[] = [];
  // One route or front-end a method and path: a second is refused, naming both (core/route-claims.ts).
  const claims = new RouteClaims();
  // The front-end serving each path, looked up as the router matches (any case, a trailing slash or not).
  const endpoints = new Map<string, string>();
  const addFrontEnd = (frontEnd: FrontEnd<unknown>, plugin: string, refused: string[]) => {
    const taken = frontEnd.paths.map((path) => claims.claim('POST', path, `plugin "${plugin}" (front-end ${frontEnd.endpoint})`)).filter((why) => why !== undefined);
    if (taken.length > 0) return void refused.push(...taken);
    frontEnds.push(frontEnd);
    for (const path of frontEnd.paths) endpoints.set(routerPath(path), frontEnd.endpoint);
  };
  const ready: GatewayPlugin[] = [];
  const rules = { adminKey: deps.config.server.adminKey, authorizers: deps.authorizers };

  for (const plugin of plugins) {
    if (!plugin.setup) {
      ready.push(plugin);
      continue;
    }
    /** Paths this plugin claimed that another serves: refused once its setup is over. */
    const refused: string[] = [];
    const host: PluginHost = {
      logger: deps.logger.child(plugin.name),
      events: deps.events,
      config: deps.config,
      store: deps.store,
      models: deps.runtime.models,
      live: deps.live,
      checkConfig: (check) => deps.live.addCheck(check, { providers: deps.runtime.providers, models: deps.runtime.virtualModels }),
      health: deps.health,
      route: ({ method, path, handler, access }) => {
        const taken = claims.claim(method, path, `plugin "${plugin.name}"`);
        if (taken !== undefined) return void refused.push(taken);
        deps.router.register(path, [method], guarded(access ?? defaultAccess(path), rules, handler));
      },
      frontEnd: (frontEnd) => addFrontEnd(frontEnd as FrontEnd<unknown>, plugin.name, refused),
      frontEndAt: (path) => endpoints.get(routerPath(path)),
      provider: (id) => deps.runtime.registry.get(id),
      providerGeneration: (id) => deps.runtime.registry.generation(id),
      addPanel: (panel) => void panels.push(panel),
      panels: () => panels,
      addProviderStatus: (section) => void statusSections.push(section),
      provide: (token, value) => deps.services.provide(token, value),
      resolve: (token) => deps.services.resolve(token),
      tryResolve: (token) => deps.services.tryResolve(token),
    };
    if (plugin.adminKey !== undefined) host.logger.warn('the adminKey option is deprecated: set the admin key once, as server.adminKey in the config (or LLM_GATEWAY_ADMIN_KEY)');
    let hooks: void | PluginHooks;
    try {
      hooks = await plugin.setup(host);
    } catch (error) {
      // The plugins already set up let go of what they hold (a reload that fails must not leak).
      for (const done of [...ready].reverse()) await Promise.resolve(done.close?.()).catch(() => undefined);
      if (thrownNamed(error, 'ConfigError')) throw error;
      throw new Error(`plugin ${plugin.name} failed in setup: ${thrownMessage(error)}`, { cause: error });
    }
    const done = hooks ? { ...plugin, ...definedHooks(hooks) } : plugin;
    if (refused.length > 0) {
      // This plugin is closed too: what it started before claiming the path (a timer, a file) must not outlive the refusal.
      for (const settled of [done, ...[...ready].reverse()]) await Promise.resolve(settled.close?.()).catch(() => undefined);
      throw new Error(`plugin ${plugin.name} failed in setup: ${refused.join('; ')}`);
    }
    ready.push(done);
  }
  for (const plugin of ready) if (plugin.authorize) deps.authorizers.push(plugin.authorize);
  return { plugins: ready, frontEnds, panels, statusSections };
}

/** The hooks `setup` returned, bound to the object they came on (methods may use `this`). */
function definedHooks(hooks: PluginHooks): PluginHooks {
  const out: PluginHooks = {};
  if (hooks.gate) out.gate = hooks.gate.bind(hooks);
  if (hooks.authorize) out.authorize = hooks.authorize.bind(hooks);
  if (hooks.middleware) out.middleware = hooks.middleware.bind(hooks);
  if (hooks.upstream) out.upstream = hooks.upstream.bind(hooks);
  if (hooks.close) out.close = hooks.close.bind(hooks);
  return out;
}
