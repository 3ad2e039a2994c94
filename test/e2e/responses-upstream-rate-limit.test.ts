/**
 * A Responses API request passed through to an OpenAI upstream (`/v1/responses` on the `openai`
 * type) whose stream reports a rate limit before any output, with OpenAI's `error` event
 * (`code: "rate_limit_exceeded"`) or `response.failed` with that error code, is a rate limit
 * (docs/reliability.md, "A host reports a failure inside an answer it began"): the client gets a
 * 429 `rate_limit_error` with the upstream's code, and the usage log a 429, so retry, fallback and
 * the circuit breaker treat it as one. The Responses adapter classifies the upstream's error by the
 * chat adapter's rule (provider kit `reportedUpstreamError`).
 *
 * Before its fix, plugins/responses/protocol/to-chat-response.ts made every reported failure a
 * GatewayError('upstream', ...) whatever its code, so the client and the usage log got a 502
 * `upstream_error`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { responsesSseEvent } from '../support/responses-wire.js';
import { usageRecordOf } from '../support/usage-records.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { oai: { type: 'openai', apiKey: 'sk-test', baseURL: upstream.baseURL, listModels: false } },
    plugins: [usageLogger({ url: 'sqlite::memory:' })],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const shell = { id: 'resp_1', object: 'response', created_at: 1, status: 'in_progress', model: 'gpt-4o', output: [], usage: null };
const start = [responsesSseEvent({ type: 'response.created', response: shell, sequence_number: 0 }), responsesSseEvent({ type: 'response.in_progress', response: shell, sequence_number: 1 })];

describe.each([
  ['an error event', responsesSseEvent({ type: 'error', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests', param: null, sequence_number: 2 })],
  ['response.failed', responsesSseEvent({ type: 'response.failed', response: { ...shell, status: 'failed', error: { code: 'rate_limit_exceeded', message: 'Rate limit reached for requests' } }, sequence_number: 2 })],
])('a Responses upstream that reports a rate limit with %s before any output', (_name, failure) => {
  it('is a 429 rate_limit_error to the client and in the usage log', async () => {
    upstream.enqueue({ stream: { chunks: [...start, failure], done: false } });
    const res = await fetch(`${gw.baseURL}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'oai/gpt-4o', stream: true, input: 'hi' }),
    });
    const body = (await res.json()) as { error: { type: string; code: string } };
    expect(body.error.code).toBe('rate_limit_exceeded');
    expect(res.status).toBe(429);
    expect(body.error.type).toBe('rate_limit_error');
    const record = await usageRecordOf(gw, res.headers.get('x-request-id')!);
    expect(record.status).toBe(429);
  });
});
