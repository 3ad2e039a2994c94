/**
 * The OpenAI-compatible adapter against msw handlers: what it sends, and how it reads every kind of
 * answer, good and bad, whole and streamed.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../core/errors.js';
import { silentLogger } from '../../../core/logger.js';
import type { ChatCompletionChunk } from '../../../core/protocol/openai.js';
import type { ChatResult, Provider } from '../../../core/providers/provider.js';
import { openAICompatibleType } from '../../../plugins/openai/openai-compatible.js';
import { openAIType } from '../../../plugins/openai/openai.js';
import { PassedChunk, rawOf } from '../../../plugins/openai/raw-chunk.js';
import { AS_PARSED } from '../../../core/unparsed-preamble.js';
import { collect, failure, sse } from '../../support/adapter-results.js';
import { FetchDispatcher } from '../../support/fetch-dispatcher.js';

const BASE = 'https://api.acme.test/v1';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const context = { id: 'acme', logger: silentLogger, dispatcher: new FetchDispatcher() };
const acme = (options: Record<string, unknown> = {}): Provider =>
  openAICompatibleType.create({ type: 'openai-compatible', baseURL: BASE, apiKey: 'sk-acme', ...options } as never, context);

const request = (extra: Record<string, unknown> = {}) => ({ model: 'acme-1', messages: [{ role: 'user' as const, content: 'hi' }], ...extra });
const call = (provider: Provider, extra: Record<string, unknown> = {}, signal = new AbortController().signal) =>
  provider.chatCompletions({ body: request(extra), signal, headers: { 'x-request-id': 'rid-1' } });

const completion = { id: 'c1', object: 'chat.completion', created: 1, model: 'acme-1', choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }], x_vendor: 1 };

const chunk = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 's', object: 'chat.completion.chunk', created: 1, model: 'acme-1', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

describe('what it sends', () => {
  it('posts the body unchanged to {baseURL}/chat/completions with auth, custom and correlation headers', async () => {
    let seen: { url: string; headers: Headers; body: unknown } | undefined;
    server.use(
      http.post(`${BASE}/chat/completions`, async ({ request: req }) => {
        seen = { url: req.url, headers: req.headers, body: await req.json() };
        return HttpResponse.json(completion);
      }),
    );
    const result = await call(acme({ headers: { 'http-referer': 'https://app.test' } }), { temperature: 0.2, vendor_flag: { a: 1 } });
    expect(result).toMatchObject({ kind: 'json', status: 200, body: completion });
    expect(seen?.url).toBe(`${BASE}/chat/completions`);
    expect(seen?.body).toEqual(request({ temperature: 0.2, vendor_flag: { a: 1 } }));
    expect(seen?.headers.get('authorization')).toBe('Bearer sk-acme');
    expect(seen?.headers.get('http-referer')).toBe('https://app.test');
    expect(seen?.headers.get('x-request-id')).toBe('rid-1');
    expect(seen?.headers.get('content-type')).toBe('application/json');
    expect(seen?.headers.get('accept')).toBe('application/json');
  });

  it('sends no authorization without an apiKey, and asks for an event stream when streaming', async () => {
    let headers: Headers | undefined;
    server.use(
      http.post(`${BASE}/chat/completions`, ({ request: req }) => {
        headers = req.headers;
        return sse([chunk('a', 'stop'), 'data: [DONE]\n\n']);
      }),
    );
    await collect(await call(acme({ apiKey: undefined }), { stream: true }));
    expect(headers?.has('authorization')).toBe(false);
    expect(headers?.get('accept')).toBe('text/event-stream');
  });

  it('the openai type adds organization and project headers and defaults its base URL', async () => {
    let headers: Headers | undefined;
    server.use(
      http.post('https://api.openai.com/v1/chat/completions', ({ request: req }) => {
        headers = req.headers;
        return HttpResponse.json(completion);
      }),
    );
    const openai = openAIType.create({ type: 'openai', apiKey: 'sk-o', organization: 'org-1', project: 'proj-1' }, { ...context, id: 'openai' });
    await call(openai);
    expect(headers?.get('openai-organization')).toBe('org-1');
    expect(headers?.get('openai-project')).toBe('proj-1');
    expect(headers?.get('authorization')).toBe('Bearer sk-o');
  });
});

describe('streams', () => {
  it('decodes events split anywhere across network chunks, with CRLF and comments', async () => {
    const text = `: keep-alive\r\n\r\n${chunk('Hel')}${chunk('lo')}`.replace(/\n/g, '\r\n') + chunk('!', 'stop') + 'data: [DONE]\n\n';
    const pieces = [text.slice(0, 7), text.slice(7, 40), text.slice(40, 41), text.slice(41, 150), text.slice(150)];
    server.use(http.post(`${BASE}/chat/completions`, () => sse(pieces)));
    const chunks = await collect(await call(acme(), { stream: true }));
    expect(chunks.map((c) => c.choices[0]?.delta.content).join('')).toBe('Hello!');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('stops at [DONE] and ignores anything after it', async () => {
    server.use(http.post(`${BASE}/chat/completions`, () => sse([chunk('a', 'stop'), 'data: [DONE]\n\n', chunk('late')])));
    expect((await collect(await call(acme(), { stream: true }))).map((c) => c.choices[0]?.delta.content)).toEqual(['a']);
  });

  it('accepts a stream without [DONE] that reached its finish_reason', async () => {
    server.use(http.post(`${BASE}/chat/completions`, () => sse([chunk('a'), chunk('b', 'length')])));
    expect(await collect(await call(acme(), { stream: true }))).toHaveLength(2);
  });

  it.each([
    ['ends before finishing', [chunk('a')], 'upstream_stream_truncated', /ended before the answer was complete/],
    ['carries an event that is not JSON', [chunk('a'), 'data: {nope\n\n'], 'upstream_invalid_response', /not JSON/],
    ['reports an error mid-stream', [chunk('a'), 'data: {"error":{"message":"overloaded","code":"overloaded"}}\n\n'], 'overloaded', /acme: overloaded/],
  ])('fails, naming the provider, when the stream %s', async (_what, pieces, code, message) => {
    server.use(http.post(`${BASE}/chat/completions`, () => sse(pieces)));
    const error = await failure(collect(await call(acme(), { stream: true })));
    expect(error).toMatchObject({ provider: 'acme', code, retryable: true });
    expect(error.message).toMatch(message);
  });

  describe('with the pass-through hint on (the rest is only read in place)', () => {
    const passing = (provider: Provider) =>
      provider.chatCompletions({ body: request({ stream: true }), signal: new AbortController().signal, passThrough: { allowed: true } });
    const usage = 'data: {"id":"s","object":"chat.completion.chunk","created":1,"model":"acme-1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n';

    it('hands over events with nothing to read but a finish reason unparsed, with their text, and parses those with usage', async () => {
      server.use(http.post(`${BASE}/chat/completions`, () => sse([chunk('a'), chunk('b'), chunk('', 'stop'), usage, 'data: [DONE]\n\n'])));
      const chunks = await collect(await passing(acme()));
      expect(chunks.map((c) => c instanceof PassedChunk)).toEqual([true, true, true, false]);
      expect(rawOf(chunks[0]!)).toBe(chunk('a').slice(6, -2));
      expect(chunks[2]!.choices[0]?.finish_reason).toBe('stop');
      expect(chunks[3]!.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    });

    it('hands over events whose usage is null (OpenAI sends it on every chunk when usage is asked for) unparsed', async () => {
      const nullUsage = (content: string, spaced = false) =>
        `data: ${JSON.stringify({ id: 's', object: 'chat.completion.chunk', created: 1, model: 'acme-1', choices: [{ index: 0, delta: { content }, finish_reason: null }], usage: null }).replace('"usage":null', spaced ? '"usage" : null' : '"usage":null')}\n\n`;
      const finish = `data: ${JSON.stringify({ id: 's', object: 'chat.completion.chunk', created: 1, model: 'acme-1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: null })}\n\n`;
      server.use(http.post(`${BASE}/chat/completions`, () => sse([nullUsage('a'), nullUsage('b', true), finish, usage, 'data: [DONE]\n\n'])));
      const chunks = await collect(await passing(acme()));
      expect(chunks.map((c) => c instanceof PassedChunk)).toEqual([true, true, true, false]);
      expect(chunks[2]!.choices).toEqual([{ index: 0, delta: {}, finish_reason: 'stop' }]);
      expect(rawOf(chunks[1]!)).toContain('"usage" : null');
      expect(chunks[3]!.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    });

    // No [DONE]: the stream is complete by the finish reasons read from events handed over unparsed.
    it('parses an event a key could hide in (a \\u escape) and those with usage, written with spaces or not; a finish reason is read from the choices either way', async () => {
      const escaped = 'data: {"id":"s","object":"chat.completion.chunk","created":1,"model":"acme-1","choices":[{"index":0,"delta":{"content":"caf\\u00e9"},"finish_reason":null}]}\n\n';
      const spaced = 'data: {"id":"s","object":"chat.completion.chunk","created":1,"model":"acme-1","choices":[{"index":0,"delta":{},"finish_reason" : "stop"}]}\n\n';
      const spacedUsage = 'data: {"id":"s","object":"chat.completion.chunk","created":1,"model":"acme-1","choices":[],"usage" : {"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n';
      // A null one first, then the one with a value.
      const finishAfterNull = 'data: {"id":"s","object":"chat.completion.chunk","created":1,"model":"acme-1","choices":[{"index":0,"delta":{},"native_finish_reason":null,"finish_reason":"stop"}]}\n\n';
      const usageAfterNull = 'data: {"id":"s","object":"chat.completion.chunk","created":1,"model":"acme-1","x_vendor":{"usage":null},"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n';
      server.use(http.post(`${BASE}/chat/completions`, () => sse([escaped, spaced, spacedUsage, finishAfterNull, usageAfterNull])));
      const chunks = await collect(await passing(acme()));
      expect(chunks.map((c) => c instanceof PassedChunk)).toEqual([false, true, false, true, false]);
      expect(chunks[0]!.choices[0]?.delta.content).toBe('café');
      expect(chunks[1]!.choices[0]?.finish_reason).toBe('stop');
      expect(chunks[2]!.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
      expect(chunks[3]!.choices[0]?.finish_reason).toBe('stop');
      expect(chunks[4]!.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    });

    it('parses an unparsed chunk as it would any event when it is read: a broken one fails naming the provider', async () => {
      server.use(http.post(`${BASE}/chat/completions`, () => sse([chunk('a'), 'data: {"id":"s",oops}\n\n', chunk('', 'stop'), 'data: [DONE]\n\n'])));
      const chunks = await collect(await passing(acme()));
      expect(chunks.map((c) => c instanceof PassedChunk)).toEqual([true, true, true]);
      expect(chunks[0]!.choices[0]?.delta.content).toBe('a');
      expect(chunks[0]!.id).toBe('s');
      const error = (() => {
        try {
          return void chunks[1]!.choices;
        } catch (thrown) {
          return thrown;
        }
      })();
      expect(error).toMatchObject({ provider: 'acme', code: 'upstream_invalid_response', retryable: true });
    });

    it.each([
      ['ends before finishing', [chunk('a')], 'upstream_stream_truncated'],
      // A reason key that is not the choices' finish reason, or a finish reason outside the choices.
      ['ends after a vendor reason only', [chunk('a'), 'data: {"id":"s","choices":[{"index":0,"delta":{},"native_finish_reason":"stop","finish_reason":null}]}\n\n'], 'upstream_stream_truncated'],
      ['ends after a finish reason outside the choices', [chunk('a'), 'data: {"id":"s","finish_reason":"stop","choices":[]}\n\n'], 'upstream_stream_truncated'],
      ['carries an event cut short', [chunk('a'), 'data: {"id":"s","choices":[\n\n'], 'upstream_invalid_response'],
      ['reports an error mid-stream', [chunk('a'), 'data: {"error":{"message":"overloaded","code":"overloaded"}}\n\n'], 'overloaded'],
    ])('still fails the stream when it %s', async (_what, pieces, code) => {
      server.use(http.post(`${BASE}/chat/completions`, () => sse(pieces)));
      expect(await failure(collect(await passing(acme())))).toMatchObject({ provider: 'acme', code });
    });
  });

  describe('while priming holds the first chunks (the pass-through hint says priming)', () => {
    it('hands over events it need not read unparsed, each of which becomes the chunk a parse gives, written as its text', async () => {
      server.use(http.post(`${BASE}/chat/completions`, () => sse([chunk('a'), chunk('b', 'stop'), 'data: [DONE]\n\n'])));
      const result = await acme().chatCompletions({ body: request({ stream: true }), signal: new AbortController().signal, passThrough: { allowed: false, priming: true } });
      const chunks = await collect(result);
      expect(chunks.map((c) => c instanceof PassedChunk)).toEqual([true, true]);
      const plain = (chunks[0] as PassedChunk)[AS_PARSED]();
      expect(plain).not.toBeInstanceOf(PassedChunk);
      expect(plain).toEqual(JSON.parse(chunk('a').slice(6, -2)));
      // A copy has every field: it is a plain object.
      expect({ ...plain }).toEqual(plain);
      expect(rawOf(plain)).toBe(chunk('a').slice(6, -2));
    });

    it('makes an event that does not parse fail, naming the provider, when its plain chunk is asked for', async () => {
      server.use(http.post(`${BASE}/chat/completions`, () => sse(['data: {"id":"s",oops,"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\n', chunk('', 'stop')])));
      const result = await acme().chatCompletions({ body: request({ stream: true }), signal: new AbortController().signal, passThrough: { allowed: false, priming: true } });
      const [broken] = await collect(result);
      expect(broken!.choices[0]?.delta.content).toBe('a');
      expect(() => (broken as PassedChunk)[AS_PARSED]()).toThrow(expect.objectContaining({ provider: 'acme', code: 'upstream_invalid_response' }));
    });
  });

  it('refuses a JSON answer to a stream request', async () => {
    server.use(http.post(`${BASE}/chat/completions`, () => HttpResponse.json(completion)));
    expect(await failure(call(acme(), { stream: true }))).toMatchObject({ code: 'upstream_invalid_response', status: 502 });
  });
});

describe('errors', () => {
  it.each([
    [400, { error: { message: 'bad param', type: 'invalid_request_error', code: 'bad', param: 'temperature' } }, {}, { kind: 'invalid_request', retryable: false, param: 'temperature', code: 'bad' }],
    [429, { error: { message: 'slow down', type: 'tokens' } }, { 'retry-after': '12' }, { kind: 'rate_limited', retryable: true, retryAfterSeconds: 12, type: 'tokens' }],
    [503, { message: 'overloaded' }, {}, { kind: 'upstream', retryable: true }],
  ])('%i becomes a GatewayError with the same status, naming the provider', async (status, body, headers, expected) => {
    server.use(http.post(`${BASE}/chat/completions`, () => HttpResponse.json(body, { status, headers })));
    const error = await failure(call(acme()));
    expect(error).toMatchObject({ status, provider: 'acme', ...expected });
    expect(error.message).toMatch(/^acme: /);
  });

  it("a 401 (the gateway's own key refused) is a 502 provider_auth_failed", async () => {
    server.use(http.post(`${BASE}/chat/completions`, () => HttpResponse.json({ error: { message: 'wrong key' } }, { status: 401 })));
    expect(await failure(call(acme()))).toMatchObject({ status: 502, kind: 'upstream', code: 'provider_auth_failed', provider: 'acme' });
  });

  it('a 200 body that is not JSON, or not a completion, is a retryable 502', async () => {
    server.use(http.post(`${BASE}/chat/completions`, () => new HttpResponse('<html>oops</html>', { status: 200 })));
    expect(await failure(call(acme()))).toMatchObject({ status: 502, code: 'upstream_invalid_response', retryable: true });
    server.use(http.post(`${BASE}/chat/completions`, () => HttpResponse.json({ ok: true })));
    expect(await failure(call(acme()))).toMatchObject({ status: 502, code: 'upstream_invalid_response' });
  });

  it('a network failure is a retryable 502', async () => {
    server.use(http.post(`${BASE}/chat/completions`, () => HttpResponse.error()));
    expect(await failure(call(acme()))).toMatchObject({ status: 502, provider: 'acme', retryable: true });
  });

  it('an aborted call rejects with the abort reason', async () => {
    server.use(http.post(`${BASE}/chat/completions`, () => new Promise<Response>(() => undefined)));
    const controller = new AbortController();
    const pending = call(acme(), {}, controller.signal);
    const reason = new GatewayError('client_closed', 'client left');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('listModels', () => {
  it('reads the OpenAI model list, skipping malformed entries', async () => {
    server.use(
      http.get(`${BASE}/models`, () =>
        HttpResponse.json({ object: 'list', data: [{ id: 'a', created: 3, owned_by: 'acme' }, { id: 'b' }, { name: 'no id' }, null, 'x'] }),
      ),
    );
    expect(await acme().listModels!(new AbortController().signal)).toEqual([{ id: 'a', created: 3, ownedBy: 'acme' }, { id: 'b' }]);
  });

  it('fails on a list without data, and is absent when listModels is false', async () => {
    server.use(http.get(`${BASE}/models`, () => HttpResponse.json({ models: [] })));
    expect(await failure(acme().listModels!(new AbortController().signal))).toMatchObject({ code: 'upstream_invalid_response' });
    expect(acme({ listModels: false }).listModels).toBeUndefined();
  });
});
