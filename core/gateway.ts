/**
 * Assembles a gateway from a config: plugins set up in order, providers created, the two pipelines
 * composed, routes mounted. Nothing listens or runs in the background until `listen()`, so
 * `llm-gateway check` can build one to validate a config without side effects on the network.
 */
import Router from '@koa/router';
import Koa from 'koa';
import './http/koa-augment.js';
import type { GatewayConfig } from './config/define-config.js';
import { resolveConfig, type NamedPlugins, type ResolvedConfig } from './config/resolve-config.js';
import type { GatewayContext, RouteDecision } from './context.js';
import { GatewayError } from './errors.js';
import { createEventBus, type EventBus } from './events.js';
import { chatCompletionsRoute } from './http/chat-completions.js';
import { countTokensRoute, messagesRoute } from './http/messages.js';
import { embeddingsRoute } from './http/embeddings.js';
import { corsFor } from './http/cors.js';
import { errorBoundary } from './http/error-boundary.js';
import { addSystemRoutes } from './http/system-routes.js';
import { addProviderRoutes } from './http/provider-routes.js';
import { createLogger, type Logger } from './logger.js';
import { composeRequestPipeline, composeUpstream } from './pipeline.js';
import type { DashboardPanel, GatewayPlugin, PluginHost, ProviderStatusSection } from './plugin.js';
import { createProviderCall } from './provider-call.js';
import { ModelCatalog } from './providers/catalog.js';
import type { ProviderType } from './providers/provider.js';
import { ProviderRegistry } from './providers/registry.js';
import { ModelResolver, modelResolver } from './routing/resolve-model.js';
import { HealthTracker, healthTracker } from './health.js';
import { GatewayServer, type ListenOptions, type Listening } from './server.js';
import { ServiceRegistry, type ServiceToken } from './services.js';
import { openStore, stateStore } from './store/store.js';

export interface CreateGatewayOptions {
  /** Folder plugin package names are resolved from (the config file's). Default: cwd. */
  baseDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Plugins that come before the config's own, such as the first-party provider types. */
  builtins?: readonly GatewayPlugin[];
  /** Overrides the logger the config describes (tests pass a silent one). */
  logger?: Logger;
  /** First-party plugin factories configs may name as strings (`"gateway:retry"`). */
  namedPlugins?: NamedPlugins;
}

export interface Gateway {
  readonly config: ResolvedConfig;
  readonly app: Koa;
  readonly events: EventBus;
  readonly logger: Logger;
  readonly catalog: ModelCatalog;
  readonly providers: ProviderRegistry;
  readonly health: HealthTracker;
  readonly panels: readonly DashboardPanel[];
  /** The plugins in execution order, built-ins first. */
  readonly plugins: readonly GatewayPlugin[];
  /** A service a plugin (or the kernel) provides, if any: `gateway.tryResolve(ruleRouter)`. */
  tryResolve<T>(token: ServiceToken<T>): T | undefined;
  /** Starts background work (model listing) and listens; port 0 picks a free port. */
  listen(options?: ListenOptions): Promise<Listening>;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown deadline), closes plugins. */
  close(): Promise<void>;
}

export async function createGateway(raw: GatewayConfig, options: CreateGatewayOptions = {}): Promise<Gateway> {
  const config = await resolveConfig(raw, {
    ...(options.baseDir ? { baseDir: options.baseDir } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.namedPlugins ? { namedPlugins: options.namedPlugins } : {}),
  });
  const logger = options.logger ?? createLogger(config.logging);
  const events = createEventBus(logger);
  const services = new ServiceRegistry();
  const plugins = [...(options.builtins ?? []), ...config.plugins];

  const providers = new ProviderRegistry(
    ProviderRegistry.collectTypes(plugins.map((p) => ({ plugin: p.name, types: (p.providerTypes ?? []) as readonly ProviderType<never>[] }))),
  );
  providers.createAll(config.providers, logger);
  const catalog = new ModelCatalog(providers, config, events, logger.child('catalog'));
  const resolver = new ModelResolver(config.models, providers, catalog);
  const health = new HealthTracker();
  services.provide(modelResolver, resolver);
  services.provide(healthTracker, health);
  const store = await openStore(config.store, logger.child('store'));
  services.provide(stateStore, store);
  events.on('request:end', (ctx) => health.recordRequest(ctx));

  const app = new Koa();
  app.silent = true;
  app.on('error', (error: Error) => logger.debug('koa error after response', { error }));
  const router = new Router();
  const panels: DashboardPanel[] = [];
  const statusSections: ProviderStatusSection[] = [];

  for (const plugin of plugins) {
    if (!plugin.setup) continue;
    const host: PluginHost = {
      logger: logger.child(plugin.name),
      events,
      config,
      route: ({ method, path, handler }) => void router.register(path, [method], handler),
      provider: (id) => providers.get(id),
      addPanel: (panel) => void panels.push(panel),
      addProviderStatus: (section) => void statusSections.push(section),
      provide: (token, value) => services.provide(token, value),
      resolve: (token) => services.resolve(token),
      tryResolve: (token) => services.tryResolve(token),
    };
    try {
      await plugin.setup(host);
    } catch (error) {
      if ((error as Error).name === 'ConfigError') throw error;
      throw new Error(`plugin ${plugin.name} failed in setup: ${(error as Error).message}`, { cause: error });
    }
  }

  const upstream = composeUpstream(plugins, createProviderCall(providers, events));
  const dispatch = async (ctx: GatewayContext): Promise<void> => {
    let route = ctx.route ?? resolver.resolve(ctx.request.model);
    if (ctx.endpoint === 'embeddings') route = embeddingTargets(route, providers);
    ctx.route = route;
    const target = route.targets[0];
    if (!target) throw new GatewayError('unavailable', `No target is left to serve '${route.requestedModel}'.`, { code: 'no_target' });
    const result = await upstream({ ctx, target });
    ctx.response = result.kind === 'stream' ? { kind: 'stream', status: result.status, chunks: result.chunks } : result.kind === 'json' ? { kind: 'json', status: result.status, body: result.body } : { kind: 'embeddings', status: result.status, body: result.body };
  };
  const pipeline = composeRequestPipeline(plugins, dispatch);

  addSystemRoutes(router, catalog, config);
  addProviderRoutes(router, { providers, catalog, health, sections: statusSections });
  router.post('/v1/chat/completions', chatCompletionsRoute({ pipeline, events, bodyLimit: config.server.bodyLimit }));
  router.post('/v1/messages', messagesRoute({ pipeline, events, bodyLimit: config.server.bodyLimit }));
  router.post('/v1/messages/count_tokens', countTokensRoute({ resolver, providers, bodyLimit: config.server.bodyLimit }));
  router.post('/v1/embeddings', embeddingsRoute({ pipeline, events, bodyLimit: config.server.bodyLimit }));

  app.use(errorBoundary(logger));
  const cors = corsFor(config.server.corsOrigins);
  if (cors) app.use(cors);
  for (const plugin of plugins) if (plugin.gate) app.use(plugin.gate);
  app.use(async function unknownPath(koa, next) {
    await next();
    if (koa.status === 404 && koa.body == null) {
      throw new GatewayError('not_found', `Unknown path: ${koa.method} ${koa.path}.`, { code: 'unknown_url' });
    }
  });
  app.use(router.routes());
  app.use(
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () => new GatewayError('method_not_allowed', 'This path does not accept that HTTP method.', { code: 'method_not_allowed' }),
      notImplemented: () => new GatewayError('method_not_allowed', 'This HTTP method is not supported.', { code: 'method_not_allowed' }),
    }),
  );

  let server: GatewayServer | undefined;
  let closing: Promise<void> | undefined;

  const close = async (): Promise<void> => {
    events.emit('gateway:closing');
    await server?.close(config.server.shutdownTimeoutMs);
    catalog.stop();
    for (const plugin of [...plugins].reverse()) {
      try {
        await plugin.close?.();
      } catch (error) {
        logger.error(`plugin ${plugin.name} failed to close`, { error: error as Error });
      }
    }
    await providers.closeAll();
    // Last: plugins may save state on their way out.
    await store.close().catch((error: Error) => logger.error('the store failed to close', { error }));
    services.dispose();
  };

  return {
    config,
    app,
    events,
    logger,
    catalog,
    providers,
    health,
    panels,
    tryResolve: (token) => services.tryResolve(token),
    plugins,
    async listen(listenOptions = {}) {
      server ??= new GatewayServer(app.callback(), logger);
      const listening = await server.listen({ port: listenOptions.port ?? config.server.port, host: listenOptions.host ?? config.server.host });
      catalog.start();
      events.emit('gateway:ready');
      return listening;
    },
    close: () => (closing ??= close()),
  };
}

/** Embeddings go only to targets whose provider has an embeddings API; none left is the client's 400. */
function embeddingTargets(route: RouteDecision, providers: ProviderRegistry): RouteDecision {
  const targets = route.targets.filter((t) => providers.get(t.provider)?.embeddings !== undefined);
  if (targets.length === 0) {
    const names = [...new Set(route.targets.map((t) => t.provider))].join(', ');
    throw new GatewayError('invalid_request', `No embeddings API on ${names} for '${route.requestedModel}'.`, { code: 'unsupported_endpoint', param: 'model', retryable: false });
  }
  return targets.length === route.targets.length ? route : { ...route, targets };
}
