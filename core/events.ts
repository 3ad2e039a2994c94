/**
 * The typed event bus. Observers (usage logging, metrics, the dashboard) listen here and never sit
 * on the response path: a listener that throws is logged and ignored, it cannot fail a request.
 */
import { EventEmitter } from 'eventemitter3';
import type { Attempt, GatewayContext } from './context.js';
import type { GatewayError } from './errors.js';
import type { Logger } from './logger.js';
import type { ProviderModel } from './providers/provider.js';
import type { Usage } from './protocol/openai.js';
import type { ResolvedProviders } from './config/resolve-providers.js';

export interface GatewayEvents {
  /** A client request was parsed and enters the request pipeline. */
  'request:start': [ctx: GatewayContext];
  /** An upstream try begins. */
  'attempt:start': [ctx: GatewayContext, attempt: Attempt];
  /** An upstream try ended: failed, or its answer (headers, for streams) arrived. */
  'attempt:end': [ctx: GatewayContext, attempt: Attempt];
  /** The answer starts going to the client: JSON about to be sent, or a stream's headers and first chunk. */
  response: [ctx: GatewayContext];
  /** Token usage is known for a finished request (reported by the upstream). Fires before `request:end`. */
  usage: [ctx: GatewayContext, usage: Usage];
  /** The exchange with the client is over (answer sent, error sent, or client gone); ctx.outcome says which. */
  'request:end': [ctx: GatewayContext];
  /** A failure the client saw (fires before `request:end`), or one in the background (a plugin's timer). */
  error: [error: GatewayError | Error, ctx?: GatewayContext];
  /** A provider's model list was refreshed (or failed to be). */
  'provider:models': [provider: string, models: readonly ProviderModel[], error?: GatewayError];
  /** The gateway finished starting and listens. */
  'gateway:ready': [];
  /** The gateway begins shutting down. */
  'gateway:closing': [];
  /**
   * Providers or virtual models changed while running (a live change): what is now in force, and
   * the providers `replaced` (removed, or rebuilt with other options: another host, other
   * credentials), whose per-deployment state (health, circuits, learned limits) starts afresh.
   */
  'config:change': [now: ResolvedProviders, replaced: ReadonlySet<string>];
}

export type GatewayEventName = keyof GatewayEvents;

export interface EventBus {
  on<E extends GatewayEventName>(event: E, listener: (...args: GatewayEvents[E]) => void): () => void;
  emit<E extends GatewayEventName>(event: E, ...args: GatewayEvents[E]): void;
  /** True when someone listens: lets the hot path skip building a payload nobody reads. */
  has(event: GatewayEventName): boolean;
}

export function createEventBus(logger: Logger): EventBus {
  const emitter = new EventEmitter();
  return {
    on(event, listener) {
      const safe = (...args: unknown[]) => {
        try {
          const result = (listener as (...a: unknown[]) => unknown)(...args);
          if (result instanceof Promise) result.catch((error: unknown) => logListenerFailure(logger, event, error));
        } catch (error) {
          logListenerFailure(logger, event, error);
        }
      };
      emitter.on(event, safe);
      return () => void emitter.off(event, safe);
    },
    emit(event, ...args) {
      emitter.emit(event, ...args);
    },
    has(event) {
      return emitter.listenerCount(event) > 0;
    },
  };
}

function logListenerFailure(logger: Logger, event: string, error: unknown): void {
  logger.error(`a listener of "${event}" failed; the request is unaffected`, { error: error as Error });
}
