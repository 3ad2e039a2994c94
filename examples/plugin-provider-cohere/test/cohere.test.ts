/**
 * The `cohere` provider type, installed as a third party's package: the official `openai` client →
 * a gateway with the plugin → a Cohere-format mock over a real socket (mock-cohere.ts). Whole and
 * streamed answers, tools across two turns, what cannot be translated, Cohere's errors and a cut
 * stream, embeddings and the model list, and what the mock received each time.
 */
import cohere from 'llm-gateway-plugin-provider-cohere';
import { startGateway, type RunningGateway } from 'llm-gateway/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messageStart, startMockCohere, type MockCohere } from './mock-cohere.js';

const KEY = 'co-test-key';
let mock: MockCohere;
let gw: RunningGateway;
let client: OpenAI;
const chats = () => mock.requests.filter((r) => r.path === '/v2/chat');
const lastChat = () => chats().at(-1)?.body ?? {};

const weather = { type: 'function' as const, function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
const time = { type: 'function' as const, function: { name: 'get_time', description: 'Time in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

beforeAll(async () => {
  mock = await startMockCohere({ apiKey: KEY });
  gw = await startGateway({
    providers: {
      cohere: { type: 'cohere', baseURL: mock.url, apiKey: KEY, listModels: false },
      lenient: { type: 'cohere', baseURL: mock.url, apiKey: KEY, listModels: false, unsupportedParams: 'drop' },
    },
    plugins: [cohere()],
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await mock?.close();
});
beforeEach(() => mock.reset());

describe('chat', () => {
  it('answers whole, translating the request to Cohere and the answer back', async () => {
    const answer = await client.chat.completions.create({
      model: 'cohere/command-a-03-2025',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ],
      max_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['END'],
      seed: 7,
    });
    expect(answer.choices[0]?.message.content).toBe('echo: hello');
    expect(answer.choices[0]?.finish_reason).toBe('stop');
    expect(answer.model).toBe('command-a-03-2025');
    // Billed units, not the tokens Cohere adds to the prompt itself.
    expect(answer.usage).toMatchObject({ completion_tokens: 2, total_tokens: (answer.usage?.prompt_tokens ?? 0) + 2 });

    const [seen] = chats();
    expect(seen?.method).toBe('POST');
    expect(seen?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(seen?.headers['x-client-name']).toBe('llm-gateway');
    expect(seen?.body).toEqual({
      model: 'command-a-03-2025',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ],
      max_tokens: 50,
      temperature: 0.2,
      p: 0.9,
      stop_sequences: ['END'],
      seed: 7,
      stream: false,
    });
  });

  it('streams chunk by chunk, with usage when asked for', async () => {
    const stream = await client.chat.completions.create({ model: 'cohere/command-a-03-2025', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'one two three' }] });
    const pieces: string[] = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const part of stream) {
      if (part.choices[0]?.delta.content) pieces.push(part.choices[0].delta.content);
      finish = part.choices[0]?.finish_reason ?? finish;
      usage = part.usage ?? usage;
    }
    expect(pieces.join('')).toBe('echo: one two three');
    expect(pieces.length).toBeGreaterThan(2);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: 4 });
    expect(lastChat()).toMatchObject({ stream: true });
    expect(chats()[0]?.headers.accept).toBe('text/event-stream');
  });

  it('sends images as image_url parts and JSON schemas as response_format', async () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    await client.chat.completions.create({
      model: 'cohere/command-a-vision-07-2025',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } }] }],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } },
    });
    expect(lastChat()).toMatchObject({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } }] }],
      response_format: { type: 'json_object', json_schema: schema },
    });
  });
});

describe('tools', () => {
  it('calls tools and takes their results on the next turn', async () => {
    const first = await client.chat.completions.create({ model: 'cohere/command-a-03-2025', tools: [weather, time], messages: [{ role: 'user', content: 'call both' }] });
    const message = first.choices[0]?.message;
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(message?.content).toBe('I will call get_weather and get_time.');
    expect(message?.tool_calls?.map((c) => (c.type === 'function' ? [c.id, c.function.name, JSON.parse(c.function.arguments)] : c.type))).toEqual([
      ['get_weather_mock0', 'get_weather', { city: 'Paris' }],
      ['get_time_mock1', 'get_time', { city: 'Paris' }],
    ]);
    expect(lastChat()).toMatchObject({ tools: [weather, time] });

    const second = await client.chat.completions.create({
      model: 'cohere/command-a-03-2025',
      tools: [weather, time],
      messages: [
        { role: 'user', content: 'call both' },
        message as OpenAI.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: 'get_weather_mock0', content: '18 degrees' },
        { role: 'tool', tool_call_id: 'get_time_mock1', content: 'noon' },
      ],
    });
    expect(second.choices[0]?.message.content).toBe('tool said: 18 degrees; noon');
    // Cohere's own shape for the calling turn: the text as its tool plan, the calls as they came.
    expect((lastChat().messages as unknown[]).slice(1)).toEqual([
      {
        role: 'assistant',
        tool_plan: 'I will call get_weather and get_time.',
        tool_calls: [
          { id: 'get_weather_mock0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'get_time_mock1', type: 'function', function: { name: 'get_time', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'get_weather_mock0', content: '18 degrees' },
      { role: 'tool', tool_call_id: 'get_time_mock1', content: 'noon' },
    ]);
  });

  it('streams tool calls as indexed deltas whose arguments arrive in pieces', async () => {
    const stream = await client.chat.completions.create({ model: 'cohere/command-a-03-2025', stream: true, tools: [weather, time], messages: [{ role: 'user', content: 'call both' }] });
    const calls: Array<{ id: string; name: string; args: string }> = [];
    let plan = '';
    let finish: string | null = null;
    for await (const part of stream) {
      plan += part.choices[0]?.delta.content ?? '';
      finish = part.choices[0]?.finish_reason ?? finish;
      for (const call of part.choices[0]?.delta.tool_calls ?? []) {
        const entry = (calls[call.index] ??= { id: '', name: '', args: '' });
        entry.id += call.id ?? '';
        entry.name += call.function?.name ?? '';
        entry.args += call.function?.arguments ?? '';
      }
    }
    expect(plan).toBe('I will call get_weather and get_time.');
    expect(finish).toBe('tool_calls');
    expect(calls.map((c) => [c.id, c.name, JSON.parse(c.args)])).toEqual([
      ['get_weather_mock0', 'get_weather', { city: 'Paris' }],
      ['get_time_mock1', 'get_time', { city: 'Paris' }],
    ]);
  });

  it('maps tool_choice: required, none, and a named function (the only tool then offered)', async () => {
    await client.chat.completions.create({ model: 'cohere/command-a-03-2025', tools: [weather, time], tool_choice: 'required', messages: [{ role: 'user', content: 'hi' }] });
    expect(lastChat()).toMatchObject({ tool_choice: 'REQUIRED', tools: [weather, time] });
    await client.chat.completions.create({ model: 'cohere/command-a-03-2025', tools: [weather, time], tool_choice: 'none', messages: [{ role: 'user', content: 'hi' }] });
    expect(lastChat()).toMatchObject({ tool_choice: 'NONE' });
    await client.chat.completions.create({ model: 'cohere/command-a-03-2025', tools: [weather, time], tool_choice: { type: 'function', function: { name: 'get_time' } }, messages: [{ role: 'user', content: 'hi' }] });
    expect(lastChat()).toMatchObject({ tool_choice: 'REQUIRED', tools: [time] });
  });
});

describe('what Cohere cannot honour', () => {
  it.each<[string, Partial<OpenAI.ChatCompletionCreateParamsNonStreaming>]>([
    ['n', { n: 2 }],
    ['logit_bias', { logit_bias: { '50256': -100 } }],
    ['logprobs', { logprobs: true }],
    ['parallel_tool_calls', { parallel_tool_calls: false, tools: [weather] }],
  ])('refuses %s with a 400 naming the provider and the field, without calling Cohere', async (param, extra) => {
    const error = await client.chat.completions.create({ model: 'cohere/command-a-03-2025', messages: [{ role: 'user', content: 'hi' }], ...extra }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'unsupported_parameter', param, provider: 'cohere', retryable: false });
    expect(chats()).toHaveLength(0);
  });

  it('sends the leading system messages as one system turn, and refuses one later in the conversation', async () => {
    await client.chat.completions.create({
      model: 'cohere/command-a-03-2025',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'developer', content: 'answer in French' },
        { role: 'user', content: 'hi' },
      ],
    });
    expect(lastChat().messages).toEqual([
      { role: 'system', content: 'be brief\n\nanswer in French' },
      { role: 'user', content: 'hi' },
    ]);
    const late = [
      { role: 'user' as const, content: 'hi' },
      { role: 'system' as const, content: 'now be verbose' },
    ];
    const error = await client.chat.completions.create({ model: 'cohere/command-a-03-2025', messages: late }).catch((e: unknown) => e);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'unsupported_parameter', param: 'messages[1]', provider: 'cohere' });
    await client.chat.completions.create({ model: 'lenient/command-a-03-2025', messages: late });
    expect(lastChat().messages).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it("leaves them out under unsupportedParams: 'drop'", async () => {
    const answer = await client.chat.completions.create({ model: 'lenient/command-a-03-2025', n: 2, logit_bias: { '1': 1 }, messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: hi');
    expect(lastChat()).not.toHaveProperty('n');
    expect(lastChat()).not.toHaveProperty('logit_bias');
  });
});

describe("Cohere's errors", () => {
  it('a 429 keeps its status and Retry-After, names the provider and may be retried', async () => {
    mock.enqueue({ status: 429, headers: { 'retry-after': '7' }, body: { id: 'e1', message: 'You are past the per minute request limit, please wait and try again later.' } });
    const { response } = await client.chat.completions.create({ model: 'cohere/command-a-03-2025', messages: [{ role: 'user', content: 'x' }] }).withResponse().catch((e: unknown) => ({ response: e }));
    expect(response).toBeInstanceOf(OpenAI.RateLimitError);
    const error = response as InstanceType<typeof OpenAI.APIError>;
    expect(error.headers?.get('retry-after')).toBe('7');
    expect(error.headers?.get('x-gateway-provider')).toBe('cohere');
    expect(error.error).toMatchObject({ provider: 'cohere', retryable: true, type: 'rate_limit_error' });
    expect(error.message).toContain('cohere: You are past the per minute request limit');
  });

  it('a 500 keeps its status and may be retried', async () => {
    mock.enqueue({ status: 500, body: { id: 'e2', message: 'internal server error, this has been reported to our developers' } });
    const error = await client.chat.completions.create({ model: 'cohere/command-a-03-2025', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ provider: 'cohere', retryable: true });
  });

  it('a prompt too long for the model is context_length_exceeded, not worth a retry', async () => {
    mock.enqueue({ status: 400, body: { id: 'e3', message: 'too many tokens: total number of tokens in the prompt cannot exceed 4081 - received 4292.' } });
    const error = await client.chat.completions.create({ model: 'cohere/command-a-03-2025', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'context_length_exceeded', provider: 'cohere', retryable: false });
  });

  it("a wrong key (the gateway's own) is a 502 provider_auth_failed naming the provider, not the client's 401", async () => {
    const other = await startGateway({ providers: { cohere: { type: 'cohere', baseURL: mock.url, apiKey: 'wrong', listModels: false } }, plugins: [cohere()] });
    try {
      const error = await new OpenAI({ baseURL: other.baseURL, apiKey: 'unused', maxRetries: 0 }).chat.completions.create({ model: 'cohere/command-a-03-2025', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(OpenAI.AuthenticationError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
      expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'provider_auth_failed', provider: 'cohere' });
    } finally {
      await other.close();
    }
  });

  it('a stream cut mid-way makes the client throw instead of ending quietly', async () => {
    mock.enqueue({
      events: [
        messageStart('cut'),
        { type: 'content-delta', index: 0, delta: { message: { content: { text: 'a ' } } } },
        { type: 'content-delta', index: 0, delta: { message: { content: { text: 'b ' } } } },
        { type: 'content-delta', index: 0, delta: { message: { content: { text: 'c' } } } },
      ],
      cutAfter: 2,
    });
    const stream = await client.chat.completions.create({ model: 'cohere/command-a-03-2025', stream: true, messages: [{ role: 'user', content: 'x' }] });
    let text = '';
    await expect(
      (async () => {
        for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow(/cohere: /);
    expect(text).toBe('a ');
  });

  it('a stream that ends without message-end is reported truncated', async () => {
    mock.enqueue({ events: [messageStart('short'), { type: 'content-delta', index: 0, delta: { message: { content: { text: 'half' } } } }] });
    const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'cohere/command-a-03-2025', stream: true, messages: [{ role: 'user', content: 'x' }] }) });
    const body = await res.text();
    expect(body).toContain('"content":"half"');
    expect(body).toContain('upstream_stream_truncated');
    expect(body).not.toContain('[DONE]');
  });

  it('a message-end that reports an error fails the stream', async () => {
    mock.enqueue({ events: [messageStart('err'), { type: 'message-end', delta: { finish_reason: 'ERROR', error: 'the model crashed' } }] });
    const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'cohere/command-a-03-2025', stream: true, messages: [{ role: 'user', content: 'x' }] }) });
    const body = await res.text();
    expect(body).toContain('cohere: the model crashed');
    expect(body).not.toContain('[DONE]');
  });
});

describe('embeddings and models', () => {
  it('embeds through /v2/embed with float vectors', async () => {
    const result = await client.embeddings.create({ model: 'cohere/embed-v4.0', input: ['hello', 'goodbye'], encoding_format: 'float', dimensions: 256 });
    expect(result.data.map((d) => d.embedding)).toEqual([
      [5, 1, 0],
      [7, 1, 0],
    ]);
    expect(result.usage.prompt_tokens).toBe(2);
    const seen = mock.requests.find((r) => r.path === '/v2/embed');
    expect(seen?.body).toEqual({ model: 'embed-v4.0', texts: ['hello', 'goodbye'], input_type: 'search_document', embedding_types: ['float'], output_dimension: 256 });
  });

  it('lists the chat and embed models Cohere serves', async () => {
    const listing = await startGateway({ providers: { cohere: { type: 'cohere', baseURL: mock.url, apiKey: KEY } }, plugins: [cohere()] });
    try {
      await expect.poll(async () => (await fetch(`${listing.url}/ready`)).status, { timeout: 5000 }).toBe(200);
      const models = await new OpenAI({ baseURL: listing.baseURL, apiKey: 'unused' }).models.list();
      expect(models.data.map((m) => m.id)).toEqual(['cohere/command-a-03-2025', 'cohere/embed-v4.0']);
      expect(mock.requests.find((r) => r.path.startsWith('/v1/models'))?.path).toBe('/v1/models?page_size=1000');
    } finally {
      await listing.close();
    }
  });

  it('refuses a provider entry without an apiKey at start, naming the option', async () => {
    await expect(startGateway({ providers: { cohere: { type: 'cohere', baseURL: mock.url } }, plugins: [cohere()] })).rejects.toThrow(/config\/providers\/cohere.*apiKey/s);
  });
});
