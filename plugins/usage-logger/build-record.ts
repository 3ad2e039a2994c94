/** One usage record from a finished request's context: what the usage log stores. */
import type { GatewayContext } from 'llm-gateway/plugin';
import { callerKeySlot } from 'llm-gateway/plugins/auth';
import type { Pricing } from 'llm-gateway/plugins/cost';
import { usageOf } from 'llm-gateway/plugins/token-counter';
import type { DeferredBody, UsageRecordInput } from './log/record.js';

export interface Bodies {
  request?: string | DeferredBody;
  response?: string | DeferredBody;
}

export function buildRecord(ctx: GatewayContext, pricing: Pricing, bodies: Bodies): UsageRecordInput {
  const served = ctx.servedBy ?? ctx.attempts.at(-1)?.target;
  // Only an answer that started is billed; refusals and failed tries spend nothing.
  const { usage, estimated } = ctx.servedBy ? usageOf(ctx) : { usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }, estimated: false };
  const costMicros = ctx.servedBy ? pricing.costMicros(ctx.servedBy, usage) : 0;
  const key = ctx.get(callerKeySlot);
  const totalMs = ctx.timings.totalMs ?? ctx.elapsed();
  const status = ctx.error?.status ?? ctx.http.res.statusCode;
  return {
    requestId: ctx.id,
    startedAt: new Date(Date.now() - totalMs),
    endpoint: ctx.endpoint,
    keyId: key?.id ?? null,
    team: key?.team ?? null,
    requestedModel: ctx.route?.requestedModel ?? ctx.request.model,
    provider: served?.provider ?? null,
    model: served?.model ?? null,
    status,
    outcome: ctx.outcome ?? (ctx.error ? 'error' : 'ok'),
    attempts: ctx.attempts.map((a) => ({
      provider: a.target.provider,
      model: a.target.model,
      ...(a.status !== undefined ? { status: a.status } : {}),
      ...(a.error ? { error: a.error.message } : {}),
      ...(a.endedAt !== undefined ? { latencyMs: Math.round(a.endedAt - a.startedAt) } : {}),
    })),
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
    cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: usage.prompt_tokens_details?.cache_write_tokens ?? 0,
    reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
    tokensEstimated: estimated,
    costUsd: costMicros === undefined ? null : costMicros / 1e6,
    latencyMs: Math.round(totalMs),
    ttftMs: ctx.timings.firstByteMs === undefined ? null : Math.round(ctx.timings.firstByteMs),
    cache: 'none',
    stream: ctx.request.stream === true,
    errorCode: ctx.error?.code ?? (ctx.error ? ctx.error.type : null),
    requestBody: bodies.request ?? null,
    responseBody: bodies.response ?? null,
    metadata: stringMap(ctx.request.metadata),
  };
}

/** The request's `metadata`, when it is a map of strings (OpenAI's shape). */
function stringMap(value: unknown): Record<string, string> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string');
  return entries.length > 0 ? Object.fromEntries(entries) : null;
}
