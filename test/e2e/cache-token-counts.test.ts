/**
 * Before its fix (a review of POST /v1/responses/input_tokens): gateway:cache loaded.
 *
 * The count is answered by the front-end itself at the end of the pipeline (`FrontEnd.answer`, see
 * core/dispatch.ts), with operation 'chat'. gateway:cache's middleware does not know that:
 * - on a miss it calls `responses.keep`, whose `storable(body)` reads `body.choices.length` of
 *   `{object: 'response.input_tokens', input_tokens}`: a TypeError, and the client gets a 500;
 * - its key leaves out `stream` and `store` and has no endpoint in it, so the same body sent to
 *   POST /v1/responses first leaves an entry that answers the count: the client is sent a
 *   `chat.completion` object instead of `response.input_tokens`, and the upstream was never asked.
 * (Anthropic's /v1/messages/count_tokens, which this endpoint now shares countInputTokens with, has
 * the same 500 under the cache.)
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
    plugins: [cache()],
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('POST /v1/responses/input_tokens with gateway:cache loaded', () => {
  it('counts (not a 500) when the cache has no entry for the request', async () => {
    // Expected: 200 {object: 'response.input_tokens', input_tokens: n} (openai-node
    // InputTokenCountResponse; docs/responses-api.md), as without the cache.
    // Actual: 500 {code: 'internal_error'}: the cache's keep() runs storable() on the count.
    const res = await fetch(`${gw.baseURL}/responses/input_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat/mock-small', input: 'How many tokens is this, on a miss?' }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect({ status: res.status, object: body.object }).toEqual({ status: 200, object: 'response.input_tokens' });
    expect(body.input_tokens).toBeGreaterThan(0);
  });

  it('is not answered with a cached response of POST /v1/responses for the same body', async () => {
    // Expected: the count object (client.responses.inputTokens.count resolves to
    // {object: 'response.input_tokens', input_tokens}).
    // Actual: the cache entry the /v1/responses call left (same key: stream/store are outside it,
    // the endpoint is not in it) is served: a chat.completion with an echo and no input_tokens.
    const body = { model: 'chat/mock-small', input: 'How many tokens is this, after a response?', store: false };
    await client.responses.create(body);
    const counted = (await client.responses.inputTokens.count(body)) as unknown as Record<string, unknown>;
    expect(counted.object).toBe('response.input_tokens');
    expect(counted.input_tokens).toEqual(expect.any(Number));
  });
});
