/**
 * The `gemini` adapter against msw handlers (what it sends, how it reads every kind of answer, good
 * and bad, whole and streamed), then against the socket-level mock of test/support/mock-gemini.ts.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../core/errors.js';
import { silentLogger } from '../../../core/logger.js';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../../../core/protocol/openai.js';
import type { ChatResult, Provider } from '../../../core/providers/provider.js';
import { geminiBaseURL, geminiType, GEMINI_BASE_URL } from '../../../plugins/gemini/gemini.js';
import { geminiPlugin } from '../../../plugins/gemini/index.js';
import { collect, failure, sse as sseResponse } from '../../support/adapter-results.js';
import { FetchDispatcher } from '../../support/fetch-dispatcher.js';
import { startMockGemini, type MockGemini } from '../../support/mock-gemini.js';
import { embeddingsAnswer, invalidArgument, MODEL, modelsPage1, modelsPage2, rateLimited, sse, textAnswer, textStream, toolCallStream } from './fixtures.js';

const BASE = GEMINI_BASE_URL;
const KEY = 'AIza-test-key';
const GENERATE = `${BASE}/models/${MODEL}:generateContent`;
const STREAM = `${BASE}/models/${MODEL}:streamGenerateContent`;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const context = { id: 'gem', logger: silentLogger, dispatcher: new FetchDispatcher() };
const gemini = (options: Record<string, unknown> = {}): Provider => geminiType.create({ type: 'gemini', apiKey: KEY, ...options } as never, context);

const request = (extra: Record<string, unknown> = {}): ChatCompletionRequest => ({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], ...extra });
const call = (provider: Provider, extra: Record<string, unknown> = {}, signal = new AbortController().signal) =>
  provider.chatCompletions({ body: request(extra), signal, headers: { 'x-request-id': 'rid-1' } });

/** Cuts bytes at every given offset: pieces of 1, 2, 3... bytes, splitting CRLFs and UTF-8 characters. */
function awkwardPieces(text: string): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const pieces: Uint8Array[] = [];
  for (let at = 0, size = 1; at < bytes.length; at += size, size = (size % 7) + 1) pieces.push(bytes.slice(at, at + size));
  return pieces;
}

describe('what it sends', () => {
  it('posts the translated body to {baseURL}/models/{model}:generateContent, with the key in x-goog-api-key only', async () => {
    let seen: { url: string; headers: Headers; body: unknown } | undefined;
    server.use(
      http.post(GENERATE, async ({ request: req }) => {
        seen = { url: req.url, headers: req.headers, body: await req.json() };
        return HttpResponse.json(textAnswer);
      }),
    );
    const result = await call(gemini({ headers: { 'x-goog-user-project': 'proj-1' } }), { temperature: 0.2, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] });
    expect(result).toMatchObject({ kind: 'json', status: 200, body: { object: 'chat.completion', choices: [{ message: { content: 'Hello, world!' } }] } });
    expect(seen?.url).toBe(GENERATE);
    expect(seen?.url).not.toContain(KEY);
    expect(seen?.url).not.toContain('key=');
    expect(seen?.headers.get('x-goog-api-key')).toBe(KEY);
    expect(seen?.headers.get('x-goog-user-project')).toBe('proj-1');
    expect(seen?.headers.get('x-request-id')).toBe('rid-1');
    expect(seen?.headers.get('content-type')).toBe('application/json');
    expect(seen?.headers.has('authorization')).toBe(false);
    expect(seen?.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { temperature: 0.2 },
    });
  });

  it('streams from :streamGenerateContent?alt=sse', async () => {
    let url: string | undefined;
    let accept: string | null | undefined;
    server.use(
      http.post(STREAM, ({ request: req }) => {
        url = req.url;
        accept = req.headers.get('accept');
        return sseResponse(textStream.map(sse));
      }),
    );
    await collect(await call(gemini(), { stream: true }));
    expect(url).toBe(`${STREAM}?alt=sse`);
    expect(accept).toBe('text/event-stream');
  });

  it('uses a custom base URL, and a full resource name (tunedModels/...) as it is', async () => {
    let url: string | undefined;
    server.use(
      http.post('https://proxy.test/gemini/v1beta/*', ({ request: req }) => {
        url = req.url;
        return HttpResponse.json(textAnswer);
      }),
    );
    await gemini({ baseURL: 'https://proxy.test/gemini/v1beta/' }).chatCompletions({ body: request({ model: 'tunedModels/my-tune-42' }), signal: new AbortController().signal });
    expect(url).toBe('https://proxy.test/gemini/v1beta/tunedModels/my-tune-42:generateContent');
  });

  it('refuses an unsupported parameter before calling anyone, or drops it under unsupportedParams: drop', async () => {
    let calls = 0;
    let body: unknown;
    server.use(
      http.post(GENERATE, async ({ request: req }) => {
        calls++;
        body = await req.json();
        return HttpResponse.json(textAnswer);
      }),
    );
    expect(await failure(call(gemini(), { logit_bias: { '1': 2 } }))).toMatchObject({ status: 400, param: 'logit_bias', provider: 'gem', code: 'unsupported_parameter' });
    expect(calls).toBe(0);
    await call(gemini({ unsupportedParams: 'drop' }), { logit_bias: { '1': 2 } });
    expect(body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
  });
});

describe('answers', () => {
  it('translates a whole answer', async () => {
    server.use(http.post(GENERATE, () => HttpResponse.json(textAnswer)));
    const result = await call(gemini());
    if (result.kind !== 'json') throw new Error('expected JSON');
    expect(result.body).toMatchObject({ id: 'chatcmpl-resp-1', model: 'gemini-2.5-flash', usage: { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 } });
  });

  it('decodes a stream cut at awkward byte boundaries (inside CRLFs, JSON and a UTF-8 character)', async () => {
    const pieces = awkwardPieces(textStream.map(sse).join(''));
    expect(pieces.length).toBeGreaterThan(50);
    server.use(http.post(STREAM, () => sseResponse(pieces)));
    const chunks = await collect(await call(gemini(), { stream: true }));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello, wörld!');
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop']);
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
  });

  it('streams tool calls', async () => {
    server.use(http.post(STREAM, () => sseResponse(toolCallStream.map(sse))));
    const chunks = await collect(await call(gemini(), { stream: true, tools: [{ type: 'function', function: { name: 'get_weather' } }] }));
    expect(chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).map((t) => t.function?.name)).toEqual(['get_weather', 'get_time']);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['tool_calls']);
  });

  it('fails a stream cut before its finishReason with a retryable upstream_stream_truncated', async () => {
    server.use(http.post(STREAM, () => sseResponse(textStream.slice(0, 2).map(sse))));
    const error = await failure(collect(await call(gemini(), { stream: true })));
    expect(error).toMatchObject({ status: 502, code: 'upstream_stream_truncated', provider: 'gem', retryable: true });
  });

  it('fails a stream with an event that is not JSON', async () => {
    server.use(http.post(STREAM, () => sseResponse([sse(textStream[0]), 'data: {nope\r\n\r\n'])));
    expect(await failure(collect(await call(gemini(), { stream: true })))).toMatchObject({ status: 502, code: 'upstream_invalid_response', provider: 'gem', retryable: true });
  });

  it('refuses a JSON answer to a stream request', async () => {
    server.use(http.post(STREAM, () => HttpResponse.json(textAnswer)));
    expect(await failure(call(gemini(), { stream: true }))).toMatchObject({ status: 502, code: 'upstream_invalid_response' });
  });
});

describe('errors', () => {
  it('a body that is not JSON is a retryable 502', async () => {
    server.use(http.post(GENERATE, () => new HttpResponse('<html>Bad gateway</html>', { status: 200, headers: { 'content-type': 'text/html' } })));
    expect(await failure(call(gemini()))).toMatchObject({ status: 502, code: 'upstream_invalid_response', provider: 'gem', retryable: true });
  });

  it('429 with Retry-After is a retryable 429 with retryAfterSeconds, coded by Gemini status', async () => {
    server.use(http.post(GENERATE, () => HttpResponse.json(rateLimited, { status: 429, headers: { 'retry-after': '7' } })));
    const error = await failure(call(gemini()));
    expect(error).toMatchObject({ status: 429, kind: 'rate_limited', type: 'rate_limit_error', code: 'RESOURCE_EXHAUSTED', provider: 'gem', retryable: true, retryAfterSeconds: 7 });
    expect(error.message).toBe('gem: You exceeded your current quota, please check your plan and billing details.');
  });

  it('429 without Retry-After takes the wait from the RetryInfo detail', async () => {
    server.use(http.post(GENERATE, () => HttpResponse.json(rateLimited, { status: 429 })));
    expect(await failure(call(gemini()))).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: 22 });
  });

  it.each([
    [400, invalidArgument, { kind: 'invalid_request', code: 'INVALID_ARGUMENT', retryable: false }],
    [400, { error: { code: 400, message: 'User location is not supported for the API use.', status: 'FAILED_PRECONDITION' } }, { code: 'FAILED_PRECONDITION', retryable: false }],
    [404, { error: { code: 404, message: 'models/gemini-9 is not found for API version v1beta.', status: 'NOT_FOUND' } }, { kind: 'not_found', retryable: false }],
    [500, { error: { code: 500, message: 'An internal error has occurred.', status: 'INTERNAL' } }, { kind: 'upstream', retryable: true }],
    [503, { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }, { kind: 'upstream', code: 'UNAVAILABLE', retryable: true }],
    [504, { error: { code: 504, message: 'Deadline expired.', status: 'DEADLINE_EXCEEDED' } }, { retryable: true }],
  ])('%i keeps its status, names the provider and says whether to retry', async (status, body, expected) => {
    server.use(http.post(GENERATE, () => HttpResponse.json(body, { status })));
    const error = await failure(call(gemini()));
    expect(error).toMatchObject({ status, provider: 'gem', ...expected });
    expect(error.message).toBe(`gem: ${body.error.message}`);
  });

  it("403 (the gateway's own key refused) is a 502 provider_auth_failed", async () => {
    server.use(http.post(GENERATE, () => HttpResponse.json({ error: { code: 403, message: 'Method doesn\'t allow unregistered callers.', status: 'PERMISSION_DENIED' } }, { status: 403 })));
    expect(await failure(call(gemini()))).toMatchObject({ status: 502, code: 'provider_auth_failed', provider: 'gem' });
  });

  it('an HTTP error on a stream request is thrown before any chunk', async () => {
    server.use(http.post(STREAM, () => HttpResponse.json(invalidArgument, { status: 400 })));
    expect(await failure(call(gemini(), { stream: true }))).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT', retryable: false });
  });

  it('a network failure is a retryable 502', async () => {
    server.use(http.post(GENERATE, () => HttpResponse.error()));
    expect(await failure(call(gemini()))).toMatchObject({ status: 502, provider: 'gem', retryable: true });
  });

  it('an aborted call rejects with the abort reason', async () => {
    server.use(http.post(GENERATE, () => new Promise<Response>(() => undefined)));
    const controller = new AbortController();
    const pending = call(gemini(), {}, controller.signal);
    const reason = new GatewayError('client_closed', 'client left');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('listModels', () => {
  it('follows nextPageToken, keeps models that chat or embed, and strips models/', async () => {
    const seen: string[] = [];
    server.use(
      http.get(`${BASE}/models`, ({ request: req }) => {
        seen.push(req.url);
        expect(req.headers.get('x-goog-api-key')).toBe(KEY);
        return HttpResponse.json(new URL(req.url).searchParams.get('pageToken') === 'page/2' ? modelsPage2 : modelsPage1);
      }),
    );
    expect(await gemini().listModels!(new AbortController().signal)).toEqual([
      { id: 'gemini-2.5-flash', ownedBy: 'google' },
      { id: 'gemini-embedding-001', ownedBy: 'google' },
    ]);
    expect(seen).toEqual([`${BASE}/models?pageSize=1000`, `${BASE}/models?pageSize=1000&pageToken=page%2F2`]);
    for (const url of seen) expect(url).not.toContain(KEY);
  });

  it('fails on a list that is not one, and is absent when listModels is false', async () => {
    server.use(http.get(`${BASE}/models`, () => HttpResponse.json({ models: 'nope' })));
    expect(await failure(gemini().listModels!(new AbortController().signal))).toMatchObject({ code: 'upstream_invalid_response' });
    expect(gemini({ listModels: false }).listModels).toBeUndefined();
  });

  it.each([
    ['an OpenAI-style list', { object: 'list', data: [{ id: 'gpt-x', object: 'model' }] }],
    ['an empty object', {}],
    ['an array', [{ name: 'models/gemini-2.5-flash' }]],
  ])('calls %s an error, not an empty list: the base URL does not lead to Gemini', async (_what, body) => {
    server.use(http.get(`${BASE}/models`, () => HttpResponse.json(body)));
    const error = await failure(gemini().listModels!(new AbortController().signal));
    expect(error).toMatchObject({ code: 'upstream_invalid_response', provider: 'gem' });
    expect(error.message).toContain("not in Gemini's format");
  });
});

describe('base URL', () => {
  it.each([
    ['https://generativelanguage.googleapis.com', 'https://generativelanguage.googleapis.com/v1beta'],
    ['https://generativelanguage.googleapis.com/', 'https://generativelanguage.googleapis.com/v1beta'],
    ['https://generativelanguage.googleapis.com/v1beta', 'https://generativelanguage.googleapis.com/v1beta'],
    ['https://generativelanguage.googleapis.com/v1', 'https://generativelanguage.googleapis.com/v1'],
    ['https://proxy.test/gemini/v1beta/', 'https://proxy.test/gemini/v1beta'],
    ['http://127.0.0.1:9', 'http://127.0.0.1:9/v1beta'],
  ])('%s → %s', (given, used) => expect(geminiBaseURL(given)).toBe(used));

  it('takes a host root as Google\'s SDKs do, adding /v1beta', async () => {
    let url = '';
    server.use(
      http.post(GENERATE, ({ request: req }) => {
        url = req.url;
        return HttpResponse.json(textAnswer);
      }),
    );
    await call(gemini({ baseURL: 'https://generativelanguage.googleapis.com' }));
    expect(url).toBe(GENERATE);
  });
});

describe('embeddings', () => {
  const EMBED = `${BASE}/models/gemini-embedding-001:batchEmbedContents`;
  const embed = (provider: Provider, body: Record<string, unknown>) =>
    provider.embeddings!({ body: { model: 'gemini-embedding-001', input: '', ...body }, signal: new AbortController().signal });

  it('sends one request per input to :batchEmbedContents and answers in OpenAI format, with estimated usage', async () => {
    let seen: unknown;
    server.use(
      http.post(EMBED, async ({ request: req }) => {
        seen = await req.json();
        return HttpResponse.json(embeddingsAnswer);
      }),
    );
    const result = await embed(gemini(), { input: ['first text', 'second'], dimensions: 3, encoding_format: 'float', user: 'u1' });
    expect(seen).toEqual({
      requests: [
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'first text' }] }, outputDimensionality: 3 },
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'second' }] }, outputDimensionality: 3 },
      ],
    });
    expect(result.body).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.25, -0.5, 1] },
        { object: 'embedding', index: 1, embedding: [0.125, 0, -1] },
      ],
      model: 'gemini-embedding-001',
      // 16 characters, about 4 per token: Gemini reports no count for embeddings.
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
  });

  it('encodes vectors as base64 float32 when asked (the OpenAI SDKs ask by default)', async () => {
    server.use(http.post(EMBED, () => HttpResponse.json({ embeddings: [{ values: [0.25, -0.5, 1] }] })));
    const result = await embed(gemini(), { input: 'one', encoding_format: 'base64' });
    const encoded = result.body.data[0]?.embedding;
    expect(typeof encoded).toBe('string');
    expect([...new Float32Array(new Uint8Array(Buffer.from(encoded as string, 'base64')).buffer)]).toEqual([0.25, -0.5, 1]);
  });

  it('refuses token arrays (even under drop) and empty inputs, and checks the answer holds every vector', async () => {
    expect(await failure(embed(gemini({ unsupportedParams: 'drop' }), { input: [1, 2, 3] }))).toMatchObject({ status: 400, param: 'input', code: 'unsupported_parameter', provider: 'gem' });
    expect(await failure(embed(gemini(), { input: [] }))).toMatchObject({ status: 400, param: 'input' });
    server.use(http.post(EMBED, () => HttpResponse.json({ embeddings: [{ values: [1] }] })));
    expect(await failure(embed(gemini(), { input: ['a', 'b'] }))).toMatchObject({ status: 502, code: 'upstream_invalid_response' });
  });
});

describe('countTokens', () => {
  it('counts the whole translated prompt with :countTokens, without output settings', async () => {
    let seen: unknown;
    server.use(
      http.post(`${BASE}/models/${MODEL}:countTokens`, async ({ request: req }) => {
        seen = await req.json();
        return HttpResponse.json({ totalTokens: 31 });
      }),
    );
    const count = await gemini().countTokens!({ body: request({ max_tokens: 5, tools: [{ type: 'function', function: { name: 'ping' } }] }), signal: new AbortController().signal });
    expect(count).toBe(31);
    expect(seen).toEqual({ generateContentRequest: { model: `models/${MODEL}`, contents: [{ role: 'user', parts: [{ text: 'hi' }] }], tools: [{ functionDeclarations: [{ name: 'ping' }] }] } });
  });
});

describe('the plugin', () => {
  it('contributes the gemini provider type, with apiKey as a secret', () => {
    const plugin = geminiPlugin();
    expect(plugin.name).toBe('gateway:gemini');
    expect(plugin.providerTypes).toEqual([geminiType]);
    expect(geminiType.secretOptions).toEqual(['apiKey']);
  });
});

describe('against the socket-level mock (test/support/mock-gemini.ts)', () => {
  let mock: MockGemini;
  beforeAll(async () => {
    mock = await startMockGemini({ apiKey: 'mock-key' });
  });
  afterEach(() => mock.reset());
  afterAll(() => mock.close());

  // A real undici pool: no FetchDispatcher, so msw is not involved.
  const real = (options: Record<string, unknown> = {}) => geminiType.create({ type: 'gemini', apiKey: 'mock-key', baseURL: mock.baseURL, ...options } as never, { id: 'gem', logger: silentLogger });
  const ask = (provider: Provider, extra: Record<string, unknown>) => provider.chatCompletions({ body: request(extra), signal: new AbortController().signal });

  it('echoes, whole and word by word, and records what it was sent', async () => {
    const provider = real();
    const whole = await ask(provider, { messages: [{ role: 'user', content: 'hello there' }] });
    expect(whole.kind === 'json' && whole.body.choices[0]?.message.content).toBe('echo: hello there');
    const chunks = await collect(await ask(provider, { stream: true, messages: [{ role: 'user', content: 'hello there' }] }));
    expect(chunks.map((c) => c.choices[0]?.delta.content).filter(Boolean)).toEqual(['echo: ', 'hello ', 'there']);
    expect(mock.requests.map((r) => r.path)).toEqual([`/v1beta/models/${MODEL}:generateContent`, `/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`]);
    expect(mock.requests[0]?.headers['x-goog-api-key']).toBe('mock-key');
    await provider.close?.();
  });

  it('calls functions, then reads their results back, thought signature and all', async () => {
    const provider = real();
    const tools = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
      { type: 'function', function: { name: 'get_time' } },
    ];
    const first = await ask(provider, { tools, messages: [{ role: 'user', content: 'call both' }] });
    if (first.kind !== 'json') throw new Error('expected JSON');
    const assistant = first.body.choices[0]?.message;
    expect(first.body.choices[0]?.finish_reason).toBe('tool_calls');
    expect(assistant?.tool_calls?.map((t) => [t.function.name, t.function.arguments])).toEqual([
      ['get_weather', '{"city":"Paris"}'],
      ['get_time', '{"city":"Paris"}'],
    ]);
    const results = (assistant?.tool_calls ?? []).map((t) => ({ role: 'tool' as const, tool_call_id: t.id, content: `{"ok":"${t.function.name}"}` }));
    const second = await ask(provider, { tools, messages: [{ role: 'user', content: 'call both' }, assistant, ...results] });
    expect(second.kind === 'json' && second.body.choices[0]?.message.content).toBe('tool results: get_weather={"ok":"get_weather"}; get_time={"ok":"get_time"}');
    const sent = mock.requests[1]?.body as { contents: Array<{ parts: Array<Record<string, unknown>> }> };
    expect(sent.contents[1]?.parts[0]).toMatchObject({ functionCall: { name: 'get_weather' }, thoughtSignature: 'sig-get_weather' });
    await provider.close?.();
  });

  it('plays queued scenarios: an error with Retry-After, a stream cut mid-way', async () => {
    const provider = real();
    mock.enqueue({ status: 429, headers: { 'retry-after': '3' }, body: rateLimited });
    expect(await failure(ask(provider, {}))).toMatchObject({ status: 429, retryAfterSeconds: 3, code: 'RESOURCE_EXHAUSTED' });
    mock.enqueue({ streamEvents: textStream, cutAfter: 2 });
    const result = await ask(provider, { stream: true });
    const received: string[] = [];
    const error = await failure(
      (async () => {
        if (result.kind !== 'stream') throw new Error('expected a stream');
        for await (const chunk of result.chunks) received.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    );
    expect(received).toEqual(['Hel', 'lo, wörld']);
    expect(error).toMatchObject({ status: 502, provider: 'gem', retryable: true });
    expect(['upstream_connection_error', 'upstream_stream_truncated']).toContain(error.code);
    await provider.close?.();
  });

  it('takes Gemini\'s refusal of a wrong key (400 API_KEY_INVALID) for the gateway\'s own key refused, and lists and embeds', async () => {
    const wrong = real({ apiKey: 'nope' });
    // Not the client's bad request: a 502 that another target may replace, Google's words in the log only.
    const refused = await failure(ask(wrong, {}));
    expect(refused).toMatchObject({ status: 502, code: 'provider_auth_failed', retryable: true });
    expect(refused.message).not.toContain('API key not valid');
    await wrong.close?.();
    const provider = real();
    expect(await provider.listModels!(new AbortController().signal)).toEqual([
      { id: 'gemini-mock-flash', ownedBy: 'google' },
      { id: 'gemini-mock-pro', ownedBy: 'google' },
    ]);
    const vectors = await provider.embeddings!({ body: { model: 'gemini-embedding-001', input: ['a', 'bb'], dimensions: 2 }, signal: new AbortController().signal });
    expect(vectors.body.data.map((d) => d.embedding)).toEqual([
      [0.1, 0.2],
      [0.2, 0.3],
    ]);
    await provider.close?.();
  });
});
