/**
 * The Anthropic adapter against msw handlers: what it sends to the Messages API, and how it reads
 * every kind of answer, good and bad, whole and streamed.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../core/errors.js';
import { silentLogger } from '../../../core/logger.js';
import type { ChatCompletionChunk } from '../../../core/protocol/openai.js';
import type { ChatResult, Provider } from '../../../core/providers/provider.js';
import { anthropicType } from '../../../plugins/anthropic/index.js';
import { anthropicError, anthropicMessage, anthropicStreamEvents } from '../../support/anthropic-wire.js';
import { collect, failure, sse } from '../../support/adapter-results.js';
import { FetchDispatcher } from '../../support/fetch-dispatcher.js';

const BASE = 'https://api.anthropic.test/v1';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const context = { id: 'claude', logger: silentLogger, dispatcher: new FetchDispatcher() };
const claude = (options: Record<string, unknown> = {}): Provider => anthropicType.create({ type: 'anthropic', apiKey: 'sk-ant', baseURL: BASE, ...options } as never, context);
const call = (provider: Provider, extra: Record<string, unknown> = {}) =>
  provider.chatCompletions({ body: { model: 'claude-x', messages: [{ role: 'user', content: 'hi' }], ...extra }, signal: new AbortController().signal, headers: { 'x-request-id': 'rid' } });

describe('what it sends', () => {
  it('posts a translated body to {baseURL}/messages with the key, version, beta and correlation headers', async () => {
    let seen: { url: string; headers: Headers; body: unknown } | undefined;
    server.use(
      http.post(`${BASE}/messages`, async ({ request }) => {
        seen = { url: request.url, headers: request.headers, body: await request.json() };
        return HttpResponse.json(anthropicMessage([{ text: 'hello' }]));
      }),
    );
    const result = await call(claude({ beta: ['a-1', 'b-2'], defaultMaxTokens: 100 }));
    expect(result.kind === 'json' && result.body.choices[0]?.message.content).toBe('hello');
    expect(seen?.url).toBe(`${BASE}/messages`);
    expect(seen?.body).toEqual({ model: 'claude-x', max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
    expect(seen?.headers.get('x-api-key')).toBe('sk-ant');
    expect(seen?.headers.get('anthropic-version')).toBe('2023-06-01');
    expect(seen?.headers.get('anthropic-beta')).toBe('a-1,b-2');
    expect(seen?.headers.get('x-request-id')).toBe('rid');
    expect(seen?.headers.has('authorization')).toBe(false);
  });

  it('leaves out unsupported parameters when configured to drop them', async () => {
    let body: Record<string, unknown> | undefined;
    server.use(
      http.post(`${BASE}/messages`, async ({ request }) => {
        body = (await request.json()) as Record<string, unknown>;
        return HttpResponse.json(anthropicMessage([{ text: 'ok' }]));
      }),
    );
    await call(claude({ unsupportedParams: 'drop' }), { n: 2, seed: 1, frequency_penalty: 0.5, temperature: 0.3 });
    expect(body).toEqual({ model: 'claude-x', max_tokens: 4096, temperature: 0.3, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
  });

  it('lists models page by page and counts tokens', async () => {
    server.use(
      http.get(`${BASE}/models`, ({ request }) => {
        const after = new URL(request.url).searchParams.get('after_id');
        return HttpResponse.json(
          after
            ? { data: [{ id: 'claude-b', type: 'model', created_at: '2025-02-01T00:00:00Z' }], has_more: false, last_id: 'claude-b' }
            : { data: [{ id: 'claude-a', type: 'model', created_at: '2025-01-01T00:00:00Z' }], has_more: true, last_id: 'claude-a' },
        );
      }),
      http.post(`${BASE}/messages/count_tokens`, async ({ request }) => HttpResponse.json({ input_tokens: JSON.stringify(await request.json()).length })),
    );
    const provider = claude();
    expect((await provider.listModels?.(new AbortController().signal))?.map((m) => m.id)).toEqual(['claude-a', 'claude-b']);
    const counted = await provider.countTokens?.({ body: { model: 'claude-x', messages: [{ role: 'user', content: 'hi' }], temperature: 1 }, signal: new AbortController().signal });
    expect(counted).toBe(JSON.stringify({ model: 'claude-x', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }).length);
  });
});

describe('errors', () => {
  it.each([
    [529, 'overloaded_error', true],
    [500, 'api_error', true],
    [429, 'rate_limit_error', true],
    [400, 'invalid_request_error', false],
  ])('keeps a %i %s with its type, naming the provider (retryable: %s)', async (status, type, retryable) => {
    server.use(http.post(`${BASE}/messages`, () => HttpResponse.json(anthropicError(type, 'boom'), { status })));
    const error = await failure(call(claude()));
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status, type, provider: 'claude', retryable });
    expect(error.message).toBe('claude: boom');
  });

  it("turns a 401 (the gateway's own key refused) into a 502 provider_auth_failed", async () => {
    server.use(http.post(`${BASE}/messages`, () => HttpResponse.json(anthropicError('authentication_error', 'invalid x-api-key'), { status: 401 })));
    expect(await failure(call(claude()))).toMatchObject({ status: 502, code: 'provider_auth_failed', provider: 'claude' });
  });

  it('turns a body that is not a message into a retryable 502', async () => {
    server.use(http.post(`${BASE}/messages`, () => new HttpResponse('<html>bad gateway</html>', { status: 200, headers: { 'content-type': 'text/html' } })));
    expect(await failure(call(claude()))).toMatchObject({ status: 502, code: 'upstream_invalid_response', retryable: true });
    server.use(http.post(`${BASE}/messages`, () => HttpResponse.json({ hello: 'world' })));
    expect(await failure(call(claude()))).toMatchObject({ status: 502, code: 'upstream_invalid_response' });
  });
});

describe('streams', () => {
  it('decodes events split anywhere across network chunks', async () => {
    const text = anthropicStreamEvents([{ text: 'Hello there friend' }]).join('');
    const pieces = [text.slice(0, 5), text.slice(5, 90), text.slice(90, 91), text.slice(91, 400), text.slice(400)];
    server.use(http.post(`${BASE}/messages`, () => sse(pieces)));
    const chunks = await collect(await call(claude(), { stream: true }));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello there friend');
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 });
  });

  it.each([
    ['ends before message_stop', anthropicStreamEvents([{ text: 'a b' }]).slice(0, 4), 'upstream_stream_truncated'],
    ['carries an event that is not JSON', ['event: message_start\ndata: {nope\n\n'], 'upstream_invalid_response'],
    ['reports an error mid-stream', [anthropicStreamEvents([{ text: 'a' }])[0] ?? '', 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'], 'overloaded_error'],
  ])('fails, naming the provider, when the stream %s', async (_what, pieces, code) => {
    server.use(http.post(`${BASE}/messages`, () => sse(pieces)));
    const error = await failure(collect(await call(claude(), { stream: true })));
    expect(error).toMatchObject({ provider: 'claude', code, retryable: true });
  });

  it.each([
    // A rate limit Anthropic reports mid-stream is one to the client (429, `rate_limit_error`), as
    // its HTTP 429 is; it was an `upstream` error before (a 502 type before the first byte).
    ['rate_limit_error', 'rate_limited'],
    ['overloaded_error', 'unavailable'],
    ['api_error', 'upstream'],
  ])('reads a mid-stream %s as kind %s', async (type, kind) => {
    server.use(http.post(`${BASE}/messages`, () => sse([anthropicStreamEvents([{ text: 'a' }])[0] ?? '', `event: error\ndata: {"type":"error","error":{"type":"${type}","message":"m"}}\n\n`])));
    const error = await failure(collect(await call(claude(), { stream: true })));
    expect(error).toMatchObject({ provider: 'claude', code: type, kind });
  });

  it('refuses an answer to a stream that is not an event stream', async () => {
    server.use(http.post(`${BASE}/messages`, () => HttpResponse.json(anthropicMessage([{ text: 'x' }]))));
    expect(await failure(call(claude(), { stream: true }))).toMatchObject({ code: 'upstream_invalid_response', provider: 'claude' });
  });
});
