/**
 * Takes series out of the registry: those of a label value let go (plugins/metrics/bounded-labels.ts),
 * or of a provider removed while running. prom-client keeps a series until it is removed by its
 * whole set of labels, so each metric's values are read to find them.
 */
import type { Registry } from 'prom-client';

/** What every prom-client metric has, though `getMetricsAsArray` types it as its description alone. */
interface LabelledMetric {
  labelNames?: readonly string[];
  get(): Promise<{ values: Array<{ labels: Record<string, string | number | undefined> }> }>;
  remove(labels: Record<string, string | number>): void;
}

/** Every series in which one of `labelNames` holds one of `values`. */
export async function removeSeries(registry: Registry, labelNames: readonly string[], values: ReadonlySet<string>): Promise<void> {
  for (const metric of registry.getMetricsAsArray() as unknown as LabelledMetric[]) {
    const names = metric.labelNames;
    if (!names?.some((name) => labelNames.includes(name))) continue;
    const seen = new Set<string>();
    for (const { labels } of (await metric.get()).values) {
      if (!labelNames.some((name) => values.has(String(labels[name])))) continue;
      // A histogram's values are its buckets (`le`) and sums: one series per set of its own labels.
      const own = Object.fromEntries(names.map((name) => [name, labels[name]]).filter(([, value]) => value !== undefined)) as Record<string, string | number>;
      const id = JSON.stringify(own);
      if (seen.has(id)) continue;
      seen.add(id);
      metric.remove(own);
    }
  }
}
