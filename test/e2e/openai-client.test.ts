/**
 * The official `openai` client → gateway → OpenAI-format mock upstream, all over real sockets:
 * what a user's app sees, and what the upstream receives.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, completion, startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;
/** What the upstream received on its chat endpoint (model listing runs in the background too). */
const chats = () => upstream.requests.filter((r) => r.path === '/v1/chat/completions');

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: 'sk-upstream-secret' } },
    models: { fast: { targets: ['mock/mock-small'] } },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
});

describe('non-streaming', () => {
  it('routes provider/model to the provider with the bare model name and the provider key', async () => {
    const answer = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hello' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: hello');
    const [seen] = chats();
    expect(seen?.path).toBe('/v1/chat/completions');
    expect(seen?.body?.model).toBe('mock-small');
    expect(seen?.headers.authorization).toBe('Bearer sk-upstream-secret');
  });

  it('routes a virtual model to its target', async () => {
    const answer = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'v' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: v');
    expect(chats()[0]?.body?.model).toBe('mock-small');
  });

  it('passes unknown request fields, images, JSON schemas, reasoning, logprobs and tool definitions to the upstream untouched', async () => {
    const body = {
      model: 'mock/mock-small',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'x' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'object' } } },
      reasoning_effort: 'low',
      logprobs: true,
      top_logprobs: 2,
      foo_extension: { a: 1, nested: [true, null] },
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
    };
    const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    expect(chats()[0]?.body).toEqual({ ...body, model: 'mock-small' });
  });

  it('returns unknown response fields and logprobs to the client untouched', async () => {
    const upstreamAnswer = completion({
      content: 'hi',
      extra: { system_fingerprint: 'fp_123', x_extra: { deep: [1, 2] }, service_tier: 'default' },
    });
    (upstreamAnswer.choices as Array<Record<string, unknown>>)[0]!.logprobs = { content: [{ token: 'hi', logprob: -0.1, bytes: [104, 105], top_logprobs: [] }] };
    upstream.enqueue({ body: upstreamAnswer });
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(await res.json()).toEqual(upstreamAnswer);
  });

  it('carries tool calls both ways', async () => {
    const toolCalls = [
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{"tz":"CET"}' } },
    ];
    upstream.enqueue({ body: completion({ content: null, toolCalls }) });
    const tools = [
      { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
      { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } } },
    ];
    const first = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'weather and time?' }], tools, tool_choice: 'auto' });
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(first.choices[0]?.message.tool_calls).toEqual(toolCalls);
    expect(chats()[0]?.body?.tools).toEqual(tools);
    expect(chats()[0]?.body?.tool_choice).toBe('auto');

    const followUp = await client.chat.completions.create({
      model: 'mock/mock-small',
      tools,
      messages: [
        { role: 'user', content: 'weather and time?' },
        { role: 'assistant', content: null, tool_calls: first.choices[0]!.message.tool_calls! },
        { role: 'tool', tool_call_id: 'call_1', content: '18C' },
        { role: 'tool', tool_call_id: 'call_2', content: '14:00' },
      ],
    });
    expect(followUp.choices[0]?.message.content).toBe('tool said: 14:00');
    const sent = chats()[1]?.body?.messages as Array<Record<string, unknown>>;
    expect(sent.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
      { role: 'tool', tool_call_id: 'call_2', content: '14:00' },
    ]);
  });

  it('sets x-request-id (the client\'s own when sent) and x-gateway-provider', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'h' }] }, { headers: { 'x-request-id': 'my-trace-42' } })
      .withResponse();
    expect(response.headers.get('x-request-id')).toBe('my-trace-42');
    expect(response.headers.get('x-gateway-provider')).toBe('mock');
    expect(chats()[0]?.headers['x-request-id']).toBe('my-trace-42');

    const generated = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'h' }] }).withResponse();
    expect(generated.response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('what real clients send', () => {
  it('passes OpenAI\'s newer fields, new roles and values to an OpenAI-format host untouched', async () => {
    const fields = {
      reasoning_effort: 'minimal',
      verbosity: 'low',
      prediction: { type: 'content', content: 'const x = 1;' },
      modalities: ['text', 'audio'],
      audio: { voice: 'alloy', format: 'wav' },
      store: true,
      service_tier: 'flex',
      prompt_cache_key: 'cache-key-1',
      safety_identifier: 'user-hash-1',
      web_search_options: { search_context_size: 'low', user_location: { type: 'approximate', approximate: { country: 'FR' } } },
      // Values the gateway does not judge: the upstream does.
      temperature: 2.5,
      top_p: 1.5,
      n: 0,
      metadata: { team: 'a' },
    };
    const messages = [
      { role: 'developer', content: 'be brief' },
      { role: 'critic', content: 'a role from a newer API' },
      { role: 'user', content: 'hello' },
    ];
    const body = { model: 'mock/mock-small', messages, ...fields };
    const answer = await client.chat.completions.create(body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(answer.choices[0]?.message.content).toBe('echo: hello');
    expect(chats()[0]?.body).toEqual({ ...body, model: 'mock-small' });
  });
});

describe('streaming', () => {
  it('streams the answer and ends with [DONE]', async () => {
    const stream = await client.chat.completions.create({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'one two three' }] });
    let text = '';
    let finish: string | null | undefined;
    for await (const part of stream) {
      text += part.choices[0]?.delta.content ?? '';
      finish ??= part.choices[0]?.finish_reason;
    }
    expect(text).toBe('echo: one two three');
    expect(finish).toBe('stop');

    const raw = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'a' }] }),
    });
    expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(raw.headers.get('x-gateway-provider')).toBe('mock');
    expect(raw.headers.get('x-request-id')).toBeTruthy();
    const body = await raw.text();
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('passes the include_usage chunk through', async () => {
    const stream = await client.chat.completions.create({
      model: 'mock/mock-small',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'count me' }],
    });
    const parts = [];
    for await (const part of stream) parts.push(part);
    const last = parts.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 5, total_tokens: expect.any(Number) });
    expect(chats()[0]?.body?.stream_options).toEqual({ include_usage: true });
  });

  it('reassembles streamed parallel tool calls split over many chunks', async () => {
    upstream.enqueue({
      stream: {
        chunks: [
          chunk({ role: 'assistant', content: null }),
          chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'lookup', arguments: '' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }),
          chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'lookup', arguments: '{"q":' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '"a"}' } }] }),
          chunk({ tool_calls: [{ index: 1, function: { arguments: '"b"}' } }] }),
          chunk({}, 'tool_calls'),
        ],
      },
    });
    const stream = client.chat.completions.stream({
      model: 'mock/mock-small',
      messages: [{ role: 'user', content: 'look up a and b' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(final.choices[0]?.message.tool_calls?.map((c) => [c.id, c.type === 'function' ? c.function.arguments : ''])).toEqual([
      ['call_a', '{"q":"a"}'],
      ['call_b', '{"q":"b"}'],
    ]);
  });

  it('forwards each chunk as it arrives rather than at the end', async () => {
    upstream.enqueue({ stream: { chunks: wordChunks('slow words arrive one by one'), chunkDelayMs: 120 } });
    const started = performance.now();
    const stream = await client.chat.completions.create({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 's' }] });
    const arrivals: number[] = [];
    for await (const part of stream) if (part.choices[0]?.delta.content) arrivals.push(performance.now() - started);
    const total = performance.now() - started;
    // 8 chunks 120 ms apart: the first content must reach us long before the stream ends.
    expect(arrivals.length).toBeGreaterThanOrEqual(5);
    expect(arrivals[0]!).toBeLessThan(total - 400);
    // and they arrive spread out, not in one burst
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(300);
  });
});

describe('upstream connections', () => {
  it('are kept alive across whole and streamed answers', async () => {
    const closedBefore = upstream.closedConnections;
    for (let i = 0; i < 5; i++) {
      // The body ends a little after [DONE], as it may under load: stopping at [DONE] must not
      // throw the connection away.
      upstream.enqueue({ stream: { chunks: wordChunks(`s${i}`), endDelayMs: 30 } });
      const stream = await client.chat.completions.create({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: `s${i}` }] });
      for await (const _ of stream);
      await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: `j${i}` }] });
    }
    expect(upstream.closedConnections).toBe(closedBefore);
  });
});

describe('models, health and readiness', () => {
  it('lists provider models namespaced, and virtual models', async () => {
    await expect.poll(async () => (await fetch(`${gw.url}/ready`)).status).toBe(200);
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['mock/mock-small', 'mock/mock-large', 'fast']));
    expect(list.data.find((m) => m.id === 'fast')?.owned_by).toBe('llm-gateway');
    const one = await client.models.retrieve('mock/mock-large');
    expect(one.id).toBe('mock/mock-large');
  });

  it('answers /health and /ready', async () => {
    const health = await fetch(`${gw.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await (await fetch(`${gw.url}/ready`)).json();
    expect(ready).toMatchObject({ status: 'ready', providers: [{ id: 'mock', status: 'ok', models: 2 }] });
  });

  it('resolves a bare model id that a provider lists', async () => {
    const answer = await client.chat.completions.create({ model: 'mock-large', messages: [{ role: 'user', content: 'bare' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: bare');
    expect(chats()[0]?.body?.model).toBe('mock-large');
  });
});
