/**
 * Providers removed while running (`config:change`) leave /metrics: their label values free their
 * places under the cap (else an operator who adds and removes a provider per customer saw every
 * provider past the 200th reported as \`other\`), their series are taken out of the registry (else
 * the registry grew by each removed provider's series for good), and the headroom gauge stops
 * reading their deployments.
 */
import type { PluginHost, Target } from 'llm-gateway/plugin';
import type { Registry } from 'prom-client';
import type { BoundedLabel } from './bounded-labels.js';

export function forgetRemovedProviders(host: PluginHost, registry: Registry, providerLabel: BoundedLabel, deployments: Map<string, Target>): void {
  host.events.on('config:change', (_now, replaced) => {
    const removed = new Set([...replaced].filter((id) => host.provider(id) === undefined));
    if (removed.size === 0) return;
    for (const [key, target] of deployments) if (removed.has(target.provider)) deployments.delete(key);
    const labelled = [...removed].filter((id) => providerLabel.forget(id));
    if (labelled.length > 0) void removeSeries(registry, new Set(labelled)).catch((error: Error) => host.logger.warn('could not remove a removed provider\'s metrics', { error: error.message }));
  });
}

/** What every prom-client metric has, though `getMetricsAsArray` types it as its description alone. */
interface LabelledMetric {
  labelNames?: readonly string[];
  get(): Promise<{ values: Array<{ labels: Record<string, string | number | undefined> }> }>;
  remove(labels: Record<string, string | number>): void;
}

/** Every series whose `provider` label is one of `providers`, from every metric that has that label. */
async function removeSeries(registry: Registry, providers: ReadonlySet<string>): Promise<void> {
  for (const metric of registry.getMetricsAsArray() as unknown as LabelledMetric[]) {
    const names = metric.labelNames;
    if (!names?.includes('provider')) continue;
    const seen = new Set<string>();
    for (const { labels } of (await metric.get()).values) {
      if (!providers.has(String(labels.provider))) continue;
      // A histogram's values are its buckets (`le`) and sums: one series per set of its own labels.
      const own = Object.fromEntries(names.map((name) => [name, labels[name]]).filter(([, value]) => value !== undefined)) as Record<string, string | number>;
      const id = JSON.stringify(own);
      if (seen.has(id)) continue;
      seen.add(id);
      metric.remove(own);
    }
  }
}
