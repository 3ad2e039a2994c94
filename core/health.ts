/**
 * The health tracker: per deployment (provider + model), moving averages of latency to the first
 * byte of the answer (first chunk for streams) and of the error rate, fed from finished requests
 * off the response path. Routing strategies and the provider endpoints read it. Deployments nobody
 * configured (a client-chosen `provider/model`) are kept in a capped LRU (deployment-map.ts).
 */
import type { Attempt, GatewayContext } from './context.js';
import { classifyFailure } from './errors.js';
import type { Target } from './providers/provider.js';
import { DeploymentMap } from './deployment-map.js';

export interface DeploymentHealth {
  readonly deployment: string;
  readonly provider: string;
  readonly model: string;
  requests: number;
  failures: number;
  /**
   * Exponential moving average, ms; undefined until a success was seen. A sample after a silence
   * weighs more (half the average after a minute, nearly all of it after five): the average of a
   * deployment nobody used for a while is old news, and least-latency measures such one again.
   */
  latencyMs: number | undefined;
  /** Exponential moving average of failures (0 = always fine, 1 = always failing). */
  errorRate: number;
  lastError?: string;
  lastErrorAt?: number;
  lastSuccessAt?: number;
}

/** Weight of the newest sample in the moving averages. */
const ALPHA = 0.2;
/** After how long without a success a new latency sample weighs half the average. */
const LATENCY_HALF_LIFE_MS = 60_000;

export class HealthTracker {
  private readonly byDeployment: DeploymentMap<DeploymentHealth>;

  /**
   * `isConfigured`: deployments always kept; others share a capped LRU of `cap` entries.
   * `generationOf`: a provider's generation now; an attempt sent with another (a provider pointed
   * elsewhere since, its old host's try ending late) says nothing of the host it has now.
   */
  constructor(
    isConfigured: (target: Target) => boolean = () => false,
    cap?: number,
    private readonly generationOf: (provider: string) => string | undefined = () => undefined,
  ) {
    this.byDeployment = new DeploymentMap(isConfigured, cap);
  }

  /** After a change of configuration: see `DeploymentMap.reconfigured`. */
  reconfigured(replaced: ReadonlySet<string>): void {
    this.byDeployment.reconfigured(replaced);
  }

  /** Records every finished attempt of a finished request. */
  recordRequest(ctx: GatewayContext): void {
    for (const attempt of ctx.attempts) this.record(attempt);
  }

  record(attempt: Attempt): void {
    if (attempt.outcome === 'pending' || attempt.generation !== this.generationOf(attempt.target.provider)) return;
    if (attempt.error && classifyFailure(attempt.error) === 'client_closed') return;
    const health = this.entry(attempt.target);
    health.requests++;
    const failed = attempt.outcome === 'error' && attempt.error !== undefined && classifyFailure(attempt.error) !== 'client';
    health.errorRate = health.errorRate + ALPHA * ((failed ? 1 : 0) - health.errorRate);
    const now = Date.now();
    if (failed) {
      health.failures++;
      health.lastError = attempt.error!.message;
      health.lastErrorAt = now;
      return;
    }
    const firstByte = attempt.firstChunkAt ?? attempt.headersAt;
    if (firstByte !== undefined) {
      const sample = firstByte - attempt.startedAt;
      const silence = now - (health.lastSuccessAt ?? now);
      const weight = Math.max(ALPHA, 1 - 0.5 ** (silence / LATENCY_HALF_LIFE_MS));
      health.latencyMs = health.latencyMs === undefined ? sample : health.latencyMs + weight * (sample - health.latencyMs);
    }
    health.lastSuccessAt = now;
  }

  get(target: Target): DeploymentHealth | undefined {
    return this.byDeployment.get(target);
  }

  all(): DeploymentHealth[] {
    return this.byDeployment.values();
  }

  private entry(target: Target): DeploymentHealth {
    return this.byDeployment.getOrCreate(target, (deployment) => ({ deployment, provider: target.provider, model: target.model, requests: 0, failures: 0, latencyMs: undefined, errorRate: 0 }));
  }
}

