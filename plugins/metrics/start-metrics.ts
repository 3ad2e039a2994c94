/**
 * Sets the metrics up once the plugin is configured: the registry, the event observers, the gauges
 * read from other plugins' services when Prometheus scrapes, and where the text is served.
 */
import { withinMs } from 'llm-gateway/store';
import { outsidePipeline, type PluginHooks, type PluginHost, type RouteDefinition, type Target } from 'llm-gateway/plugin';
import { circuitBreakerState } from 'llm-gateway/plugins/circuit-breaker';
import { limitHeadroom } from 'llm-gateway/plugins/rate-limits';
import { usageLogService } from 'llm-gateway/plugins/usage-logger';
import { createInstruments, scrapedCounter, scrapedGauge } from './instruments.js';
import { Labels, observe, splitDeployment } from './observe.js';
import { forgetRemovedProviders } from './removed-providers.js';
import { removeSeries } from './remove-series.js';
import { checkBearer, serveMetrics, type MetricsServer } from './serve.js';
import { metricsEndpoint, type MetricsOptions } from './index.js';

/** A scrape never waits longer than this on another plugin's state (a slow store). */
const SCRAPE_WAIT_MS = 1000;

type Resolved = Required<Pick<MetricsOptions, 'path' | 'maxLabelValues' | 'labelIdleMs' | 'processMetrics' | 'prefix'>> &
  Pick<MetricsOptions, 'port' | 'host' | 'bearerToken'> & { access: NonNullable<RouteDefinition['access']>; labels: { key?: boolean; team?: boolean } };

export async function startMetrics(host: PluginHost, options: Resolved): Promise<PluginHooks> {
  const principalLabels = [...(options.labels.key ? ['key'] : []), ...(options.labels.team ? ['team'] : [])];
  const m = createInstruments({ prefix: options.prefix, principalLabels, processMetrics: options.processMetrics });
  // Series of values let go are taken out before the next scrape renders (`removing`).
  let removing: Promise<void> = Promise.resolve();
  const labels = new Labels(options.maxLabelValues, options.labelIdleMs, (names, value) => {
    removing = removing.then(() => removeSeries(m.registry, names, new Set([value]))).catch((error: Error) => host.logger.warn('could not remove a label value\'s metrics', { error: error.message }));
  });
  const refused = observe(host, m, labels, options);
  const p = (name: string) => `${options.prefix}${name}`;

  host.events.on('circuit:change', (deployment, _from, to) => {
    const { provider, model } = splitDeployment(deployment);
    m.circuitTransitions.inc({ provider: labels.provider.value(provider), model: labels.model.value(model), state: to });
  });

  scrapedGauge(m.registry, p('llm_gateway_circuit_state'), 'Each deployment\'s circuit (gateway:circuit-breaker): 1 for its current state (closed, open, half-open), 0 for the others.', ['provider', 'model', 'state'], async (gauge) => {
    const breaker = host.tryResolve(circuitBreakerState);
    if (!breaker) return;
    const circuits = await withinMs(SCRAPE_WAIT_MS, breaker.snapshot()).catch(() => undefined);
    for (const circuit of circuits ?? []) {
      const at = heldLabels(splitDeployment(circuit.deployment));
      if (!at) continue;
      for (const state of ['closed', 'open', 'half-open']) gauge.set({ ...at, state }, circuit.state === state ? 1 : 0);
    }
  });

  /** A deployment's labels if both are held: a gauge shows what requests name, and does not keep a value from going idle. */
  const heldLabels = (target: Target) => {
    const provider = labels.provider.held(target.provider);
    const model = labels.model.held(target.model);
    return provider && model ? { provider, model } : undefined;
  };

  // Deployments requests went to, for the headroom gauge: bounded like the labels, and let go with them.
  const deployments = new Map<string, Target>();
  host.events.on('attempt:start', (_ctx, attempt) => {
    const key = `${attempt.target.provider}/${attempt.target.model}`;
    if (!deployments.has(key) && deployments.size < options.maxLabelValues) deployments.set(key, { provider: attempt.target.provider, model: attempt.target.model });
  });
  forgetRemovedProviders(host, labels.provider, deployments);
  scrapedGauge(m.registry, p('llm_gateway_rate_limit_headroom'), 'Whether a deployment has headroom under its rate limits (gateway:rate-limits), configured or told by the provider: 1 yes, 0 at a limit.', ['provider', 'model'], async (gauge) => {
    const limits = host.tryResolve(limitHeadroom);
    if (!limits) return;
    await Promise.all(
      [...deployments].map(async ([key, target]) => {
        const at = heldLabels(target);
        if (!at) return void deployments.delete(key);
        const has = await withinMs(SCRAPE_WAIT_MS, limits.hasHeadroom(target)).catch(() => undefined);
        if (has !== undefined) gauge.set(at, has ? 1 : 0);
      }),
    );
  });

  const usageLog = () => host.tryResolve(usageLogService)?.stats();
  scrapedGauge(m.registry, p('llm_gateway_usage_log_queued'), 'Usage records waiting to be written (gateway:usage-logger).', [], (gauge) => {
    const stats = usageLog();
    if (stats) gauge.set(stats.queued);
  });
  scrapedCounter(m.registry, p('llm_gateway_usage_log_dropped_total'), 'Usage records dropped because the queue was full or the log closed.', () => usageLog()?.dropped);
  scrapedCounter(m.registry, p('llm_gateway_usage_log_failed_total'), 'Usage records that could not be written after retries.', () => usageLog()?.failedWrites);
  scrapedCounter(m.registry, p('llm_gateway_usage_log_written_total'), 'Usage records written.', () => usageLog()?.written);

  const render = async () => {
    labels.sweep();
    await removing;
    return { contentType: m.registry.contentType, body: await m.registry.metrics() };
  };

  let server: MetricsServer | undefined;
  if (options.port !== undefined) {
    server = await serveMetrics({ port: options.port, host: options.host ?? host.config.server.host, path: options.path, bearerToken: options.bearerToken, render, logger: host.logger });
  } else {
    host.route({
      method: 'GET',
      path: options.path,
      access: options.access,
      async handler(http) {
        checkBearer(http.get('authorization'), options.bearerToken);
        const { contentType, body } = await render();
        http.set('content-type', contentType);
        http.set('cache-control', 'no-store');
        http.body = body;
      },
    });
  }

  host.provide(metricsEndpoint, { url: server?.url, render: async () => (await render()).body });

  return {
    gate: outsidePipeline(host, refused),
    async close() {
      await server?.close();
      m.registry.clear();
    },
  };
}
