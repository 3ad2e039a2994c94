/**
 * The cache's steps for one request, which the plugin's middleware strings together: decide
 * whether and under which key the request is cacheable (`plan`), look it up exactly then
 * semantically (`lookup`), answer from an entry (`answer`), and keep a fresh answer (`keep`).
 */
import { matchesModelGlob, tapStream, type ChatCompletion, type ChatCompletionChunk, type GatewayContext, type Logger, type ModelLookup, type RouteDecision, type Target, type Usage } from 'llm-gateway/plugin';
import type { Pricing } from 'llm-gateway/plugins/cost';
import { authenticatedKey } from 'llm-gateway/plugins/auth';
import { withinMs } from 'llm-gateway/store';
import { readControls, type CacheControls, type CacheRequestOption } from './controls.js';
import type { CacheEntries, EntryMeta } from './entries.js';
import { assemble, responseFrom, sizeOf, storable, type CacheEntry } from './entry.js';
import { exactKey, modelOf, partitionKey, scopeOf, type Scope } from './key.js';
import { textToEmbed, type Embed, type SemanticOptions } from './semantic.js';
import type { CacheCounters, CacheOutcome } from './stats.js';
import { toBase64, type VectorIndex } from './vector-index.js';

export interface ResponseCacheOptions {
  ttlSeconds: number;
  scope: Scope;
  only: { deterministic: boolean; models?: string[]; endpoints?: string[] };
  semantic?: SemanticOptions;
}

export interface Plan {
  controls: CacheControls;
  key: string;
  scope: string;
  model: string;
  owner: string | null;
  operation: 'chat' | 'embeddings';
  /** Set when the semantic cache may answer or learn from this request. */
  semantic?: { partition: string; text: string; vector?: Float32Array; failed?: boolean };
}

export interface Hit {
  outcome: 'hit' | 'semantic-hit';
  key: string;
  entry: CacheEntry;
  ageSeconds: number;
  similarity?: number;
}

/** At most this many chunks of one stream are kept: a longer answer is not cached. */
const MAX_CHUNKS = 20_000;

export class ResponseCache {
  constructor(
    private readonly options: ResponseCacheOptions,
    private readonly deps: {
      entries: CacheEntries;
      counters: CacheCounters;
      models: ModelLookup;
      pricing: () => Pricing;
      embed?: Embed;
      index?: VectorIndex;
      logger: Logger;
    },
  ) {}

  /** Undefined when this request is not cacheable; otherwise its key and the client's controls. */
  plan(ctx: GatewayContext): Plan | undefined {
    // A request its front-end answers itself (a token count) has no model's answer to keep.
    if (ctx.answer) return undefined;
    const request = ctx.request;
    if (typeof request.n === 'number' && request.n > 1) return undefined;
    const { only } = this.options;
    if (only.deterministic && ctx.operation === 'chat' && request.temperature !== 0) return undefined;
    if (only.endpoints && !only.endpoints.includes(ctx.endpoint)) return undefined;
    const route = this.routeOf(ctx);
    const model = route && modelOf(route);
    if (!route || !model) return undefined;
    if (only.models && !only.models.some((glob) => matchesModelGlob(route.requestedModel, glob) || matchesModelGlob(model, glob))) return undefined;
    const controls = readControls(ctx.http.req.headers, ctx.requestOptions.cache as CacheRequestOption | undefined);
    const scope = scopeOf(ctx, this.options.scope);
    const operation = ctx.operation;
    const parts = { scope, model, operation, request: operation === 'embeddings' ? ctx.embeddings! : request, native: ctx.nativeRequest() };
    const plan: Plan = { controls, key: exactKey(parts), scope, model, owner: authenticatedKey(ctx.http)?.id ?? null, operation };
    // A request whose OpenAI view left something out (a document by URL or file id) is compared by
    // what it shows: the view alone would take two questions about two documents for one.
    const text = this.options.semantic && operation === 'chat' && ctx.translationLosses().length === 0 ? textToEmbed(request, this.options.semantic.maxTurns) : undefined;
    if (text !== undefined) plan.semantic = { partition: partitionKey({ ...parts, operation: 'chat' }), text };
    return plan;
  }

  /** The entry that answers this request: the exact one, else the nearest similar enough one. */
  async lookup(plan: Plan): Promise<Hit | undefined> {
    const maxAge = plan.controls.maxAgeSeconds;
    const fresh = (createdAt: number) => maxAge === undefined || Date.now() - createdAt <= maxAge * 1000;
    try {
      const entry = await this.deps.entries.get(plan.key);
      if (entry && fresh(entry.createdAt)) return { outcome: 'hit', key: plan.key, entry, ageSeconds: ageOf(entry) };
    } catch (error) {
      this.failed('store', error);
      return undefined;
    }
    if (!plan.semantic || !this.deps.embed || !this.deps.index) return undefined;
    const semantic = this.options.semantic!;
    try {
      plan.semantic.vector = await withinMs(semantic.timeoutMs, this.deps.embed(plan.semantic.text));
    } catch (error) {
      plan.semantic.failed = true; // not asked again for the write: one bounded wait per request
      this.failed('embeddings', error);
      return undefined;
    }
    const threshold = Math.max(semantic.threshold, plan.controls.threshold ?? 0);
    for (const { id, similarity } of this.deps.index.nearest(plan.semantic.partition, plan.semantic.vector)) {
      const meta = this.deps.entries.meta(id);
      if (similarity < threshold || !meta || !fresh(meta.createdAt) || meta.scope !== plan.scope) continue;
      const entry = await this.deps.entries.get(id).catch((error: unknown) => void this.failed('store', error));
      if (entry) return { outcome: 'semantic-hit', key: id, entry, ageSeconds: ageOf(entry), similarity };
    }
    return undefined;
  }

  /** Answers from the entry, without the upstream. */
  answer(ctx: GatewayContext, hit: Hit): void {
    ctx.response = responseFrom(hit.entry, ctx.operation === 'chat' && ctx.request.stream === true);
    ctx.http.set('x-gateway-cache-key', hit.key);
    ctx.http.set('age', String(hit.ageSeconds));
    if (hit.similarity !== undefined) ctx.http.set('x-gateway-cache-similarity', hit.similarity.toFixed(4));
  }

  /** Once the answer is complete and successful, keeps it (a stream when its last chunk passed). */
  async keep(ctx: GatewayContext, plan: Plan): Promise<void> {
    const response = ctx.response;
    if (!response || response.status !== 200 || ctx.error) return;
    if (response.kind === 'json') {
      if (storable(response.body)) await this.write(ctx, plan, { completion: structuredClone(response.body) });
    } else if (response.kind === 'embeddings') {
      await this.write(ctx, plan, { embeddings: structuredClone(response.body) });
    } else {
      ctx.response = { ...response, chunks: this.recording(ctx, plan, response.chunks) };
    }
  }

  count(outcome: CacheOutcome, plan: Plan | undefined, ctx: GatewayContext, hit?: Hit): void {
    const saved = hit ? { tokens: hit.entry.usage?.total_tokens ?? 0, micros: hit.entry.costMicros ?? 0 } : undefined;
    const model = plan?.model ?? this.routeOrUndefined(ctx);
    void this.deps.counters.count(outcome, model, plan?.owner ?? authenticatedKey(ctx.http)?.id ?? null, saved).catch((error: unknown) => this.failed('store', error));
  }

  /**
   * A tap, not a generator: it changes no chunk, so an upstream that speaks the client's own API
   * still has its events replayed to the client (a generator's copy would be translated).
   */
  private recording(ctx: GatewayContext, plan: Plan, chunks: AsyncIterable<ChatCompletionChunk>): AsyncIterable<ChatCompletionChunk> {
    const kept: ChatCompletionChunk[] = [];
    return tapStream(chunks, {
      chunk: (chunk) => {
        if (kept.length <= MAX_CHUNKS) kept.push(structuredClone(chunk));
      },
      end: async (error, letGo) => {
        // Only a stream that ended as a stream should is kept, before the client hears the end (bounded).
        if (error !== undefined || letGo || kept.length > MAX_CHUNKS) return;
        const completion = assemble(kept);
        if (storable(completion)) await this.write(ctx, plan, { completion, chunks: kept });
      },
    });
  }

  private async write(ctx: GatewayContext, plan: Plan, answer: { completion?: ChatCompletion; chunks?: ChatCompletionChunk[]; embeddings?: CacheEntry['embeddings'] }): Promise<void> {
    try {
      const now = Date.now();
      const ttlSeconds = Math.min(this.options.ttlSeconds, plan.controls.ttlSeconds ?? Infinity);
      if (ttlSeconds <= 0) return;
      const usage: Usage | undefined = answer.completion?.usage ?? ctx.usage ?? (answer.embeddings ? { ...answer.embeddings.usage, completion_tokens: 0 } : undefined);
      const servedBy: Target | undefined = ctx.servedBy;
      const costMicros = servedBy && usage ? this.deps.pricing().costMicros(servedBy, usage) : undefined;
      const entry: CacheEntry = {
        v: 1,
        operation: plan.operation,
        createdAt: now,
        expiresAt: now + ttlSeconds * 1000,
        model: plan.model,
        scope: plan.scope,
        owner: plan.owner,
        ...answer,
        ...(usage ? { usage } : {}),
        ...(costMicros !== undefined ? { costMicros } : {}),
        ...(servedBy ? { servedBy: `${servedBy.provider}/${servedBy.model}` } : {}),
      };
      const vector = plan.semantic?.vector ?? (plan.semantic && !plan.semantic.failed ? await this.embedForStore(plan.semantic.text) : undefined);
      const meta: EntryMeta = {
        key: plan.key,
        scope: plan.scope,
        model: plan.model,
        owner: plan.owner,
        bytes: sizeOf(entry),
        createdAt: now,
        expiresAt: entry.expiresAt,
        ...(plan.semantic && vector ? { partition: plan.semantic.partition, vector: toBase64(vector) } : {}),
      };
      await this.deps.entries.put(entry, meta);
    } catch (error) {
      this.failed('store', error);
    }
  }

  /** A refreshed answer was not looked up, so its text was not embedded yet. */
  private async embedForStore(text: string): Promise<Float32Array | undefined> {
    if (!this.deps.embed) return undefined;
    try {
      return await withinMs(this.options.semantic!.timeoutMs, this.deps.embed(text));
    } catch (error) {
      this.failed('embeddings', error);
      return undefined;
    }
  }

  private routeOf(ctx: GatewayContext): RouteDecision | undefined {
    try {
      return ctx.route ?? this.deps.models.resolve(ctx.request.model);
    } catch {
      return undefined; // an unknown model: the kernel answers it
    }
  }

  private routeOrUndefined(ctx: GatewayContext): string | undefined {
    const route = this.routeOf(ctx);
    return route && modelOf(route);
  }

  private failed(kind: 'store' | 'embeddings', error: unknown): void {
    this.deps.logger.debug(`cache ${kind} failure`, { error: (error as Error)?.message });
    void this.deps.counters.failed(kind).catch(() => undefined);
  }
}

function ageOf(entry: CacheEntry): number {
  return Math.max(0, Math.floor((Date.now() - entry.createdAt) / 1000));
}
