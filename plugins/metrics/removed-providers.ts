/**
 * Providers removed while running (`config:change`) leave /metrics at once: their label values free
 * their places under the cap and their series go (plugins/metrics/labels.ts), and the headroom gauge
 * stops reading their deployments. Before, an operator who adds and removes a provider per customer
 * saw every provider past the 200th reported as `other`, and every removed one's series for good.
 */
import type { PluginHost, Target } from 'llm-gateway/plugin';
import type { BoundedLabel } from './bounded-labels.js';

export function forgetRemovedProviders(host: PluginHost, providerLabel: BoundedLabel, deployments: Map<string, Target>): void {
  host.events.on('config:change', (_now, replaced) => {
    for (const id of replaced) {
      if (host.provider(id) !== undefined) continue;
      for (const [key, target] of deployments) if (target.provider === id) deployments.delete(key);
      providerLabel.forget(id);
    }
  });
}
