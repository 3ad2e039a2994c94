/**
 * A client that leaves before its streamed answer started (the gateway still waiting for the
 * upstream's first chunk, or in retry's backoff between tries) is recorded as `client_aborted`
 * with the status of a closed request, 499 (core/errors.ts `client_closed: { status: 499 }`; the
 * usage log's own suite records abandoned requests so, test/plugins/usage-logger/log/usage-log-suite.ts):
 * the exchange (core/http/exchange.ts `followClient`) sets that status on a response whose headers
 * were never sent, and every record (usage log, metrics, access log, trace) reads it from there.
 * Before its fix, nothing set a status for such a request, so it was recorded with Koa's default
 * response status, 404: dashboards and `/admin/usage` counted it as a client's "not found" error,
 * and the status filter `4xx` found it among wrong model names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retry, usageLogger, usageLogService, type UsageRecord } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
    plugins: [usageLogger({ url: 'sqlite::memory:' }), retry({ attempts: 2, backoff: { initialMs: 2000, jitter: 'none' } })],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

async function leaveAfter(ms: number, requestId: string): Promise<void> {
  const controller = new AbortController();
  const pending = fetch(`${gw.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ model: 'mock/m', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    signal: controller.signal,
  }).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, ms));
  controller.abort();
  await pending;
}

/** The record of a request whose client sent its own x-request-id (kept as `clientRequestId`). */
async function recordByClientId(requestId: string): Promise<UsageRecord> {
  const log = gw.gateway.tryResolve(usageLogService)!;
  let record: UsageRecord | undefined;
  await expect
    .poll(async () => {
      await log.flush();
      record = (await log.list({})).records.find((r) => r.clientRequestId === requestId);
      return record;
    })
    .toBeDefined();
  return record!;
}

describe('a client that leaves before its stream started', () => {
  it('while the upstream has not answered yet: recorded client_aborted with 499, not 404', async () => {
    upstream.enqueue({ delayMs: 1500, stream: { chunks: wordChunks('too late') } });
    await leaveAfter(300, 'leave-waiting-1');
    const record = await recordByClientId('leave-waiting-1');
    expect(record.outcome).toBe('client_aborted');
    expect(record.status).not.toBe(404);
    expect(record.status).toBe(499);
  });

  it("during retry's backoff after a failed try: recorded client_aborted with 499, not 404", async () => {
    upstream.enqueue({ stream: { chunks: [chunk({ role: 'assistant', content: '' }), 'data: {"error":{"message":"overloaded"}}\n\n'], done: false } });
    await leaveAfter(400, 'leave-backoff-1');
    const record = await recordByClientId('leave-backoff-1');
    expect(record.outcome).toBe('client_aborted');
    expect(record.status).toBe(499);
  });
});
