/**
 * `gateway:circuit-breaker`: stop sending requests to a deployment (provider + model) that keeps
 * failing, and try it again carefully after a cooldown.
 *
 * Options: how many failures in what window open a circuit, how long it stays open, how many
 * probes a half-open circuit lets through, and which failures count. Around each upstream try:
 * an open circuit refuses at once with a retryable 503 (`circuit_open`, with `Retry-After`), so a
 * retry plugin placed before this one moves to the next target without waiting on a dead one;
 * a try's outcome updates the circuit. Every transition is a `circuit:change` event.
 *
 * @example
 * plugins: [retry(), circuitBreaker({ failureThreshold: 5, windowMs: 60_000, cooldownMs: 30_000 })]
 */
import { DeploymentMap, type FailureClass, GatewayError, classifyFailure, definePlugin, defineService, primeStream, refusedBeforeSending, toGatewayError } from 'llm-gateway/plugin';
import type { Target } from 'llm-gateway/provider-kit';

import { Circuit, type CircuitOptions, type CircuitState } from './circuit.js';

declare module 'llm-gateway/plugin' {
  interface GatewayEvents {
    /** A deployment's circuit changed state. */
    'circuit:change': [deployment: string, from: CircuitState, to: CircuitState];
  }
}

type CountedClass = Exclude<FailureClass, 'client' | 'client_closed'>;

export interface CircuitBreakerOptions extends Partial<CircuitOptions> {
  /** Failures that count against a deployment. Default: server errors, timeouts, connection failures. */
  countOn?: CountedClass[];
}

export interface CircuitBreakerState {
  /** Every deployment this replica has seen (configured ones, and the most recent others up to a cap), with its (shared) state. */
  snapshot(): Promise<Array<{ deployment: string; state: CircuitState; recentFailures: number; retryInMs?: number }>>;
  /** The state of one deployment (closed when never seen; half-open once an open one may be probed). */
  stateOf(target: Target): Promise<CircuitState>;
}

/** Other plugins (routing strategies, the dashboard) read circuit states through this service. */
export const circuitBreakerState = defineService<CircuitBreakerState>('circuit-breaker:state');

const defaults = {
  failureThreshold: 5,
  windowMs: 60_000,
  cooldownMs: 30_000,
  halfOpenProbes: 1,
  countOn: ['timeout', 'connection', 'server'],
} satisfies CircuitBreakerOptions;

export const circuitBreaker = definePlugin<CircuitBreakerOptions, typeof defaults>({
  name: 'gateway:circuit-breaker',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      failureThreshold: { type: 'integer', minimum: 1 },
      windowMs: { type: 'integer', minimum: 1 },
      cooldownMs: { type: 'integer', minimum: 1 },
      halfOpenProbes: { type: 'integer', minimum: 1 },
      countOn: { type: 'array', uniqueItems: true, items: { enum: ['rate_limit', 'timeout', 'connection', 'server'] } },
    },
  },
  defaults,
  setup(host, options) {
    const counted = new Set<FailureClass>(options.countOn);
    // The state lives in the store (windows that expire); this map only holds the objects reading
    // it, bounded: configured deployments, and an LRU of others (a client may name any model).
    const circuits = new DeploymentMap<Circuit>((target) => host.models.isConfigured(target));
    const { counters } = host.store;
    const announce = (deployment: string, from: CircuitState, to: CircuitState) => {
      host.logger[to === 'open' ? 'warn' : 'info'](`circuit ${deployment}: ${from} → ${to}`);
      host.events.emit('circuit:change', deployment, from, to);
    };

    host.events.on('config:change', (_now, replaced) => circuits.reconfigured(replaced));

    // A circuit is of the provider as it is configured now (`providerGeneration`): one pointed at
    // another host or given other credentials starts closed, on every replica at once, and a try
    // of the old one that ends later is counted in the old one's circuit (taken before the call).
    // An old generation's circuit (its host's late tries) says nothing of the deployment as it is served now: it is not announced.
    const circuitFor = (target: Target): Circuit => {
      const generation = host.providerGeneration(target.provider) ?? '';
      return circuits.ofGeneration(target, generation, (deployment) =>
        new Circuit(`${deployment}#${generation}`, options, counters, (from, to) => host.providerGeneration(target.provider) === generation && announce(deployment, from, to), generation),
      );
    };
    const snapshot = async (filter: (deployment: string) => boolean) =>
      Promise.all(circuits.entries().filter(([deployment]) => filter(deployment)).map(async ([deployment, circuit]) => ({ deployment, ...(await circuit.snapshot(Date.now())) })));

    host.addProviderStatus({ name: 'breaker', status: (providerId, visible) => snapshot((deployment) => deployment.startsWith(`${providerId}/`) && (!visible || visible(deployment))) });
    host.provide(circuitBreakerState, {
      snapshot: () => snapshot(() => true),
      // Ask the store even for a deployment this replica never called: another may have opened it.
      stateOf: (target) => circuitFor(target).state(),
    });

    return {
      upstream: (next) =>
        async function guardWithCircuit(call) {
          const circuit = circuitFor(call.target);
          // A closed circuit on in-process counters answers at once: no promise to wait for.
          const admitted = circuit.admit();
          const admission = admitted instanceof Promise ? await admitted : admitted;
          if (!admission.allowed) {
            throw new GatewayError('unavailable', `${call.target.provider}/${call.target.model}: circuit open after repeated failures; next try in ${Math.ceil(admission.retryInMs / 1000)} s`, {
              code: 'circuit_open',
              provider: call.target.provider,
              retryable: true,
              retryAfterSeconds: admission.retryInMs / 1000,
            });
          }
          try {
            const result = await next(call);
            // A stream answers when its first meaningful chunk comes, not with its headers: one that
            // fails before that is a failed try of this deployment (priming is done once; the retry
            // and the exchange find the stream primed).
            const answered = result.kind === 'stream' ? { ...result, chunks: await primeStream(result.chunks) } : result;
            const noted = circuit.succeeded(admission.probe);
            if (noted) await noted;
            return answered;
          } catch (cause) {
            const error = toGatewayError(cause);
            const kind = classifyFailure(error);
            // The gateway's own refusal (rate limits after this plugin) reached no deployment: no verdict.
            if (kind === 'client_closed' || refusedBeforeSending(error)) await circuit.released(admission.probe);
            else if (counted.has(kind)) await circuit.failed(Date.now());
            else await circuit.succeeded(admission.probe); // a client error proves the deployment answers
            throw error;
          }
        },
    };
  },
});
export type { CircuitState } from './circuit.js';
