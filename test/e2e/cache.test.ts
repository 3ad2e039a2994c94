/**
 * gateway:cache through real sockets with the official clients: an exact hit never reaches the
 * upstream (counted on the mock), streams and JSON replay into each other with tool calls and
 * reasoning intact, every output-changing parameter misses, keys never see each other's entries,
 * Anthropic clients get hits rendered in their format, errors and cut or filtered answers are never
 * kept, the client's controls work, stats count it all, and the usage log marks hits as free.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, cache, cost, usageLogger, type CacheStats } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, completion, mockProvider, startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

const ADMIN = 'cache-admin-key-0123456789';
let upstream: MockUpstream;
let gw: RunningGateway;
let keys: Array<{ id: string; secret: string }>;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    usageLog: 'sqlite::memory:',
    providers: {
      mock: mockProvider(upstream),
      claude: { type: 'anthropic', apiKey: 'k', baseURL: upstream.baseURL, listModels: false },
    },
    plugins: [
      auth({ adminKey: ADMIN }),
      cost({ prices: { 'mock/mock-small': { input: 1, output: 2 } } }),
      cache(),
      usageLogger(),
    ],
  });
  keys = [];
  for (const name of ['a', 'b']) {
    const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, budget: { dailyUsd: 1 } }) });
    keys.push((await res.json()) as { id: string; secret: string });
  }
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(async () => {
  upstream.reset();
  await fetch(`${gw.url}/v1/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
});

const openai = (key = 0) => new OpenAI({ baseURL: gw.baseURL, apiKey: keys[key]!.secret, maxRetries: 0 });
const calls = () => upstream.requests.filter((r) => r.method === 'POST').length;
let unique = 0;
const fresh = (text: string) => `${text} #${++unique}`;

async function ask(body: Record<string, unknown>, options: { key?: number; headers?: Record<string, string> } = {}) {
  const { data, response } = await openai(options.key)
    .chat.completions.create({ model: 'mock/mock-small', ...body } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming, { headers: options.headers ?? {} })
    .withResponse();
  return { data, cache: response.headers.get('x-gateway-cache'), headers: response.headers };
}

async function askStream(body: Record<string, unknown>, options: { key?: number } = {}) {
  const { data, response } = await openai(options.key)
    .chat.completions.create({ model: 'mock/mock-small', ...body, stream: true } as unknown as OpenAI.ChatCompletionCreateParamsStreaming)
    .withResponse();
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const c of data) chunks.push(c);
  return { chunks, cache: response.headers.get('x-gateway-cache'), headers: response.headers };
}

describe('exact cache', () => {
  it('answers a repeated request from the cache without calling the upstream', async () => {
    const messages = [{ role: 'user', content: fresh('hello') }];
    const first = await ask({ messages });
    expect(first.cache).toBe('miss');
    expect(calls()).toBe(1);
    const second = await ask({ messages });
    expect(second.cache).toBe('hit');
    expect(second.headers.get('x-gateway-cache-key')).toMatch(/^[0-9a-f]{32}$/);
    expect(second.headers.get('age')).toMatch(/^\d+$/);
    expect(second.data).toEqual(first.data);
    expect(calls()).toBe(1);
  });

  it('replays a stream as the same chunks, and as assembled JSON with tool calls and reasoning', async () => {
    const streamed = [
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'Think ' }),
      chunk({ reasoning_content: 'hard.' }),
      chunk({ content: 'Let me ' }),
      chunk({ content: 'check.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({}, 'tool_calls'),
      { ...chunk({}), choices: [], usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 } },
    ];
    upstream.enqueue({ stream: { chunks: streamed } });
    const body = { messages: [{ role: 'user', content: fresh('weather?') }], tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }], stream_options: { include_usage: true } };
    const miss = await askStream(body);
    expect(miss.cache).toBe('miss');
    const hit = await askStream(body);
    expect(hit.cache).toBe('hit');
    expect(hit.chunks).toEqual(miss.chunks);
    expect(hit.chunks.map((c) => c.choices[0]?.delta ?? 'usage')).toEqual(streamed.map((c) => (c.choices as unknown[])[0] ? ((c.choices as Array<{ delta: unknown }>)[0]!.delta) : 'usage'));

    const json = await ask(body);
    expect(json.cache).toBe('hit');
    const message = json.data.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(message.content).toBe('Let me check.');
    expect(message.reasoning_content).toBe('Think hard.');
    expect(message.tool_calls).toEqual([{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }]);
    expect(json.data.choices[0]!.finish_reason).toBe('tool_calls');
    expect(json.data.usage).toEqual({ prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 });
    expect(calls()).toBe(1);
  });

  it('replays a JSON answer to a streaming client as chunks, usage chunk included', async () => {
    upstream.enqueue({
      body: completion({
        content: 'Sunny.',
        toolCalls: [{ id: 'call_9', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
        extra: {},
        usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 },
      }),
    });
    const messages = [{ role: 'user', content: fresh('json first') }];
    expect((await ask({ messages })).cache).toBe('miss');
    const hit = await askStream({ messages, stream_options: { include_usage: true } });
    expect(hit.cache).toBe('hit');
    const text = hit.chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Sunny.');
    const call = hit.chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])[0];
    expect(call).toMatchObject({ index: 0, id: 'call_9', function: { name: 'weather', arguments: '{"city":"Oslo"}' } });
    expect(hit.chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(hit.chunks.at(-1)?.usage).toEqual({ prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 });
    // Without include_usage the client gets no usage chunk, as from an upstream.
    const quiet = await askStream({ messages });
    expect(quiet.cache).toBe('hit');
    expect(quiet.chunks.some((c) => c.usage)).toBe(false);
    expect(calls()).toBe(1);
  });

  const CHANGES: Array<[string, Record<string, unknown>]> = [
    ['max_tokens', { max_tokens: 5 }],
    ['max_completion_tokens', { max_completion_tokens: 5 }],
    ['temperature', { temperature: 0.2 }],
    ['top_p', { top_p: 0.5 }],
    ['seed', { seed: 7 }],
    ['logit_bias', { logit_bias: { '50256': -100 } }],
    ['stop', { stop: ['x'] }],
    ['presence_penalty', { presence_penalty: 1 }],
    ['provider extra top_k', { top_k: 3 }],
    ['response_format', { response_format: { type: 'json_object' } }],
    ['tools', { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] }],
    ['tool_choice', { tool_choice: 'none' }],
    ['reasoning_effort', { reasoning_effort: 'low' }],
    ['a system prompt', { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'BASE' }] }],
    ['another model', { model: 'mock/mock-large' }],
    ['an unknown field', { some_future_field: true }],
  ];

  it.each(CHANGES)('misses when %s changes', async (_name, change) => {
    const base = fresh('parameters');
    const body = { messages: [{ role: 'user', content: base }] };
    await ask(body);
    const changed = JSON.parse(JSON.stringify({ ...body, ...change }).replace('BASE', base)) as Record<string, unknown>;
    expect((await ask(changed)).cache).toBe('miss');
    expect(calls()).toBe(2);
  });

  it('hits whatever the fields that do not change the answer say', async () => {
    const messages = [{ role: 'user', content: fresh('same') }];
    await ask({ messages, user: 'alice', metadata: { a: '1' } });
    expect((await ask({ messages, user: 'bob', metadata: { a: '2' }, store: false })).cache).toBe('hit');
    expect((await ask({ messages: [{ role: 'user', content: [{ type: 'text', text: messages[0]!.content }] }] })).cache).toBe('hit');
    expect(calls()).toBe(1);
  });

  it('never serves one key\'s entry to another key', async () => {
    const messages = [{ role: 'user', content: fresh('private') }];
    await ask({ messages }, { key: 0 });
    expect((await ask({ messages }, { key: 1 })).cache).toBe('miss');
    expect((await ask({ messages }, { key: 0 })).cache).toBe('hit');
    expect((await ask({ messages }, { key: 1 })).cache).toBe('hit');
    expect(calls()).toBe(2);
  });

  it('skips n > 1', async () => {
    const messages = [{ role: 'user', content: fresh('many') }];
    expect((await ask({ messages, n: 2 })).cache).toBe('skip');
    expect((await ask({ messages, n: 2 })).cache).toBe('skip');
    expect(calls()).toBe(2);
  });
});

describe('what is never kept', () => {
  it('an error', async () => {
    const messages = [{ role: 'user', content: fresh('error') }];
    upstream.enqueue({ status: 400, body: { error: { message: 'bad', type: 'invalid_request_error' } } });
    await expect(ask({ messages })).rejects.toMatchObject({ status: 400 });
    expect((await ask({ messages })).cache).toBe('miss');
    expect((await ask({ messages })).cache).toBe('hit');
  });

  it('a stream cut mid-way', async () => {
    const body = { messages: [{ role: 'user', content: fresh('cut') }] };
    upstream.enqueue({ stream: { chunks: wordChunks('one two three four'), cutAfter: 3 } });
    await expect(askStream(body)).rejects.toThrow();
    expect((await askStream(body)).cache).toBe('miss');
    expect((await askStream(body)).cache).toBe('hit');
  });

  it('a filtered or unfinished answer', async () => {
    const body = { messages: [{ role: 'user', content: fresh('filtered') }] };
    upstream.enqueue({ stream: { chunks: [chunk({ role: 'assistant', content: 'bad' }), chunk({}, 'content_filter')] } });
    await askStream(body);
    upstream.enqueue({ stream: { chunks: [chunk({ role: 'assistant', content: 'no end' })] } });
    expect((await askStream(body)).cache).toBe('miss');
    expect((await askStream(body)).cache).toBe('miss');
    expect((await askStream(body)).cache).toBe('hit');
    expect(calls()).toBe(3);
  });
});

describe('client controls', () => {
  it('no-store and skip neither read nor write; no-cache and refresh write without reading', async () => {
    const messages = [{ role: 'user', content: fresh('controls') }];
    expect((await ask({ messages }, { headers: { 'cache-control': 'no-store' } })).cache).toBe('skip');
    expect((await ask({ messages }, { headers: { 'x-gateway-cache': 'skip' } })).cache).toBe('skip');
    expect((await ask({ messages })).cache).toBe('miss');
    expect((await ask({ messages }, { headers: { 'cache-control': 'no-cache' } })).cache).toBe('refresh');
    expect((await ask({ messages }, { headers: { 'x-gateway-cache': 'refresh' } })).cache).toBe('refresh');
    expect((await ask({ messages })).cache).toBe('hit');
    expect(calls()).toBe(5);
  });

  it('max-age=N only takes entries that young; gateway.cache.ttlSeconds 0 keeps nothing', async () => {
    const messages = [{ role: 'user', content: fresh('max-age') }];
    await ask({ messages });
    expect((await ask({ messages }, { headers: { 'cache-control': 'max-age=60' } })).cache).toBe('hit');
    const other = [{ role: 'user', content: fresh('ttl') }];
    await ask({ messages: other, gateway: { cache: { ttlSeconds: 0 } } });
    expect((await ask({ messages: other })).cache).toBe('miss');
  });

  it('refuses a malformed gateway.cache with a 400', async () => {
    await expect(ask({ messages: [{ role: 'user', content: 'x' }], gateway: { cache: { mode: 'sometimes' } } })).rejects.toMatchObject({ status: 400 });
  });
});

describe('other front-ends', () => {
  it('answers an Anthropic client from the cache after a natively served miss, whole and streamed', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: keys[0]!.secret, maxRetries: 0 });
    const params = { model: 'claude/claude-test', max_tokens: 50, messages: [{ role: 'user' as const, content: fresh('native') }] };
    const miss = await client.messages.create(params).withResponse();
    expect(miss.response.headers.get('x-gateway-cache')).toBe('miss');
    const hit = await client.messages.create(params).withResponse();
    expect(hit.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(hit.data.content).toEqual(miss.data.content);
    expect(hit.data.stop_reason).toBe(miss.data.stop_reason);
    expect(hit.data.usage.output_tokens).toBe(miss.data.usage.output_tokens);
    expect(hit.data.model).toBe('claude/claude-test');

    const streamParams = { ...params, messages: [{ role: 'user' as const, content: fresh('native stream') }] };
    const first = await client.messages.stream(streamParams).finalMessage();
    const { data: stream, response } = await client.messages.create({ ...streamParams, stream: true }).withResponse();
    expect(response.headers.get('x-gateway-cache')).toBe('hit');
    let text = '';
    for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    expect(text).toBe((first.content[0] as { text: string }).text);
    expect(calls()).toBe(2);
  });

  it('caches embeddings', async () => {
    const input = fresh('embed me');
    const first = await openai().embeddings.create({ model: 'mock/text-embed', input }).withResponse();
    const second = await openai().embeddings.create({ model: 'mock/text-embed', input }).withResponse();
    expect(first.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(second.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(second.data.data).toEqual(first.data.data);
    expect(calls()).toBe(1);
  });

  it('caches /v1/responses and /v1/completions', async () => {
    const input = fresh('responses');
    const one = await openai().responses.create({ model: 'mock/mock-small', input, store: false }).withResponse();
    const two = await openai().responses.create({ model: 'mock/mock-small', input, store: false }).withResponse();
    expect([one.response.headers.get('x-gateway-cache'), two.response.headers.get('x-gateway-cache')]).toEqual(['miss', 'hit']);
    expect(two.data.output_text).toBe(one.data.output_text);
    const prompt = fresh('complete');
    const a = await openai().completions.create({ model: 'mock/mock-small', prompt }).withResponse();
    const b = await openai().completions.create({ model: 'mock/mock-small', prompt }).withResponse();
    expect([a.response.headers.get('x-gateway-cache'), b.response.headers.get('x-gateway-cache')]).toEqual(['miss', 'hit']);
    expect(b.data.choices[0]?.text).toBe(a.data.choices[0]?.text);
  });
});

describe('stats, clearing and accounting', () => {
  const stats = async (secret: string) => (await (await fetch(`${gw.baseURL}/cache/stats`, { headers: { authorization: `Bearer ${secret}` } })).json()) as CacheStats;

  it('counts hits, misses and savings per key and model, and shows a key only its own', async () => {
    const before = await stats(keys[1]!.secret);
    const messages = [{ role: 'user', content: fresh('stats') }];
    await ask({ messages }, { key: 1 });
    await ask({ messages }, { key: 1 });
    await ask({ messages }, { key: 1 });
    const after = await stats(keys[1]!.secret);
    expect(after.view).toBe(`key:${keys[1]!.id}`);
    expect(after.hits - before.hits).toBe(2);
    expect(after.misses - before.misses).toBe(1);
    expect(after.entries).toBe(1);
    expect(after.tokensSaved - before.tokensSaved).toBe(2 * 7);
    expect(after.usdSaved - before.usdSaved).toBeCloseTo(2 * (5 * 1 + 2 * 2) / 1e6, 10);
    expect(after.models['mock/mock-small']).toMatchObject({ entries: 1 });
    expect(after.hitRate).toBeGreaterThan(0);

    const whole = (await (await fetch(`${gw.url}/admin/cache/stats`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as CacheStats;
    expect(whole.view).toBe('all');
    expect(whole.hits).toBeGreaterThanOrEqual(after.hits);
    // A gateway key may not clear the cache; the admin key may.
    expect((await fetch(`${gw.baseURL}/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${keys[0]!.secret}` } })).status).toBe(401);
  });

  it('clears by model, key and age', async () => {
    const messages = [{ role: 'user', content: fresh('clear') }];
    await ask({ messages }, { key: 0 });
    await ask({ messages }, { key: 1 });
    const del = (query: string) => fetch(`${gw.baseURL}/cache?${query}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } }).then((r) => r.json() as Promise<{ deleted: number }>);
    expect((await del('olderThanSeconds=3600')).deleted).toBe(0);
    expect((await del('model=other-model')).deleted).toBe(0);
    expect((await del(`key=${keys[0]!.id}`)).deleted).toBe(1);
    expect((await ask({ messages }, { key: 0 })).cache).toBe('miss');
    expect((await ask({ messages }, { key: 1 })).cache).toBe('hit');
    expect((await del('model=mock/mock-small')).deleted).toBe(2);
    expect((await ask({ messages }, { key: 1 })).cache).toBe('miss');
    expect((await fetch(`${gw.baseURL}/cache?olderThanSeconds=soon`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(400);
  });

  it('records a hit in the usage log as free, with the cached tokens and the saved cost', async () => {
    const messages = [{ role: 'user', content: fresh('usage') }];
    await ask({ messages });
    const hit = await ask({ messages });
    const record = await usageRecordOf(gw, hit.headers.get('x-request-id')!);
    expect(record).toMatchObject({ cache: 'hit', costUsd: 0, promptTokens: 5, completionTokens: 2, provider: 'mock', model: 'mock-small' });
    expect(record.savedCostUsd).toBeCloseTo((5 * 1 + 2 * 2) / 1e6, 12);
  });

  it('charges no budget and no tokens per minute for hits', async () => {
    const created = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'budgeted', budget: { dailyUsd: 1 } }) });
    const key = (await created.json()) as { id: string; secret: string };
    keys.push(key);
    const usage = async () => ((await (await fetch(`${gw.url}/admin/keys/${key.id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { usage: { spentUsd: { daily: number }; lastMinute: { tokens: number } } }).usage;
    const messages = [{ role: 'user', content: fresh('budget') }];
    await ask({ messages }, { key: keys.length - 1 });
    await expect.poll(async () => (await usage()).spentUsd.daily, { timeout: 3000 }).toBeGreaterThan(0);
    await expect.poll(async () => (await usage()).lastMinute.tokens, { timeout: 3000 }).toBeGreaterThan(0);
    const afterMiss = await usage();
    for (let i = 0; i < 3; i++) expect((await ask({ messages }, { key: keys.length - 1 })).cache).toBe('hit');
    // Each hit reserves its estimate on the way in and settles at 0 when it ends.
    await expect.poll(async () => (await usage()).spentUsd.daily, { timeout: 3000 }).toBe(afterMiss.spentUsd.daily);
    // A sliding window only shrinks with time: three charged hits would add 3 × 7 tokens.
    expect((await usage()).lastMinute.tokens).toBeLessThanOrEqual(afterMiss.lastMinute.tokens);
  });
});
