/**
 * The metric families, in one registry per gateway. Names follow OpenTelemetry's GenAI semantic
 * conventions where one exists (`gen_ai.client.token.usage` → `gen_ai_client_token_usage`, with
 * its attribute names as labels), and `llm_gateway_*` for what only a gateway has.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds: from a cache hit (a millisecond) to a long generation (minutes). */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68];
/** The conventions' advice for time to first token, widened at both ends. */
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40];
const PER_TOKEN_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5];
/** What the gateway adds: well under a millisecond when all is well. */
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
/** The conventions' advice for `gen_ai.client.token.usage`. */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

const GEN_AI = ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model'] as const;

export interface InstrumentOptions {
  prefix: string;
  /** Label names added to requests, tokens and cost: `key`, `team`, as configured. */
  principalLabels: readonly string[];
  processMetrics: boolean;
}

export type Instruments = ReturnType<typeof createInstruments>;

export function createInstruments({ prefix, principalLabels, processMetrics }: InstrumentOptions) {
  const registry = new Registry();
  const registers = [registry];
  const p = (name: string) => `${prefix}${name}`;
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix });

  return {
    registry,
    requests: new Counter({
      name: p('llm_gateway_requests_total'),
      help: 'Client requests by front-end (API), provider and model that served them (or were last tried), HTTP status class and outcome.',
      labelNames: ['front_end', 'provider', 'model', 'status_class', 'outcome', ...principalLabels],
      registers,
    }),
    requestDuration: new Histogram({
      name: p('gen_ai_server_request_duration_seconds'),
      help: 'Time from a request\'s arrival to the end of its answer (gen_ai.server.request.duration).',
      labelNames: [...GEN_AI, 'front_end', 'error_type'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: p('gen_ai_server_time_to_first_token_seconds'),
      help: 'Streamed answers: time from the request\'s arrival to its first chunk sent to the client (gen_ai.server.time_to_first_token).',
      labelNames: [...GEN_AI, 'front_end'],
      buckets: TTFT_BUCKETS,
      registers,
    }),
    timePerOutputToken: new Histogram({
      name: p('gen_ai_server_time_per_output_token_seconds'),
      help: 'Streamed answers: time per output token after the first (gen_ai.server.time_per_output_token).',
      labelNames: [...GEN_AI],
      buckets: PER_TOKEN_BUCKETS,
      registers,
    }),
    upstreamDuration: new Histogram({
      name: p('gen_ai_client_operation_duration_seconds'),
      help: 'Each upstream try, from its start to the end of its answer (gen_ai.client.operation.duration).',
      labelNames: [...GEN_AI, 'error_type'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    overhead: new Histogram({
      name: p('llm_gateway_overhead_seconds'),
      help: 'Time the gateway itself added before the first byte: before the first upstream try, and between the upstream\'s answer and its delivery.',
      labelNames: ['front_end'],
      buckets: OVERHEAD_BUCKETS,
      registers,
    }),
    tokenUsage: new Histogram({
      name: p('gen_ai_client_token_usage'),
      help: 'Tokens per request by type, input or output (gen_ai.client.token.usage).',
      labelNames: [...GEN_AI, 'gen_ai_token_type'],
      buckets: TOKEN_BUCKETS,
      registers,
    }),
    tokens: new Counter({
      name: p('llm_gateway_tokens_total'),
      help: 'Tokens by type: input, output, and the parts of them that were cached input, cache writes and reasoning.',
      labelNames: ['provider', 'model', 'type', ...principalLabels],
      registers,
    }),
    cost: new Counter({
      name: p('llm_gateway_cost_usd_total'),
      help: 'What requests cost in US dollars, from the price table (gateway:cost).',
      labelNames: ['provider', 'model', ...principalLabels],
      registers,
    }),
    retries: new Counter({
      name: p('llm_gateway_retries_total'),
      help: 'Upstream tries that repeated the previous try\'s deployment.',
      labelNames: ['provider', 'model'],
      registers,
    }),
    fallbacks: new Counter({
      name: p('llm_gateway_fallbacks_total'),
      help: 'Upstream tries that moved to another deployment than the previous try\'s (labelled with the one moved to).',
      labelNames: ['provider', 'model'],
      registers,
    }),
    cache: new Counter({
      name: p('llm_gateway_cache_requests_total'),
      help: 'Requests by cache outcome (hit, semantic-hit, miss, skip, refresh), when a cache plugin is configured.',
      labelNames: ['front_end', 'outcome'],
      registers,
    }),
    inFlightRequests: new Gauge({
      name: p('llm_gateway_in_flight_requests'),
      help: 'Client requests being served now.',
      labelNames: ['front_end'],
      registers,
    }),
    inFlightStreams: new Gauge({
      name: p('llm_gateway_in_flight_streams'),
      help: 'Streamed answers being sent now.',
      labelNames: ['front_end'],
      registers,
    }),
    circuitTransitions: new Counter({
      name: p('llm_gateway_circuit_transitions_total'),
      help: 'Circuit breaker transitions by deployment and the state entered.',
      labelNames: ['provider', 'model', 'state'],
      registers,
    }),
  };
}

/** Gauges read when Prometheus scrapes, from the services that own the state. */
export function scrapedGauge(registry: Registry, name: string, help: string, labelNames: readonly string[], collect: (gauge: Gauge<string>) => Promise<void> | void): Gauge<string> {
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      await collect(this);
    },
  });
}

export function scrapedCounter(registry: Registry, name: string, help: string, read: () => number | undefined): Counter<string> {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const value = read();
      this.reset();
      if (value !== undefined && value > 0) this.inc(value);
    },
  });
}
