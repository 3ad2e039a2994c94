/** Usage records for tests: sensible defaults, unique ids, fixed UTC dates. */
import type { UsageRecord } from '../../../../plugins/usage-logger/log/record.js';

/** 2025-01-10T00:00:00Z: a day boundary, so day buckets are easy to read. */
export const DAY1 = Date.UTC(2025, 0, 10);
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

let sequence = 0;

export function usageRecord(overrides: Partial<UsageRecord> = {}): UsageRecord {
  sequence++;
  return {
    requestId: `req-${String(sequence).padStart(6, '0')}-${Math.random().toString(36).slice(2, 8)}`,
    startedAt: new Date(DAY1),
    endpoint: 'chat.completions',
    keyId: 'key-a',
    team: 'team-1',
    requestedModel: 'gpt-4o',
    provider: 'openai',
    model: 'gpt-4o',
    status: 200,
    outcome: 'ok',
    attempts: [{ provider: 'openai', model: 'gpt-4o', status: 200, latencyMs: 120 }],
    promptTokens: 100,
    completionTokens: 20,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
    tokensEstimated: false,
    costUsd: 0.001,
    latencyMs: 150,
    ttftMs: 80,
    cache: 'miss',
    stream: false,
    errorCode: null,
    requestBody: null,
    responseBody: null,
    metadata: null,
    ...overrides,
  };
}

/** A price with a cheaper rate for cached prompt tokens, as the pricing plugin computes it ($ per million). */
export function priced(promptTokens: number, cachedTokens: number, completionTokens: number): number {
  return ((promptTokens - cachedTokens) * 2.5 + cachedTokens * 1.25 + completionTokens * 10) / 1e6;
}
