/** One usage record from a finished request's context: what the usage log stores. */
import { newRequestId, type Attempt, type GatewayContext, type Usage } from 'llm-gateway/plugin';
import { callerKeySlot, keptReservationMicros } from 'llm-gateway/plugins/auth';
import { cacheHitSlot, cacheOutcome, type CacheHitInfo } from 'llm-gateway/plugins/cache';
import type { Pricing } from 'llm-gateway/plugins/cost';
import { usageOf } from 'llm-gateway/plugins/token-counter';
import type { DeferredBody, UsageAttempt, UsageRecord, UsageRecordInput } from './log/record.js';
import { boundedMetadata } from './metadata.js';

export interface Bodies {
  request?: string | DeferredBody;
  response?: string | DeferredBody;
}

export function buildRecord(ctx: GatewayContext, pricing: Pricing, bodies: Bodies): UsageRecordInput {
  const record = upstreamRecord(ctx, pricing, bodies);
  const hit = ctx.get(cacheHitSlot);
  return hit ? { ...record, ...cacheHitFields(hit) } : record;
}

function upstreamRecord(ctx: GatewayContext, pricing: Pricing, bodies: Bodies): UsageRecordInput {
  const served = ctx.servedBy ?? ctx.attempts.at(-1)?.target;
  // Only an answer that started is billed; refusals and failed tries spend nothing.
  const { usage, estimated } = ctx.servedBy ? usageOf(ctx) : { usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }, estimated: false };
  // An answer nobody measured costs what its key was charged for it (its budget's reservation,
  // kept whole), so the log and the key's spend agree; its tokens stay the estimate they are.
  const costMicros = keptReservationMicros(ctx) ?? (ctx.servedBy ? pricing.costMicros(ctx.servedBy, usage) : 0);
  const key = ctx.get(callerKeySlot);
  const totalMs = ctx.timings.totalMs ?? ctx.elapsed();
  const status = ctx.error?.status ?? ctx.http.res.statusCode;
  // A client's own x-request-id answers its request, but a client may send one twice (a retry
  // that keeps its trace id): the log's key is then an id of the gateway's, one per request, and
  // the client's is kept beside it, so that no request's record takes another's place.
  const fromClient = ctx.http?.req?.headers['x-request-id'] === ctx.id;
  return {
    requestId: fromClient ? newRequestId() : ctx.id,
    ...(fromClient ? { clientRequestId: ctx.id } : {}),
    startedAt: new Date(Date.now() - totalMs),
    endpoint: ctx.endpoint,
    keyId: key?.id ?? null,
    team: key?.team ?? null,
    requestedModel: ctx.route?.requestedModel ?? ctx.request.model,
    provider: served?.provider ?? null,
    model: served?.model ?? null,
    status,
    outcome: ctx.outcome ?? (ctx.error ? 'error' : 'ok'),
    attempts: ctx.attempts.map(attemptRecord),
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
    cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: usage.prompt_tokens_details?.cache_write_tokens ?? 0,
    cacheWrite1hTokens: writtenForAnHour(usage),
    reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
    tokensEstimated: estimated,
    costUsd: costMicros === undefined ? null : costMicros / 1e6,
    latencyMs: Math.round(totalMs),
    ttftMs: ctx.timings.firstByteMs === undefined ? null : Math.round(ctx.timings.firstByteMs),
    cache: ctx.get(cacheOutcome) ?? 'none',
    stream: ctx.request.stream === true,
    errorCode: ctx.error?.code ?? (ctx.error ? ctx.error.type : null),
    requestBody: bodies.request ?? null,
    responseBody: bodies.response ?? null,
    // Bounded as OpenAI bounds it (16 pairs, 64-character keys, 512-character values).
    metadata: boundedMetadata(ctx.request.metadata),
  };
}

/**
 * One try as the log keeps it, with only the fields it has, built field by field: spread in from
 * objects made for the purpose, each optional field cost an object made and then copied.
 */
function attemptRecord(a: Attempt): UsageAttempt {
  const attempt: UsageAttempt = { provider: a.target.provider, model: a.target.model };
  if (a.status !== undefined) attempt.status = a.status;
  if (a.error) attempt.error = a.error.message;
  if (a.endedAt !== undefined) attempt.latencyMs = Math.round(a.endedAt - a.startedAt);
  return attempt;
}

/**
 * An answer from the response cache: nobody was called and it cost nothing. The token counts are
 * the cached answer's (flagged by `cache`), what it cost when it was made is `savedCostUsd`.
 */
function cacheHitFields(hit: CacheHitInfo): Partial<UsageRecord> {
  const usage = hit.usage;
  const slash = hit.servedBy?.indexOf('/') ?? -1;
  return {
    provider: hit.servedBy && slash > 0 ? hit.servedBy.slice(0, slash) : null,
    model: hit.servedBy && slash > 0 ? hit.servedBy.slice(slash + 1) : null,
    promptTokens: usage?.prompt_tokens ?? 0,
    completionTokens: usage?.completion_tokens ?? 0,
    cachedTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: usage?.prompt_tokens_details?.cache_write_tokens ?? 0,
    cacheWrite1hTokens: usage ? writtenForAnHour(usage) : 0,
    reasoningTokens: usage?.completion_tokens_details?.reasoning_tokens ?? 0,
    tokensEstimated: false,
    costUsd: 0,
    savedCostUsd: hit.savedMicros === undefined ? null : hit.savedMicros / 1e6,
    cache: hit.outcome,
  };
}

/** Of the cache writes, those for an hour: never more than the writes themselves, as cost.ts bills them. */
function writtenForAnHour(usage: Usage): number {
  const details = usage.prompt_tokens_details;
  return Math.min(details?.cache_write_1h_tokens ?? 0, details?.cache_write_tokens ?? 0);
}
