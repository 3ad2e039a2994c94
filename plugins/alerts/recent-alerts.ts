/**
 * The last alerts raised, kept in the store (so every replica's dashboard shows the same, whichever
 * raised them) and shown in a panel on the dashboard's Overview. Alerts are rare (each is claimed
 * once for all replicas), so each is one read-modify-write, one replica at a time.
 */
import { escapeHtml, type DashboardPanel, type Logger } from 'llm-gateway/plugin';
import type { Store, TypedKv } from 'llm-gateway/store';
import { alertText, type Alert } from './messages.js';

export const RECENT_ALERTS = 20;

interface RecentAlert {
  type: Alert['type'];
  at: string;
  text: string;
}

export class RecentAlerts {
  private readonly kv: TypedKv<{ recent: RecentAlert[] }>;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {
    this.kv = store.kv<{ recent: RecentAlert[] }>('alerts');
  }

  /** Keeps the alert among the last ones; never throws, never waits for the caller. */
  add(alert: Alert): void {
    const entry = { type: alert.type, at: alert.at, text: alertText(alert) };
    void this.store
      .exclusive('alerts:recent', async () => this.kv.set('recent', [entry, ...((await this.kv.get('recent')) ?? [])].slice(0, RECENT_ALERTS)))
      .catch((error: Error) => this.logger.warn('alerts: could not keep an alert for the dashboard', { error: error.message }));
  }

  async list(): Promise<RecentAlert[]> {
    return (await this.kv.get('recent')) ?? [];
  }

  /** The Overview's panel: the last alerts, newest first. */
  panel(): DashboardPanel {
    return {
      id: 'alerts',
      title: 'Recent alerts',
      render: async () => {
        const recent = await this.list();
        if (recent.length === 0) return '<p>No alerts yet.</p>';
        const items = recent.map((alert) => `<li class="alert ${escapeHtml(alert.type.replace('.', '-'))}"><time datetime="${escapeHtml(alert.at)}">${escapeHtml(alert.at.slice(0, 16).replace('T', ' '))} UTC</time> ${escapeHtml(alert.text)}</li>`);
        return `<ul class="alerts">${items.join('')}</ul>`;
      },
    };
  }
}
