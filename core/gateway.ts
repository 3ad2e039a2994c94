/**
 * Assembles a gateway from a config: plugins set up in order, providers created, the two pipelines
 * composed, front-ends and routes mounted. Nothing listens or runs in the background until
 * `listen()`, so `llm-gateway check` can build one to validate a config without side effects on
 * the network.
 */
import Router from '@koa/router';
import Koa from 'koa';
import './http/koa-augment.js';
import type { KernelConfig } from './config/kernel-config.js';
import { resolveConfig, type NamedPlugins, type ResolvedConfig } from './config/resolve-config.js';
import { createEventBus, type EventBus } from './events.js';
import { corsFor } from './http/cors.js';
import { applyBodyRules } from './http/body-rules.js';
import { canonicalPath } from './http/canonical-path.js';
import { errorBoundary } from './http/error-boundary.js';
import { frontEndRoute } from './http/exchange.js';
import { FrontEndRoutes } from './http/front-end-routes.js';
import { mountKernelRoutes } from './http/kernel-routes.js';
import { refuseWebSockets, unknownPath } from './http/refusals.js';
import { requestOptionsReader } from './http/request-options.js';
import { createLogger, type Logger } from './logger.js';
import { dispatcher } from './dispatch.js';
import { composeRequestPipeline, composeUpstream } from './pipeline.js';
import type { Authorize, DashboardPanel, GatewayPlugin } from './plugin.js';
import { guarded } from './http/access.js';
import { setUpPlugins } from './plugin-setup.js';
import { createProviderCall } from './provider-call.js';
import type { ModelCatalog } from './providers/catalog.js';
import type { ProviderType } from './providers/provider.js';
import { ProviderRegistry } from './providers/registry.js';
import type { ModelLookup } from './routing/resolve-model.js';
import { LiveConfigService, type LiveConfig } from './live/live-config.js';
import { ProviderRuntime } from './live/provider-runtime.js';
import { SECRETS_KEY_VARIABLE, SecretStore } from './live/secrets.js';
import { HealthTracker } from './health.js';
import { GatewayServer, type ListenOptions, type Listening } from './server.js';
import { ServiceRegistry, type ServiceToken } from './services.js';
import { openStore, type OpenStoreOptions, type Store } from './store/store.js';

export interface CreateGatewayOptions {
  /** Folder plugin package names are resolved from (the config file's). Default: cwd. */
  baseDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Plugins that come before the config's own, such as the first-party provider types and front-ends. */
  builtins?: readonly GatewayPlugin[];
  /** Overrides the logger the config describes (tests pass a silent one). */
  logger?: Logger;
  /** First-party plugin factories configs may name as strings (`"gateway:retry"`). */
  namedPlugins?: NamedPlugins;
  /** Top-level config keys accepted besides the plugins' own (documented aliases), with their schemas. */
  configSections?: Readonly<Record<string, object>>;
  /**
   * A store already open for the config's `store` URL, handed over by the gateway this one replaces
   * (a config reload): used instead of opening another, and closed by this one.
   */
  store?: Store;
  /** How to open the config's store, where none is handed over (`check` only reads: `saveCounters: false`). */
  storeOptions?: OpenStoreOptions;
}

export interface Gateway {
  readonly config: ResolvedConfig;
  readonly app: Koa;
  readonly events: EventBus;
  readonly logger: Logger;
  /** The model catalog and provider registry in force now (a live change replaces them). */
  readonly catalog: ModelCatalog;
  readonly providers: ProviderRegistry;
  readonly health: HealthTracker;
  /** Turns a model name into the targets that may serve it (virtual models, `provider/model`, listed models). */
  readonly models: ModelLookup;
  /** Live configuration: overrides of providers and virtual models, their audit trail, stored secrets. */
  readonly live: LiveConfig;
  readonly store: Store;
  readonly panels: readonly DashboardPanel[];
  /** The plugins in execution order, built-ins first, with the hooks their setup returned. */
  readonly plugins: readonly GatewayPlugin[];
  /** A service a plugin (or the kernel) provides, if any: `gateway.tryResolve(ruleRouter)`. */
  tryResolve<T>(token: ServiceToken<T>): T | undefined;
  /** Starts background work (model listing) and listens; port 0 picks a free port. */
  listen(options?: ListenOptions): Promise<Listening>;
  /**
   * Takes over from `previous` (a config reload): new requests come here at once, on the same
   * socket; `previous` finishes what it was serving, then closes, leaving the server and the
   * store it handed over (see `CreateGatewayOptions.store`) open. Resolves once this gateway
   * serves; `retired` resolves once `previous` has closed.
   */
  replace(previous: Gateway): Promise<{ retired: Promise<void> }>;
  /** @internal The other side of `replace`: gives up the server (and the store, if it is `next`'s). */
  handOver(next: Store): { server: GatewayServer };
  /** Stops accepting, lets in-flight requests finish (up to the shutdown deadline), closes plugins. */
  close(): Promise<void>;
}

export async function createGateway(raw: KernelConfig, options: CreateGatewayOptions = {}): Promise<Gateway> {
  const fromFile = await resolveConfig(raw, {
    ...(options.baseDir ? { baseDir: options.baseDir } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.namedPlugins ? { namedPlugins: options.namedPlugins } : {}),
    builtins: options.builtins ?? [],
    ...(options.configSections ? { configSections: options.configSections } : {}),
  });
  const logger = options.logger ?? createLogger(fromFile.logging);
  const events = createEventBus(logger);
  const services = new ServiceRegistry();
  const declared = [...(options.builtins ?? []), ...fromFile.plugins];

  const types = ProviderRegistry.collectTypes(declared.map((p) => ({ plugin: p.name, types: (p.providerTypes ?? []) as readonly ProviderType<never>[] })));
  const store = options.store ?? (await openStore(fromFile.store, logger.child('store'), options.storeOptions));
  const env = options.env ?? process.env;
  const live = new LiveConfigService(
    { providers: raw.providers ?? {}, models: raw.models ?? {} },
    { store, secrets: new SecretStore(store, env[SECRETS_KEY_VARIABLE]), events, logger: logger.child('live-config'), env, masked: fromFile.secrets as Set<string>, providerProblems: ProviderRegistry.checker(types, providerOptionsOf(declared)) },
  );
  let runtime: ProviderRuntime;
  let config: ResolvedConfig;
  try {
    // Providers and virtual models are the file's with the stored live overrides on top.
    const initial = await live.load();
    config = { ...fromFile, providers: initial.providers, models: initial.models };
    runtime = new ProviderRuntime(initial, { types, catalog: config.catalog, events, logger, extraProviderOptions: providerOptionsOf(declared) });
  } catch (error) {
    if (!options.store) await store.close();
    throw error;
  }
  live.follow(runtime);
  const health = new HealthTracker((target) => runtime.models.isConfigured(target), undefined, (provider) => runtime.registry.generation(provider));
  events.on('request:end', (ctx) => health.recordRequest(ctx));
  events.on('config:change', (_now, replaced) => health.reconfigured(replaced));

  const app = new Koa();
  app.silent = true;
  // The client's address and scheme from the last N hops of X-Forwarded-*, only where N proxies are trusted.
  Object.assign(app, { proxy: config.server.trustedProxies > 0, maxIpsCount: config.server.trustedProxies });
  app.on('error', (error: Error) => logger.debug('koa error after response', { error }));
  const router = new Router();
  const authorizers: Authorize[] = [];
  let contributions: Awaited<ReturnType<typeof setUpPlugins>>;
  try {
    contributions = await setUpPlugins(declared, { config, logger, events, store, health, runtime, live, services, router, authorizers });
  } catch (error) {
    live.stop();
    await runtime.close();
    if (!options.store) await store.close();
    throw error;
  }
  const { plugins, frontEnds, panels, statusSections } = contributions;

  const upstream = composeUpstream(plugins, createProviderCall(runtime, events, logger));
  const pipeline = composeRequestPipeline(plugins, dispatcher(runtime, upstream));
  const exchange = { pipeline, events, bodyLimit: config.server.bodyLimit, takeRequestOptions: requestOptionsReader(declared) };
  const rules = { adminKey: config.server.adminKey, authorizers };
  const frontEndRoutes = new FrontEndRoutes(router);
  for (const frontEnd of frontEnds) {
    const route = guarded(frontEnd.access ?? 'key', rules, frontEndRoute(frontEnd, exchange));
    for (const path of frontEnd.paths) frontEndRoutes.post(path, route);
  }
  mountKernelRoutes(router, { runtime, health, sections: statusSections, services, guard: (handler) => guarded('key', rules, handler) });

  app.use(canonicalPath(router));
  app.use(errorBoundary(logger, frontEnds));
  app.use(applyBodyRules(config.server.timeouts.bodyMs, config.server.inputLimits));
  const cors = corsFor(config.server.corsOrigins);
  if (cors) app.use(cors);
  for (const plugin of plugins) if (plugin.gate) app.use(plugin.gate);
  app.use(frontEndRoutes.shortcut());
  app.use(refuseWebSockets);
  app.use(unknownPath);
  app.use(router.routes());
  // Sets the status and `Allow` (RFC 9110 asks a 405 for it); unknownPath renders the error.
  app.use(router.allowedMethods());

  let server: GatewayServer | undefined;
  let closing: Promise<void> | undefined;
  /** Set when a gateway replacing this one took its server (and maybe its store) over. */
  let handedOver: { store: boolean } | undefined;
  const start = () => {
    runtime.start();
    events.emit('gateway:ready');
  };

  const close = async (): Promise<void> => {
    events.emit('gateway:closing');
    if (!handedOver) await server?.close(config.server.shutdownTimeoutMs);
    live.stop();
    runtime.catalog.stop();
    for (const plugin of [...plugins].reverse()) {
      try {
        await plugin.close?.();
      } catch (error) {
        logger.error(`plugin ${plugin.name} failed to close`, { error: error as Error });
      }
    }
    await runtime.close();
    // Last: plugins may save state on their way out.
    if (!handedOver?.store) await store.close().catch((error: Error) => logger.error('the store failed to close', { error }));
    services.dispose();
  };

  return {
    config,
    app,
    events,
    logger,
    get catalog() {
      return runtime.catalog;
    },
    get providers() {
      return runtime.registry;
    },
    health,
    models: runtime.models,
    live,
    store,
    panels,
    tryResolve: (token) => services.tryResolve(token),
    plugins,
    async listen(listenOptions = {}) {
      server ??= new GatewayServer(app.callback(), logger, config.server.timeouts);
      const listening = await server.listen({ port: listenOptions.port ?? config.server.port, host: listenOptions.host ?? config.server.host });
      start();
      return listening;
    },
    async replace(previous) {
      const taken = previous.handOver(store);
      server = taken.server;
      const drained = server.swap(app.callback());
      start();
      const retired = drained(previous.config.server.shutdownTimeoutMs).then(() => previous.close());
      return { retired };
    },
    handOver(next: Store) {
      if (!server) throw new Error('only a listening gateway can be replaced');
      handedOver = { store: next === store };
      return { server };
    },
    close: () => (closing ??= close()),
  };
}

/** Options plugins declared for every provider entry (`limits`), with their schemas. */
function providerOptionsOf(plugins: readonly GatewayPlugin[]): ReadonlyMap<string, object> {
  const options = new Map<string, object>();
  for (const plugin of plugins) for (const [name, schema] of Object.entries(plugin.providerOptions ?? {})) options.set(name, schema);
  return options;
}
