/**
 * `gateway:metrics`: Prometheus metrics at `GET /metrics` (text format, `prom-client`).
 *
 * Requests by front-end, provider, model, status class and outcome; request, upstream, time to
 * first token and gateway overhead durations; tokens (OpenTelemetry's `gen_ai.client.token.usage`,
 * plus cached and reasoning), cost in USD, retries and fallbacks, circuit states, rate-limit
 * headroom, cache outcomes, the usage log's queue, requests and streams in flight, and Node's
 * process metrics. See docs/observability.md for the table.
 *
 * An observer: it listens to events and reads the finished request's context; it adds nothing to
 * a request's path. `prom-client` is loaded only when this plugin is configured. Labels that come
 * from outside a fixed set (models, keys, teams) keep at most `maxLabelValues` values each; later
 * ones are counted as `other`. Key and team labels appear only when `labels.key` / `labels.team`
 * are on.
 *
 * @example
 * plugins: [metrics()]                                          // GET /metrics on the gateway's port, public
 * plugins: [metrics({ port: 9464, bearerToken: process.env.METRICS_TOKEN })]       // its own port, a token to read it
 * plugins: [metrics({ access: 'admin', labels: { key: true, team: true } })]
 */
import { definePlugin, defineService, type RouteDefinition } from 'llm-gateway/plugin';

export interface MetricsOptions {
  /** Where the metrics are served. Default `/metrics`. */
  path?: string;
  /** Serve them on a port of their own (0: a free one) instead of the gateway's. */
  port?: number;
  /** The host that port listens on. Default: the gateway's `server.host`. */
  host?: string;
  /**
   * Who may read them on the gateway's port: `public` (the default: what Prometheus expects),
   * `key` (a gateway key) or `admin` (the admin key), checked by the auth plugin when configured.
   */
  access?: 'public' | 'key' | 'admin';
  /** A token Prometheus sends as `Authorization: Bearer <token>` (its `authorization.credentials`). Default: LLM_GATEWAY_METRICS_TOKEN. */
  bearerToken?: string;
  /** Label requests, tokens and cost by gateway key name and by team (off by default: one series per key). */
  labels?: { key?: boolean; team?: boolean };
  /** Most distinct values a label from outside a fixed set keeps (models, keys, teams); later ones are `other`. Default 200. */
  maxLabelValues?: number;
  /** A label value not seen for this long is let go, with its series (a revoked key, a model no longer asked). Default 1 hour. */
  labelIdleMs?: number;
  /** Node's process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
  /** A prefix for every metric name, e.g. `myteam_`. Default none. */
  prefix?: string;
}


export interface MetricsEndpoint {
  /** The separate port's metrics URL, when `port` is set (with port 0, the port it got). */
  readonly url: string | undefined;
  /** The metrics in Prometheus text format, as a scrape would get them. */
  render(): Promise<string>;
}

/** Where the metrics are served, and the text itself (for embedding programs and tests). */
export const metricsEndpoint = defineService<MetricsEndpoint>('metrics:endpoint');

const defaults = {
  path: '/metrics',
  access: 'public',
  labels: { key: false, team: false },
  maxLabelValues: 200,
  labelIdleMs: 3_600_000,
  processMetrics: true,
  prefix: '',
} satisfies MetricsOptions;

export const metrics = definePlugin<MetricsOptions, typeof defaults>({
  name: 'gateway:metrics',
  secretOptions: ['bearerToken'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      path: { type: 'string', pattern: '^/' },
      port: { type: 'integer', minimum: 0, maximum: 65535 },
      host: { type: 'string', minLength: 1 },
      access: { enum: ['public', 'key', 'admin'] },
      bearerToken: { type: 'string', minLength: 16 },
      labels: { type: 'object', additionalProperties: false, properties: { key: { type: 'boolean' }, team: { type: 'boolean' } } },
      maxLabelValues: { type: 'integer', minimum: 1 },
      labelIdleMs: { type: 'integer', minimum: 1 },
      processMetrics: { type: 'boolean' },
      prefix: { type: 'string', pattern: '^([a-zA-Z_][a-zA-Z0-9_]*)?$' },
    },
  },
  defaults,
  async setup(host, options) {
    // Loaded here, not at import: a gateway without this plugin never loads prom-client.
    const { startMetrics } = await import('./start-metrics.js');
    return startMetrics(host, { ...options, bearerToken: options.bearerToken ?? process.env.LLM_GATEWAY_METRICS_TOKEN, access: options.access as NonNullable<RouteDefinition['access']> });
  },
});
