/**
 * A stream that fails before its first meaningful chunk is a failed try (core/stream.ts
 * `primeStream`): the client gets a real HTTP error, or another target's answer. Nothing is billed
 * to the failed try (plugins/usage-logger/build-record.ts: "Only an answer that started is billed;
 * refusals and failed tries spend nothing"; docs/keys-and-usage.md: "a request that never got an
 * answer costs 0"), and the usage log and `x-gateway-provider` name the target tried last: the
 * provider call (core/provider-call.ts `observeStream`) takes back `ctx.servedBy` from a try whose
 * stream failed before its answer started, and the next try that answers sets it again.
 * Before its fix, `servedBy` was set when the stream's headers arrived and never taken back, so the
 * record, the budget and `x-gateway-provider` took the failed try for the one that answered (its
 * estimated prompt billed, the failed target named).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cost, retry, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

let a: MockUpstream;
let b: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  [a, b] = await Promise.all([startMockUpstream(), startMockUpstream()]);
  gw = await startGateway({
    providers: {
      a: { type: 'openai-compatible', baseURL: a.baseURL, listModels: false },
      b: { type: 'openai-compatible', baseURL: b.baseURL, listModels: false },
    },
    models: { stack: { targets: ['a/m', 'b/m'] } },
    plugins: [cost({ prices: { 'a/m': { input: 1000, output: 1000 }, 'b/m': { input: 1000, output: 1000 } } }), usageLogger({ url: 'sqlite::memory:' }), retry({ attempts: 1, backoff: { initialMs: 0 } })],
  });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([a?.close(), b?.close()]);
});

const preambleThenError = { stream: { chunks: [chunk({ role: 'assistant', content: '' }), 'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n'], done: false } };

const ask = (model: string) =>
  fetch(`${gw.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hello there' }] }),
  });

describe('a stream that failed before its first chunk', () => {
  it('is recorded with no tokens and no cost when the client got an HTTP error', async () => {
    a.enqueue(preambleThenError);
    const res = await ask('a/m');
    expect(res.status).toBe(502);
    await res.text();
    const record = await usageRecordOf(gw, res.headers.get('x-request-id')!);
    expect(record.outcome).toBe('error');
    expect(record.costUsd).toBe(0);
    expect(record.promptTokens).toBe(0);
  });

  it('names the last target tried, not the failed first one, when the fallback failed too', async () => {
    a.enqueue(preambleThenError);
    b.enqueue({ status: 503, body: { error: { message: 'busy' } } });
    const res = await ask('stack');
    expect(res.status).toBe(503);
    await res.text();
    expect(res.headers.get('x-gateway-provider')).not.toBe('a');
    const record = await usageRecordOf(gw, res.headers.get('x-request-id')!);
    expect(record.provider).toBe('b');
    expect(record.costUsd).toBe(0);
  });
});
