/**
 * `gateway:tracing`: OpenTelemetry traces with the GenAI semantic conventions, exported over
 * OTLP/HTTP (JSON) to a collector.
 *
 * A SERVER span per client request (continuing the client's W3C `traceparent`), and under it a
 * CLIENT span per upstream try, named `{gen_ai.operation.name} {gen_ai.request.model}`, with the
 * provider, the requested and answering models, the response id, finish reasons, token usage,
 * `error.type` and the routing decision (attempt number, fallback). Each try sends its own span's
 * `traceparent` upstream. Prompt and completion content only when `captureContent` is on (or
 * OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true), redacted and capped.
 *
 * Configured by the standard variables: OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, OTEL_BSP_*. Without an endpoint the plugin does
 * nothing and the OpenTelemetry SDK is never loaded.
 *
 * `order: 'post'`: its upstream hook sits innermost, next to the provider call, so it sees every
 * try a retry or fallback makes.
 *
 * @example
 * // OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 OTEL_SERVICE_NAME=llm-gateway npm start
 * plugins: [retry(), tracing()]
 */
import { definePlugin } from 'llm-gateway/plugin';

export interface TracingOptions {
  /** The collector's OTLP/HTTP base URL (`http://collector:4318`). Default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is) or OTEL_EXPORTER_OTLP_ENDPOINT (+ `/v1/traces`). */
  endpoint?: string;
  /** Default: OTEL_SERVICE_NAME, else `llm-gateway`. */
  serviceName?: string;
  /** Record prompts and completions on the spans (`gen_ai.input.messages`, `gen_ai.output.messages`), redacted. Default: OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, else false. */
  captureContent?: boolean;
  /** Regular expressions (as strings) to redact from captured content, besides keys, tokens, emails, phones and cards. */
  redact?: string[];
  /** Most characters of captured content per span attribute. Default 16384. */
  maxContentLength?: number;
  /** Send each try's `traceparent` (and the client's `tracestate`) upstream. Default true. */
  propagate?: boolean;
}

const defaults = { maxContentLength: 16_384, propagate: true } satisfies TracingOptions;

export const tracing = definePlugin<TracingOptions, typeof defaults>({
  name: 'gateway:tracing',
  order: 'post',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      endpoint: { type: 'string', pattern: '^https?://' },
      serviceName: { type: 'string', minLength: 1 },
      captureContent: { type: 'boolean' },
      redact: { type: 'array', items: { type: 'string', minLength: 1 } },
      maxContentLength: { type: 'integer', minimum: 0 },
      propagate: { type: 'boolean' },
    },
  },
  defaults,
  async setup(host, options) {
    const env = process.env;
    const url = options.endpoint ? tracesUrl(options.endpoint) : env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (env.OTEL_EXPORTER_OTLP_ENDPOINT ? tracesUrl(env.OTEL_EXPORTER_OTLP_ENDPOINT) : undefined);
    if (!url || env.OTEL_SDK_DISABLED === 'true') {
      host.logger.debug('no OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT): tracing is off');
      return;
    }
    // Loaded only now: a gateway that does not trace never loads the OpenTelemetry SDK.
    const { startTracing } = await import('./start-tracing.js');
    return startTracing(host, {
      url,
      serviceName: options.serviceName ?? env.OTEL_SERVICE_NAME,
      captureContent: options.captureContent ?? env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT?.toLowerCase() === 'true',
      redact: options.redact ?? [],
      maxContentLength: options.maxContentLength,
      propagate: options.propagate,
    });
  },
});

/** The signal path appended to a base endpoint, as the OTLP exporter specification says. */
function tracesUrl(base: string): string {
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}
