/**
 * Ollama's API served by the gateway, installed as a third party's package: plain `fetch` (what an
 * Ollama client sends) → a gateway with the plugin → the OpenAI-format mock upstream over a real
 * socket. Chat whole and as newline-delimited JSON, generate, tools over two turns, formats, the
 * model list, embeddings, Ollama-shaped errors, and the pipeline's keys and usage records.
 */
import ollamaApi from 'llm-gateway-plugin-ollama-api';
import { definePlugin, type Usage } from 'llm-gateway/plugin';
import { auth } from 'llm-gateway/plugins/auth';
import { mockProvider, startGateway, startMockUpstream, wordChunks, type MockUpstream, type RunningGateway } from 'llm-gateway/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/** What the pipeline recorded for each finished request: which API, which outcome, what usage. */
const finished: Array<{ endpoint: string; outcome: string | undefined; usage: Usage | undefined }> = [];
const recorder = definePlugin({
  name: 'test:recorder',
  setup(host) {
    host.events.on('request:end', (ctx) => void finished.push({ endpoint: ctx.endpoint, outcome: ctx.outcome, usage: ctx.usage }));
  },
});

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { mock: mockProvider(upstream, { models: ['mock-small', 'mock-large'] }) },
    models: { fast: { targets: ['mock/mock-small'] } },
    plugins: [recorder(), ollamaApi()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.reset();
  finished.length = 0;
});

const chats = () => upstream.requests.filter((r) => r.path === '/v1/chat/completions');
const lastChat = () => chats().at(-1)?.body ?? {};
const post = (path: string, body: unknown, url = gw.url, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
/** The lines of a newline-delimited JSON answer. */
const lines = async (res: Response) => (await res.text()).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

const weather = { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const time = { type: 'function', function: { name: 'get_time', description: 'Time in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

describe('POST /api/chat', () => {
  it('answers with one JSON object when stream is false, translating messages and options', async () => {
    const res = await post('/api/chat', {
      model: 'mock/mock-small',
      stream: false,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ],
      options: { temperature: 0.3, top_p: 0.8, top_k: 20, num_predict: 64, stop: ['END'], seed: 42, num_ctx: 8192, repeat_penalty: 1.1 },
      keep_alive: '5m',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'mock/mock-small', message: { role: 'assistant', content: 'echo: hello' }, done: true, done_reason: 'stop', prompt_eval_count: 5, eval_count: 2, load_duration: 0 });
    expect(new Date(body.created_at as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(body.total_duration).toBeGreaterThan(0);

    expect(lastChat()).toEqual({
      model: 'mock-small',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ],
      stream: false,
      temperature: 0.3,
      top_p: 0.8,
      top_k: 20,
      max_tokens: 64,
      stop: ['END'],
      seed: 42,
    });
    expect(finished).toEqual([{ endpoint: 'ollama.chat', outcome: 'ok', usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }]);
  });

  it('streams newline-delimited JSON by default, ending with the metrics', async () => {
    const res = await post('/api/chat', { model: 'mock/mock-small', messages: [{ role: 'user', content: 'one two three' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const all = await lines(res);
    const last = all.at(-1)!;
    const parts = all.slice(0, -1);
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.every((line) => line.done === false && line.model === 'mock/mock-small')).toBe(true);
    expect(parts.map((line) => (line.message as { content: string }).content).join('')).toBe('echo: one two three');
    expect(last).toMatchObject({ done: true, done_reason: 'stop', message: { role: 'assistant', content: '' }, prompt_eval_count: 5, eval_count: 4 });
    expect(last.eval_duration).toBeGreaterThan(0);
    // Usage is always asked for, so the last line can count tokens.
    expect(lastChat()).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(finished[0]?.usage).toMatchObject({ completion_tokens: 4 });
  });

  it('sends images as image parts and format as response_format', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
    await post('/api/chat', { model: 'mock/mock-small', stream: false, format: 'json', messages: [{ role: 'user', content: 'what is this?', images: [png, '/9j/4AAQSkZJRg=='] }] });
    expect(lastChat()).toMatchObject({
      response_format: { type: 'json_object' },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQSkZJRg==' } },
          ],
        },
      ],
    });
    const schema = { type: 'object', properties: { age: { type: 'integer' } }, required: ['age'] };
    await post('/api/chat', { model: 'mock/mock-small', stream: false, format: schema, think: false, messages: [{ role: 'user', content: 'json please' }] });
    expect(lastChat()).toMatchObject({ response_format: { type: 'json_schema', json_schema: { name: 'response', schema } }, reasoning_effort: 'none' });
  });

  it('calls tools with arguments as objects, and takes the results back by tool name', async () => {
    const first = await post('/api/chat', { model: 'mock/mock-small', stream: false, tools: [weather, time], messages: [{ role: 'user', content: 'call get_weather' }] });
    const answer = (await first.json()) as { message: { tool_calls: Array<{ id: string; function: Record<string, unknown> }> }; done_reason: string };
    expect(answer.done_reason).toBe('stop');
    expect(answer.message.tool_calls).toEqual([{ id: 'call_1', function: { index: 0, name: 'get_weather', arguments: { city: 'Paris' } } }]);
    expect(lastChat()).toMatchObject({ tools: [weather, time] });

    // Ollama's clients send the call back without its id and answer it by tool name.
    const second = await post('/api/chat', {
      model: 'mock/mock-small',
      stream: false,
      tools: [weather, time],
      messages: [
        { role: 'user', content: 'call get_weather' },
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
        { role: 'tool', tool_name: 'get_weather', content: 'sunny' },
      ],
    });
    expect(((await second.json()) as { message: { content: string } }).message.content).toBe('tool said: sunny');
    expect((lastChat().messages as unknown[]).slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1_0', content: 'sunny' },
    ]);
  });

  it('streams tool calls whole, on one line, when the model has finished calling', async () => {
    const res = await post('/api/chat', { model: 'mock/mock-small', tools: [weather, time], messages: [{ role: 'user', content: 'call both' }] });
    const all = await lines(res);
    const withCalls = all.filter((line) => (line.message as { tool_calls?: unknown }).tool_calls);
    expect(withCalls).toHaveLength(1);
    expect((withCalls[0]?.message as { tool_calls: unknown }).tool_calls).toEqual([
      { id: 'call_1', function: { index: 0, name: 'get_weather', arguments: { city: 'Paris' } } },
      { id: 'call_2', function: { index: 1, name: 'get_time', arguments: { city: 'Paris' } } },
    ]);
    expect(all.at(-1)).toMatchObject({ done: true, done_reason: 'stop' });
  });

  it('ends a stream cut mid-way with an {"error"} line, never a done one', async () => {
    upstream.enqueue({ stream: { chunks: wordChunks('a b c d e'), cutAfter: 3, chunkDelayMs: 20 } });
    const res = await post('/api/chat', { model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(200);
    const all = await lines(res);
    expect(all.map((line) => (line.message as { content?: string } | undefined)?.content ?? '').join('')).toBe('a ');
    expect(all.at(-1)).toEqual({ error: expect.stringContaining('mock: ') });
    expect(all.some((line) => line.done === true)).toBe(false);
  });
});

describe('POST /api/generate', () => {
  it('answers a prompt with a system message, whole', async () => {
    const res = await post('/api/generate', { model: 'fast', prompt: 'why is the sky blue?', system: 'answer in one line', stream: false, options: { num_predict: -1 } });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'fast', response: 'echo: why is the sky blue?', done: true, done_reason: 'stop', eval_count: 2 });
    expect(lastChat()).toEqual({
      model: 'mock-small',
      messages: [
        { role: 'system', content: 'answer in one line' },
        { role: 'user', content: 'why is the sky blue?' },
      ],
      stream: false,
    });
  });

  it('streams the response as newline-delimited JSON', async () => {
    const res = await post('/api/generate', { model: 'mock/mock-small', prompt: 'a b c' });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const all = await lines(res);
    expect(all.slice(0, -1).map((line) => line.response).join('')).toBe('echo: a b c');
    expect(all.at(-1)).toMatchObject({ response: '', done: true, done_reason: 'stop', eval_count: 4 });
  });

  it.each([
    ['suffix', { suffix: 'return result' }],
    ['raw', { raw: true }],
    ['template', { template: '{{ .Prompt }}' }],
    ['context', { context: [1, 2, 3] }],
  ])('refuses %s, which only a local Ollama can honour', async (field, extra) => {
    const res = await post('/api/generate', { model: 'mock/mock-small', prompt: 'def f():', stream: false, ...extra });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: expect.stringContaining(`'${field}'`) });
    expect(chats()).toHaveLength(0);
  });
});

describe('GET /api/tags and /api/version', () => {
  it("lists the gateway's models in Ollama's shape", async () => {
    const res = await fetch(`${gw.url}/api/tags`);
    expect(res.status).toBe(200);
    const { models } = (await res.json()) as { models: Array<Record<string, unknown>> };
    expect(models.map((m) => m.name)).toEqual(['mock/mock-small', 'mock/mock-large', 'fast']);
    expect(models[0]).toMatchObject({ name: 'mock/mock-small', model: 'mock/mock-small', size: 0, details: { format: '', families: null } });
    expect(models[0]?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(Number.isNaN(Date.parse(models[0]?.modified_at as string))).toBe(false);
  });

  it('reports a version', async () => {
    expect(await (await fetch(`${gw.url}/api/version`)).json()).toEqual({ version: '0.12.0' });
  });
});

describe('embeddings', () => {
  it('embeds a list of texts through /api/embed', async () => {
    const res = await post('/api/embed', { model: 'mock/mock-embed', input: ['hi', 'hello'] });
    expect(await res.json()).toMatchObject({ model: 'mock/mock-embed', embeddings: [[2, 1, 0], [5, 1, 0]] });
    expect(upstream.requests.at(-1)?.body).toMatchObject({ model: 'mock-embed', input: ['hi', 'hello'], encoding_format: 'float' });
  });

  it('embeds a prompt through the older /api/embeddings', async () => {
    const res = await post('/api/embeddings', { model: 'mock/mock-embed', prompt: 'hey' });
    expect(await res.json()).toEqual({ embedding: [3, 1, 0] });
  });
});

describe("errors in Ollama's shape", () => {
  it.each<[string, string, unknown, number, RegExp]>([
    ['no model', '/api/chat', { messages: [{ role: 'user', content: 'x' }] }, 400, /'model' is required/],
    ['no messages', '/api/chat', { model: 'mock/mock-small', messages: [] }, 400, /'messages' must be a non-empty array/],
    ['a bad role', '/api/chat', { model: 'mock/mock-small', messages: [{ role: 'robot', content: 'x' }] }, 400, /'messages\[0\]\.role'/],
    ['a bad option', '/api/chat', { model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }], options: { temperature: 'hot' } }, 400, /'options\.temperature' must be a number/],
    ['a bad format', '/api/chat', { model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }], format: 'yaml' }, 400, /'format'/],
    ['a body that is not JSON', '/api/chat', '{not json', 400, /JSON/],
    ['an unknown model', '/api/generate', { model: 'nope/llama', prompt: 'x' }, 404, /no provider 'nope' is configured/],
  ])('%s', async (_what, path, body, status, message) => {
    const res = await post(path, body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['error']);
    expect(json.error).toMatch(message);
  });

  it('passes an upstream 429 on with its status and Retry-After', async () => {
    upstream.enqueue({ status: 429, headers: { 'retry-after': '9' }, body: { error: { message: 'slow down', type: 'rate_limit_error' } } });
    const res = await post('/api/chat', { model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('9');
    expect(await res.json()).toEqual({ error: 'mock: slow down' });
  });

  it('answers unknown /api paths in the same shape', async () => {
    const res = await fetch(`${gw.url}/api/pull`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(Object.keys((await res.json()) as object)).toEqual(['error']);
  });
});

describe('the pipeline applies: gateway keys', () => {
  const ADMIN = 'admin-key-for-ollama-tests-0123';
  let secured: RunningGateway;
  let secret: string;

  beforeAll(async () => {
    secured = await startGateway({ providers: { mock: mockProvider(upstream, { models: ['mock-small'] }) }, plugins: [auth({ adminKey: ADMIN }), ollamaApi()] });
    const created = await post('/admin/keys', { name: 'ide', models: ['mock/mock-small'] }, secured.url, { authorization: `Bearer ${ADMIN}` });
    secret = ((await created.json()) as { secret: string }).secret;
  });
  afterAll(async () => {
    await secured?.close();
  });

  it('refuses requests without a key, in Ollama\'s shape, on every /api path', async () => {
    const chat = await post('/api/chat', { model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] }, secured.url);
    expect(chat.status).toBe(401);
    expect(await chat.json()).toEqual({ error: expect.stringContaining('Missing gateway key') });
    const tags = await fetch(`${secured.url}/api/tags`);
    expect(tags.status).toBe(401);
    expect(Object.keys((await tags.json()) as object)).toEqual(['error']);
    expect(chats()).toHaveLength(0);
  });

  it("serves a key's allowed models, and refuses the others with 403", async () => {
    const ok = await post('/api/chat', { model: 'mock/mock-small', stream: false, messages: [{ role: 'user', content: 'hi' }] }, secured.url, { authorization: `Bearer ${secret}` });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { message: { content: string } }).message.content).toBe('echo: hi');
    const tags = await fetch(`${secured.url}/api/tags`, { headers: { authorization: `Bearer ${secret}` } });
    expect(((await tags.json()) as { models: Array<{ name: string }> }).models.map((m) => m.name)).toEqual(['mock/mock-small']);
    const refused = await post('/api/chat', { model: 'mock/other', messages: [{ role: 'user', content: 'hi' }] }, secured.url, { authorization: `Bearer ${secret}` });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: expect.stringContaining("may not use the model 'mock/other'") });
  });
});
