/** A usage record like those the bench's mock requests leave, for the usage-log benches. */
import type { UsageRecordInput } from '../plugins/usage-logger/log/record.js';

export function benchUsageRecord(requestId: string, requestBody: UsageRecordInput['requestBody'], responseBody: UsageRecordInput['responseBody']): UsageRecordInput {
  return {
    requestId,
    startedAt: new Date(),
    endpoint: 'chat.completions',
    keyId: 'key-a',
    team: null,
    requestedModel: 'mock/mock-small',
    provider: 'mock',
    model: 'mock-small',
    status: 200,
    outcome: 'ok',
    attempts: [{ provider: 'mock', model: 'mock-small', status: 200, latencyMs: 3 }],
    promptTokens: 60,
    completionTokens: 48,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    tokensEstimated: false,
    costUsd: 0.0001,
    latencyMs: 4,
    ttftMs: null,
    cache: 'miss',
    stream: false,
    errorCode: null,
    requestBody,
    responseBody,
    metadata: null,
  };
}
