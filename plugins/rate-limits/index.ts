/**
 * `gateway:rate-limits`: keep each provider and deployment within its limits, so that a request
 * goes to a target with headroom instead of being tried and failing.
 *
 * Options: configured limits (requests and tokens per minute and per day, concurrency) per
 * provider id or `provider/model`, and whether to learn from what providers say. Around each
 * upstream try: a scope at its limit refuses at once with a retryable 429
 * (`deployment_rate_limited`, `Retry-After` = when it frees up), which the retry plugin treats like
 * any other rate limit (next target, or a 429 with the earliest `Retry-After` when all are full).
 * On the way back it counts the request and its tokens, and reads the provider's rate-limit
 * headers and a 429's `Retry-After` to skip a deployment until its window resets.
 *
 * @example
 * plugins: [routing(), retry(), rateLimits({ limits: { groq: { rpm: 30, tpm: 6000 } } })]
 */
import { DeploymentMap, GatewayError, definePlugin, deploymentOf, defineService, tapStream, toGatewayError, type ResolvedConfig, type Target, type Usage } from 'llm-gateway/plugin';
import { Limiter, type Limits } from './limiter.js';
import { exhaustedUntil } from './provider-headers.js';

export interface RateLimitsOptions {
  /** Limits by provider id (`groq`) or deployment (`groq/llama-3.3-70b-versatile`). */
  limits?: Record<string, Limits>;
  /** Skip deployments their provider says are exhausted (rate-limit headers, 429 Retry-After). Default true. */
  learnFromProviders?: boolean;
}

export interface LimitHeadroom {
  /** False when the target's provider or deployment is at a limit (configured or told) right now. */
  hasHeadroom(target: Target): Promise<boolean>;
}

/** Read by the `usage-aware` routing strategy. */
export const limitHeadroom = defineService<LimitHeadroom>('rate-limits:headroom');

const limit = { type: 'integer', minimum: 1 };
const limitsSchema = { type: 'object', additionalProperties: false, properties: { rpm: limit, rpd: limit, tpm: limit, tpd: limit, concurrency: limit } };

const defaults = { learnFromProviders: true } satisfies RateLimitsOptions;

export const rateLimits = definePlugin<RateLimitsOptions, typeof defaults>({
  name: 'gateway:rate-limits',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limits: { type: 'object', additionalProperties: limitsSchema },
      learnFromProviders: { type: 'boolean' },
    },
  },
  defaults,
  // A provider's limits may also sit on its own entry (`providers.groq.limits`), where the
  // dashboard edits them live.
  providerOptions: { limits: limitsSchema },
  setup(host, options) {
    const { counters } = host.store;
    const limitersFor = (providers: ResolvedConfig['providers']) => {
      const limits: Record<string, Limits> = { ...options.limits };
      for (const { id, options: entry } of providers) if (entry.limits) limits[id] = entry.limits as Limits;
      return new Map(Object.entries(limits).map(([key, scoped]) => [key, new Limiter(key, scoped, counters)]));
    };
    let configured = limitersFor(host.config.providers);
    host.events.on('config:change', (now) => void (configured = limitersFor(now.providers)));
    // Deployments without configured limits: what providers told us lives in the store; the
    // limiters reading it are kept for configured deployments and an LRU of others.
    // Named with the provider's generation (`providerGeneration`): what the old host or account told
    // (a block until its Retry-After) does not hold back a provider pointed elsewhere.
    const learned = new DeploymentMap<Limiter>((target) => host.models.isConfigured(target));
    host.events.on('config:change', (_now, replaced) => learned.reconfigured(replaced));
    const learnedFor = (target: Target): Limiter => {
      const generation = host.providerGeneration(target.provider) ?? '';
      return learned.ofGeneration(target, generation, (deployment) => new Limiter(deployment, {}, counters, `${deployment}#${generation}`, generation));
    };

    /**
     * The provider's scope and the deployment's (if limited), and last the deployment's learned one
     * (always: it carries the blocks providers teach, named with the provider's generation even where
     * the operator configured the deployment's limits).
     */
    const scopesOf = (target: Target): Limiter[] => {
      const deployment = deploymentOf(target);
      const taught = learnedFor(target);
      const own = configured.get(deployment);
      const provider = configured.get(target.provider);
      if (!provider) return own ? [own, taught] : [taught];
      return own ? [provider, own, taught] : [provider, taught];
    };

    const countTokens = (scopes: Limiter[], usage: Usage | undefined) => {
      if (!usage) return undefined;
      const now = Date.now();
      return allOf(scopes.map((scope) => scope.usedTokens(usage.total_tokens ?? 0, now)));
    };

    host.provide(limitHeadroom, {
      hasHeadroom: async (target) => (await Promise.all(scopesOf(target).map((s) => s.hasHeadroom(Date.now())))).every(Boolean),
    });
    host.addProviderStatus({
      name: 'limits',
      status: async (providerId, visible) => {
        const now = Date.now();
        // The provider's own limits, and those of the deployments the caller may see.
        const scopes = [...configured.values(), ...learned.values()].filter((l) => l.key === providerId || (l.key.startsWith(`${providerId}/`) && (!visible || visible(l.key))));
        const shown = await Promise.all(scopes.map((l) => l.headroom(now)));
        return shown.filter((h) => Object.keys(h).length > 1);
      },
    });

    return {
      upstream: (next) =>
        async function stayWithinLimits(call) {
          const scopes = scopesOf(call.target);
          const deployment = scopes.at(-1)!;
          const now = Date.now();
          // Every scope at once: on a shared store each admission is a round trip.
          const admissions = scopes.map((scope) => scope.admit(now));
          const waits = admissions.some((a) => a instanceof Promise) ? await Promise.all(admissions) : (admissions as number[]);
          const refusedBy = waits.findIndex((waitMs) => waitMs > 0);
          if (refusedBy >= 0) {
            // A refused request counts nowhere: the scopes that admitted it give back what they took.
            await allOf(scopes.filter((_, i) => waits[i] === 0).map((s) => s.withdraw(now)));
            const scope = scopes[refusedBy]!;
            const waitMs = Math.max(...waits);
            throw new GatewayError('rate_limited', `${scope.key}: at its rate limit; it frees up in ${Math.ceil(waitMs / 1000)} s`, {
              code: 'deployment_rate_limited',
              provider: call.target.provider,
              retryable: true,
              retryAfterSeconds: waitMs / 1000,
            });
          }
          const end = () => allOf(scopes.map((s) => s.ended()));
          let handedOver = false;
          try {
            const result = await next(call);
            if (options.learnFromProviders) {
              const until = exhaustedUntil(result.headers, Date.now());
              if (until !== undefined) await deployment.block(learnedBlockMs(until - Date.now()));
            }
            if (result.kind !== 'stream') {
              const counting = countTokens(scopes, result.body.usage as Usage | undefined);
              if (counting) await counting;
              return result;
            }
            handedOver = true;
            const { ctx } = call;
            // The concurrency slot is held, and the tokens counted, until the stream is over.
            return {
              ...result,
              chunks: tapStream(result.chunks, {
                end: () => {
                  const ending = end();
                  return ending ? ending.then(() => countTokens(scopes, ctx.usage)) : countTokens(scopes, ctx.usage);
                },
              }),
            };
          } catch (cause) {
            const error = toGatewayError(cause);
            if (options.learnFromProviders && error.status === 429 && error.retryAfterSeconds !== undefined) {
              await deployment.block(learnedBlockMs(error.retryAfterSeconds * 1000));
            }
            throw error;
          } finally {
            // In-process counters give the slot back at once; only a shared store's step is waited for.
            const ending = handedOver ? undefined : end();
            if (ending) await ending;
          }
        },
    };
  },
});

/** Waits for the steps that went to a shared store; nothing to wait for when all were done at once. */
function allOf(steps: Array<void | Promise<unknown>>): void | Promise<unknown> {
  const pending = steps.filter((step) => step instanceof Promise);
  return pending.length > 0 ? Promise.all(pending) : undefined;
}

/**
 * The longest a provider's own word (Retry-After, a rate-limit reset) takes a deployment out: a
 * wrong or hostile value (years) would otherwise refuse every request for good, even after the
 * provider recovered. A real wait longer than this costs one request an hour to learn it again.
 */
const LONGEST_LEARNED_BLOCK_MS = 3_600_000;

function learnedBlockMs(ms: number): number {
  return Math.min(ms, LONGEST_LEARNED_BLOCK_MS);
}
