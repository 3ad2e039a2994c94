/**
 * `gateway:cache`: an exact and a semantic response cache, shared by replicas through the state
 * store, honest about cost.
 *
 * Configuring the plugin is the opt-in: every request is then cacheable except `n > 1` (narrow it
 * with `only`). On the way in: the client's controls are read (`Cache-Control`, `x-gateway-cache`,
 * `gateway.cache`), the request's key is made (see key.ts) and looked up, exactly, then, for a
 * short conversation, semantically; a hit becomes the answer and the upstream is never called. On
 * the way out: a complete, successful answer is kept (a stream once its last chunk passed). Every
 * answer says `x-gateway-cache: hit|semantic-hit|miss|skip|refresh`; a hit also its key and `age`.
 * A hit costs nothing: the usage log records it as such, with the saved cost apart, and budgets
 * are charged nothing.
 *
 * Place it after routing plugins (gateway:routing, gateway:rules): the key uses the route they chose.
 *
 * @example
 * plugins: [auth(), routing(), cache({ ttlSeconds: 3600, semantic: { model: 'openai/text-embedding-3-small' } })]
 */
import { definePlugin, defineService, defineSlot, type GatewayContext } from 'llm-gateway/plugin';
import { defaultPricing, pricing } from 'llm-gateway/plugins/cost';
import type { CacheAdmin } from './admin.js';
import { cacheRequestOption } from './controls.js';
import { CacheEntries, type EntryMeta } from './entries.js';
import { ResponseCache, type Hit } from './response-cache.js';
import { addCacheRoutes } from './routes.js';
import { embedder, type SemanticOptions } from './semantic.js';
import { CacheCounters, type CacheOutcome } from './stats.js';
import { fromBase64, VectorIndex } from './vector-index.js';
import type { Scope } from './key.js';

export interface CacheOptions {
  /** How long an answer is kept. Default 3600. */
  ttlSeconds?: number;
  /** Whose requests share entries: the caller's gateway `key` (default), its `team`, or `global`. */
  scope?: Scope;
  /** Cap on entries (least recently used go first). Default 10,000. */
  maxEntries?: number;
  /** Cap on stored bytes. Default 256 MiB. */
  maxBytes?: number;
  /** Narrow what is cached: only `temperature: 0` requests, only these models (globs) or endpoints. */
  only?: { deterministic?: boolean; models?: string[]; endpoints?: string[] };
  /** The semantic cache: off unless an embeddings model is named. */
  semantic?: { model: string; threshold?: number; maxTurns?: number; timeoutMs?: number };
  /** Bound on each wait for the store. Default 250 ms. */
  storeTimeoutMs?: number;
  /** How often a replica reads what others added. Default 2000 ms. */
  syncIntervalMs?: number;
}

/** What the cache did with a request (`skip` also when it was not cacheable), for metrics and logs. */
export const cacheOutcome = defineSlot<CacheOutcome>('gateway:cache:outcome');

/** A request answered from the cache: what it saved, for the usage log. */
export interface CacheHitInfo {
  outcome: 'hit' | 'semantic-hit';
  key: string;
  ageSeconds: number;
  /** Token usage of the cached answer (what it cost when it was made). */
  usage: Hit['entry']['usage'];
  /** What the cached answer cost when it was made, in micro-dollars; undefined without a price. */
  savedMicros: number | undefined;
  /** `provider/model` that made the cached answer. */
  servedBy: string | undefined;
  similarity?: number;
}
export const cacheHitSlot = defineSlot<CacheHitInfo>('gateway:cache:hit');

/** Stats and clearing, for the dashboard. */
export const cacheAdmin = defineService<CacheAdmin>('cache:admin');

const defaults = {
  ttlSeconds: 3600,
  scope: 'key',
  maxEntries: 10_000,
  maxBytes: 256 * 1024 * 1024,
  only: { deterministic: false },
  storeTimeoutMs: 250,
  syncIntervalMs: 2000,
} satisfies CacheOptions;

const SEMANTIC_DEFAULTS = { threshold: 0.95, maxTurns: 1, timeoutMs: 500 };

export const cache = definePlugin<CacheOptions, typeof defaults>({
  name: 'gateway:cache',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ttlSeconds: { type: 'integer', minimum: 1 },
      scope: { enum: ['key', 'team', 'global'] },
      maxEntries: { type: 'integer', minimum: 1 },
      maxBytes: { type: 'integer', minimum: 1 },
      only: {
        type: 'object',
        additionalProperties: false,
        properties: {
          deterministic: { type: 'boolean' },
          models: { type: 'array', items: { type: 'string', minLength: 1 } },
          endpoints: { type: 'array', items: { type: 'string', minLength: 1 } },
        },
      },
      semantic: {
        type: 'object',
        additionalProperties: false,
        required: ['model'],
        properties: {
          model: { type: 'string', minLength: 1 },
          threshold: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
          maxTurns: { type: 'integer', minimum: 1 },
          timeoutMs: { type: 'integer', minimum: 1 },
        },
      },
      storeTimeoutMs: { type: 'integer', minimum: 1 },
      syncIntervalMs: { type: 'integer', minimum: 10 },
    },
  },
  defaults,
  requestOptions: { cache: cacheRequestOption },
  async setup(host, options) {
    const semantic: SemanticOptions | undefined = options.semantic && { ...SEMANTIC_DEFAULTS, ...options.semantic };
    const index = semantic ? await VectorIndex.create() : undefined;
    const counters = new CacheCounters(host.store.counters);
    const entries = new CacheEntries(
      host.store.kv('cache'),
      host.store.counters,
      { maxEntries: options.maxEntries, maxBytes: options.maxBytes, storeTimeoutMs: options.storeTimeoutMs, syncIntervalMs: options.syncIntervalMs, logTtlMs: options.ttlSeconds * 1000, dataLosses: () => host.store.dataLosses ?? 0 },
      {
        added(meta: EntryMeta) {
          if (index && meta.vector && meta.partition) index.add(meta.partition, meta.key, fromBase64(meta.vector));
        },
        removed(meta: EntryMeta) {
          index?.remove(meta.key);
        },
      },
      host.logger,
    );
    void entries.start();

    const responses = new ResponseCache(
      { ttlSeconds: options.ttlSeconds, scope: options.scope, only: options.only, ...(semantic ? { semantic } : {}) },
      {
        entries,
        counters,
        models: host.models,
        pricing: () => host.tryResolve(pricing) ?? defaultPricing(),
        ...(semantic && index ? { embed: embedder(host, semantic), index } : {}),
        logger: host.logger,
      },
    );

    const admin: CacheAdmin = {
      stats: (filter = {}) => counters.read(filter.keyId, entries.alive()),
      clear: (filter) => entries.clear(filter),
    };
    host.provide(cacheAdmin, admin);
    addCacheRoutes(host, admin);

    const tell = (ctx: GatewayContext, outcome: CacheOutcome) => {
      ctx.set(cacheOutcome, outcome);
      ctx.http.set('x-gateway-cache', outcome);
    };

    return {
      async middleware(ctx, next) {
        const plan = responses.plan(ctx);
        if (!plan || plan.controls.mode === 'skip') {
          tell(ctx, 'skip');
          responses.count('skip', plan, ctx);
          return next();
        }

        if (plan.controls.mode === 'use') {
          const hit = await responses.lookup(plan);
          if (hit) {
            tell(ctx, hit.outcome);
            ctx.set(cacheHitSlot, { outcome: hit.outcome, key: hit.key, ageSeconds: hit.ageSeconds, usage: hit.entry.usage, savedMicros: hit.entry.costMicros, servedBy: hit.entry.servedBy, ...(hit.similarity !== undefined ? { similarity: hit.similarity } : {}) });
            responses.count(hit.outcome, plan, ctx, hit);
            responses.answer(ctx, hit);
            return;
          }
        }

        const outcome = plan.controls.mode === 'refresh' ? 'refresh' : 'miss';
        tell(ctx, outcome);
        responses.count(outcome, plan, ctx);
        await next();
        await responses.keep(ctx, plan);
      },

      close() {
        entries.stop();
      },
    };
  },
});

export { FIELDS_OUTSIDE_THE_KEY } from './key.js';
export type { CacheAdmin } from './admin.js';
export type { ClearFilter } from './entries.js';
export type { CacheOutcome, CacheStats, ModelStats } from './stats.js';
export type { CacheControls, CacheMode } from './controls.js';
