/**
 * `gateway:alerts`: tells people, through webhooks (Slack, or a JSON receiver of yours), what they
 * would otherwise learn from their users: a key or a team about to run out of budget or already
 * refused for it, or a key about to expire (with `gateway:auth`), a deployment whose circuit opened
 * and closed again (with `gateway:circuit-breaker`).
 *
 * Options: the webhooks; the budget thresholds (shares of a window's limit, spent or reserved by
 * requests in flight) and whether refusals are told; whether circuits are, and how long one
 * deployment stays quiet after an alert; how many days ahead keys about to expire are told. It
 * listens to events (`budget:spend`, `budget:refusal`, `circuit:change`) and looks at the keys once
 * an hour: nothing waits for it on a request's path, and a webhook that is down costs a bounded queue. Each alert is sent once for all replicas: the first to claim it in
 * the store sends it (a window's threshold once a window; a deployment's circuit at most once in
 * `quietMs`, and its state at the end of that time if it is not the one told).
 *
 * @example
 * plugins: [auth(), circuitBreaker(), alerts({ webhooks: [{ url: process.env.SLACK_WEBHOOK_URL!, format: 'slack' }] })]
 */
import { hostname } from 'node:os';
import { definePlugin, type PluginHost } from 'llm-gateway/plugin';
import { circuitBreakerState, type CircuitState } from 'llm-gateway/plugins/circuit-breaker';
import { withinMs } from 'llm-gateway/store';
import { watchBudgets } from './budget-alerts.js';
import { CircuitNotices, type ToldState } from './circuit-notices.js';
import { watchExpiringKeys } from './expiring-keys.js';
import { FirstClaim } from './first-claim.js';
import { RecentAlerts } from './recent-alerts.js';
import type { Alert } from './messages.js';
import { Webhook, webhookSchema, webhooksFromEnv, type Delivery, type WebhookOptions } from './webhook.js';

export interface AlertsOptions {
  /**
   * Where alerts go: every alert to every webhook. Default: the one in LLM_GATEWAY_ALERTS_WEBHOOK_URL,
   * with LLM_GATEWAY_ALERTS_WEBHOOK_FORMAT (`json` or `slack`) and LLM_GATEWAY_ALERTS_WEBHOOK_SECRET
   * if set, so that a JSON or YAML config (`"gateway:alerts"`) keeps the URL, a secret, out of the file.
   */
  webhooks?: WebhookOptions[];
  /**
   * Budget alerts (keys' and teams' budgets of `gateway:auth`), or `false` for none.
   * `thresholds`: shares of a window's limit that raise an alert, once a window each (default
   * `[0.8]`); a window that jumps past several raises only the highest. `refusals`: an alert when a
   * window first refuses a request (402), once a window for a spent window and once for a request
   * that could cost more than is left (default true).
   */
  budgets?: { thresholds?: number[]; refusals?: boolean } | false;
  /**
   * Circuit alerts (`gateway:circuit-breaker`), or `false` for none: when a deployment's circuit
   * opens, and when it closes again. `quietMs`: one deployment is told at most once in this long
   * (default 300000), so a flapping deployment does not flood the channel; a change inside it is
   * told when it ends, if the deployment is still not in the state last told.
   */
  circuits?: { quietMs?: number } | false;
  /**
   * Key alerts (`gateway:auth`), or `false` for none: keys that expire within `expiringWithinDays`
   * (default 7), looked at once an hour by one replica from when the gateway is ready, each told
   * once for its expiry date, those one look finds in one alert.
   */
  keys?: { expiringWithinDays?: number } | false;
  /** Milliseconds each try to deliver an alert may take. Default 5000. */
  timeoutMs?: number;
}

const defaults = { budgets: { thresholds: [0.8], refusals: true }, circuits: { quietMs: 300_000 }, keys: { expiringWithinDays: 7 }, timeoutMs: 5000 } satisfies Partial<AlertsOptions>;

/** How long shutdown waits for queued alerts to be delivered. */
const CLOSE_GRACE_MS = 5000;

export const alerts = definePlugin<AlertsOptions, typeof defaults>({
  name: 'gateway:alerts',
  // A Slack webhook's URL is its secret, and a signing secret is one: neither is printed in a config error.
  secretOptions: ['webhooks'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      webhooks: { type: 'array', minItems: 1, maxItems: 16, items: webhookSchema },
      budgets: {
        anyOf: [
          { const: false },
          {
            type: 'object',
            additionalProperties: false,
            properties: {
              thresholds: { type: 'array', maxItems: 10, uniqueItems: true, items: { type: 'number', exclusiveMinimum: 0, maximum: 1 } },
              refusals: { type: 'boolean' },
            },
          },
        ],
      },
      circuits: { anyOf: [{ const: false }, { type: 'object', additionalProperties: false, properties: { quietMs: { type: 'integer', minimum: 0 } } }] },
      keys: { anyOf: [{ const: false }, { type: 'object', additionalProperties: false, properties: { expiringWithinDays: { type: 'number', exclusiveMinimum: 0, maximum: 365 } } }] },
      timeoutMs: { type: 'integer', minimum: 1 },
    },
  },
  defaults,
  setup(host, options) {
    const source = hostname();
    const given = options.webhooks ?? webhooksFromEnv(process.env);
    // Not a reason to refuse to start (nor `check` or `route` where the secret is not set): said, and alerts go to the log.
    if (given.length === 0) host.logger.warn('gateway:alerts has no webhook (give it `webhooks`, or set LLM_GATEWAY_ALERTS_WEBHOOK_URL): alerts are only written to the log');
    const webhooks = given.map((webhook) => new Webhook(webhook, host.logger, options.timeoutMs, source));
    const claims = new FirstClaim(host.store.counters);
    // The last alerts, for a panel on the dashboard's Overview (shown where the dashboard is configured).
    const recent = new RecentAlerts(host.store, host.logger);
    host.addPanel(recent.panel());
    /**
     * Sends the alert to every webhook; `undelivered` runs when none of them took it and one may
     * yet (not when each refused it for good: sent again, it would be refused again).
     */
    const raise = (alert: Alert, undelivered?: () => void) => {
      host.logger.info(`alert: ${alert.type}`, { ...alert });
      recent.add(alert);
      let waiting = webhooks.length;
      let delivered = false;
      let worthAgain = false;
      const settled = (outcome: Delivery) => {
        delivered ||= outcome === 'delivered';
        worthAgain ||= outcome === 'failed';
        if (--waiting === 0 && !delivered && worthAgain) undelivered?.();
      };
      for (const webhook of webhooks) webhook.send(alert, settled);
    };
    /** Claims being given back: a shutdown waits for them (the store closes after the plugins). */
    const givingBack = new Set<Promise<void>>();
    const giveBack = (name: string) => {
      const given = claims.release(name).finally(() => givingBack.delete(given));
      givingBack.add(given);
    };
    const failed = (error: Error) => host.logger.warn('alerts: could not raise an alert', { error: error.message });
    /**
     * Sends the alert when this replica is the first to claim `name` until `until`; an alert no
     * webhook took gives its claim back, so the next occasion (a request settling, a refusal) sends it.
     */
    const raiseOnce = (name: string, until: number, alert: () => Alert) =>
      void claims
        .claim(name, until)
        .then((first) => first && raise(alert(), () => giveBack(name)))
        .catch(failed);

    // WithDefaults cannot type an option that is either false or an object with defaults.
    const budgets = options.budgets as false | { thresholds: number[]; refusals: boolean };
    const circuits = options.circuits as false | { quietMs: number };
    const keys = options.keys as false | { expiringWithinDays: number };

    // Budgets: on each settle, the highest threshold a window has reached; on a refusal, which kind.
    if (budgets) watchBudgets(host.events, budgets, claims, raiseOnce);
    // Circuits: each change, at most one alert a deployment in the quiet time, then the state it is in.
    const notices = circuits ? new CircuitNotices(claims, host.store.kv('alerts:circuits'), circuits.quietMs, (deployment) => circuitStateNow(host, deployment), raise) : undefined;
    if (notices) {
      // Half-open is the breaker's own step between the two (a probe is let through): not told.
      host.events.on('circuit:change', (deployment: string, _from: CircuitState, to: CircuitState) => {
        if (to !== 'half_open') void notices.changed(deployment, to).catch(failed);
      });
    }
    // Keys: once an hour, by one replica, those about to expire.
    const expiring = keys ? watchExpiringKeys(host, keys.expiringWithinDays, claims, raise) : undefined;

    return {
      async close() {
        notices?.close();
        expiring?.close();
        await Promise.all(webhooks.map((webhook) => webhook.close(CLOSE_GRACE_MS)));
        // The claims of alerts cut or left queued go back before the store closes: another
        // replica, or this one restarted, sends them at their next occasion.
        await withinMs(CLOSE_GRACE_MS, Promise.allSettled([...givingBack])).catch(() => undefined);
      },
    };
  },
});

/** The deployment's circuit as the breaker sees it now; half-open (not answered yet) counts as open. */
async function circuitStateNow(host: PluginHost, deployment: string): Promise<ToldState | undefined> {
  const found = (await host.tryResolve(circuitBreakerState)?.snapshot())?.find((circuit) => circuit.deployment === deployment);
  return found === undefined ? undefined : found.state === 'closed' ? 'closed' : 'open';
}

export type { Alert, BudgetAlert, CircuitAlert, KeysAlert } from './messages.js';
export { webhooksFromEnv, type Delivery, type WebhookOptions } from './webhook.js';
