/**
 * The OpenAI-format adapters' legacy text completions against msw handlers: which providers take
 * `/v1/completions` requests as written, what they send, and how they read the answer (chat terms
 * for plugins, the upstream's own bytes attached for the client), whole and streamed, good and bad.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { nativeOf, type NativeRequest } from '../../../core/protocol/native.js';
import type { Provider } from '../../../core/providers/provider.js';
import { openAICompatibleType } from '../../../plugins/openai/openai-compatible.js';
import { openAIType } from '../../../plugins/openai/openai.js';
import { collect, failure, sse } from '../../support/adapter-results.js';
import { FetchDispatcher } from '../../support/fetch-dispatcher.js';

const BASE = 'https://api.acme.test/v1';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const context = { id: 'acme', logger: silentLogger, dispatcher: new FetchDispatcher() };
const acme = (options: Record<string, unknown> = {}): Provider =>
  openAICompatibleType.create({ type: 'openai-compatible', baseURL: BASE, apiKey: 'sk-acme', completions: true, ...options } as never, context);

/** A `/v1/completions` request as the front-end hands it over: the chat view, and the client's own body. */
function completionsCall(provider: Provider, body: Record<string, unknown>) {
  const native: NativeRequest = { protocol: 'openai-completions', body: { model: 'acme/instruct', ...body }, headers: {} };
  const stream = body.stream === true;
  return provider.chatCompletions({
    body: { model: 'instruct-1', messages: [{ role: 'user', content: String(body.prompt ?? '') }], ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) },
    signal: new AbortController().signal,
    headers: { 'x-request-id': 'rid-1' },
    native,
  });
}

const piece = (text: string, finish: string | null = null) => `data: {"id":"cmpl-1","object":"text_completion","created":1,"model":"instruct-1","choices":[{"text":${JSON.stringify(text)},"index":0,"logprobs":null,"finish_reason":${JSON.stringify(finish)}}]}\n\n`;

describe('which providers take text completions as written', () => {
  it('openai-compatible only with completions: true; openai always', () => {
    expect(acme().nativeProtocols).toEqual(['openai-completions']);
    expect(acme({ completions: false }).nativeProtocols).toBeUndefined();
    expect(openAICompatibleType.create({ type: 'openai-compatible', baseURL: BASE } as never, context).nativeProtocols).toBeUndefined();
    expect(openAIType.create({ type: 'openai', apiKey: 'sk' }, context).nativeProtocols).toEqual(['openai-completions', 'openai-responses']);
  });

  it('the openai type has no completions option to turn off', () => {
    expect(Object.keys((openAIType.schema as { properties: object }).properties)).not.toContain('completions');
    expect(Object.keys((openAICompatibleType.schema as { properties: object }).properties)).toContain('completions');
  });

  it('a chat request to such a provider still goes to /chat/completions', async () => {
    let path = '';
    server.use(
      http.post(`${BASE}/chat/completions`, ({ request }) => {
        path = new URL(request.url).pathname;
        return HttpResponse.json({ id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] });
      }),
    );
    await acme().chatCompletions({ body: { model: 'm', messages: [{ role: 'user', content: 'x' }] }, signal: new AbortController().signal });
    expect(path).toBe('/v1/chat/completions');
  });
});

describe('whole answers', () => {
  it('posts the client\'s body with the target\'s model to {baseURL}/completions and attaches the raw answer', async () => {
    let seen: { body: unknown; headers: Headers } | undefined;
    const raw = '{"id":"cmpl-9","object":"text_completion","created":5,"model":"instruct-1","choices":[{"text":" there","index":0,"logprobs":{"tokens":[" there"]},"finish_reason":"length"},{"text":"!","index":1,"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}';
    server.use(
      http.post(`${BASE}/completions`, async ({ request }) => {
        seen = { body: await request.json(), headers: request.headers };
        return new HttpResponse(raw, { headers: { 'content-type': 'application/json' } });
      }),
    );
    const result = await completionsCall(acme(), { prompt: 'hi', suffix: '}', echo: true, best_of: 3, logprobs: 2, vendor: { x: 1 } });
    expect(seen?.body).toEqual({ model: 'instruct-1', prompt: 'hi', suffix: '}', echo: true, best_of: 3, logprobs: 2, vendor: { x: 1 } });
    expect(seen?.headers.get('authorization')).toBe('Bearer sk-acme');
    expect(seen?.headers.get('x-request-id')).toBe('rid-1');
    if (result.kind !== 'json') throw new Error('expected JSON');
    expect(result.body).toEqual({
      id: 'cmpl-9',
      object: 'chat.completion',
      created: 5,
      model: 'instruct-1',
      choices: [
        { index: 0, message: { role: 'assistant', content: ' there' }, finish_reason: 'length', logprobs: { tokens: [' there'] } },
        { index: 1, message: { role: 'assistant', content: '!' }, finish_reason: 'stop', logprobs: null },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
    expect(nativeOf(result.body, 'openai-completions')?.data).toBe(raw);
    expect(JSON.stringify(result.body)).not.toContain('text_completion');
  });

  it('a body without choices, or not JSON, is a retryable 502; an error status keeps its status', async () => {
    server.use(http.post(`${BASE}/completions`, () => HttpResponse.json({ ok: true })));
    expect(await failure(completionsCall(acme(), { prompt: 'x' }))).toMatchObject({ status: 502, code: 'upstream_invalid_response', retryable: true, provider: 'acme' });
    server.use(http.post(`${BASE}/completions`, () => new HttpResponse('<html/>', { status: 200 })));
    expect(await failure(completionsCall(acme(), { prompt: 'x' }))).toMatchObject({ status: 502, code: 'upstream_invalid_response' });
    server.use(http.post(`${BASE}/completions`, () => HttpResponse.json({ error: { message: 'no such model', code: 'model_not_found' } }, { status: 404 })));
    expect(await failure(completionsCall(acme(), { prompt: 'x' }))).toMatchObject({ status: 404, provider: 'acme' });
  });
});

describe('streams', () => {
  it('yields each event as a chat chunk carrying the event as it came, stopping at [DONE]', async () => {
    const usage = 'data: {"id":"cmpl-1","object":"text_completion","created":1,"model":"instruct-1","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\n';
    let body: unknown;
    server.use(
      http.post(`${BASE}/completions`, async ({ request }) => {
        body = await request.json();
        return sse([piece('Hel'), piece('lo', 'stop'), usage, 'data: [DONE]\n\n', piece('late')]);
      }),
    );
    const chunks = await collect(await completionsCall(acme(), { prompt: 'x', stream: true }));
    // The client's body, not the chat view's usage request.
    expect(body).toEqual({ model: 'instruct-1', prompt: 'x', stream: true });
    expect(chunks.map((c) => [c.object, c.choices[0]?.delta.content, c.choices[0]?.finish_reason ?? null])).toEqual([
      ['chat.completion.chunk', 'Hel', null],
      ['chat.completion.chunk', 'lo', 'stop'],
      ['chat.completion.chunk', undefined, null],
    ]);
    expect(chunks[2]?.usage).toEqual({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
    expect(chunks.map((c) => `data: ${nativeOf(c, 'openai-completions')?.data}\n\n`)).toEqual([piece('Hel'), piece('lo', 'stop'), usage]);
  });

  it.each([
    ['ends before finishing', [piece('a')], 'upstream_stream_truncated'],
    ['carries an event that is not JSON', [piece('a'), 'data: {nope\n\n'], 'upstream_invalid_response'],
    ['reports an error mid-stream', [piece('a'), 'data: {"error":{"message":"overloaded","code":"overloaded"}}\n\n'], 'overloaded'],
  ])('fails, naming the provider, when the stream %s', async (_what, pieces, code) => {
    server.use(http.post(`${BASE}/completions`, () => sse(pieces)));
    expect(await failure(collect(await completionsCall(acme(), { prompt: 'x', stream: true })))).toMatchObject({ provider: 'acme', code, retryable: true });
  });

  it('refuses a JSON answer to a stream request', async () => {
    server.use(http.post(`${BASE}/completions`, () => HttpResponse.json({ choices: [] })));
    expect(await failure(completionsCall(acme(), { prompt: 'x', stream: true }))).toMatchObject({ code: 'upstream_invalid_response', status: 502 });
  });
});
