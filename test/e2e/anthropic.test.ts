/**
 * Contract tests over real sockets with the official SDKs as clients:
 * - `@anthropic-ai/sdk` → gateway → an OpenAI-format upstream (translated both ways);
 * - `@anthropic-ai/sdk` → gateway → an Anthropic upstream (native: the client's body goes up as
 *   written, and the upstream's bytes come back);
 * - `openai` → gateway → an Anthropic upstream (translated both ways).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicError, anthropicMessage, anthropicStreamEvents } from '../support/anthropic-wire.js';
import { CLAUDE_CODE_BETA, claudeCodeRequest } from '../support/claude-code-request.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let anthropic: Anthropic;
let openai: OpenAI;
const sent = (path: string) => upstream.requests.filter((r) => r.path === path);

const weatherTools = [
  { name: 'get_weather', description: 'Weather in a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } },
  { name: 'get_time', description: 'Time in a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } },
];
const openaiTools = weatherTools.map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description, parameters: t.input_schema } }));

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      oai: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
      claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false },
      lenient: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false, unsupportedParams: 'drop' },
    },
  });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'client-key', maxRetries: 0 });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

describe('Anthropic client → OpenAI-format upstream', () => {
  it('answers a message, translating system, history and sampling parameters', async () => {
    // Sampling fields are still part of the API, though newer SDK typings leave them out.
    const message = await anthropic.messages.create({
      model: 'oai/mock-small',
      max_tokens: 100,
      system: 'be brief',
      ...({ temperature: 0.2 } as object),
      stop_sequences: ['END'],
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'text', text: 'hello' }] },
      ],
    });
    expect(message.type).toBe('message');
    expect(message.content).toEqual([{ type: 'text', text: 'echo: hello' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.input_tokens).toBe(5);
    expect(message.usage.output_tokens).toBe(2);
    const body = sent('/v1/chat/completions')[0]?.body;
    expect(body).toMatchObject({
      model: 'mock-small',
      max_tokens: 100,
      temperature: 0.2,
      stop: ['END'],
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'hello' },
      ],
    });
  });

  it('streams Anthropic events as the upstream chunks arrive', async () => {
    const stream = anthropic.messages.stream({ model: 'oai/mock-small', max_tokens: 100, messages: [{ role: 'user', content: 'one two three' }] });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    const final = await stream.finalMessage();
    expect(text).toBe('echo: one two three');
    expect(final.content).toEqual([{ type: 'text', text: 'echo: one two three', citations: null }].map(({ citations: _, ...b }) => b).map((b) => expect.objectContaining(b)));
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(types.filter((t) => t === 'content_block_delta').length).toBeGreaterThan(3);
    // Usage is asked of the upstream, so the final message_delta can report it.
    expect(sent('/v1/chat/completions')[0]?.body?.stream_options).toEqual({ include_usage: true });
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('calls tools, parallel ones too, and sends tool results back as tool messages', async () => {
    const first = await anthropic.messages.create({ model: 'oai/mock-small', max_tokens: 100, tools: weatherTools, messages: [{ role: 'user', content: 'call both' }] });
    expect(first.stop_reason).toBe('tool_use');
    const calls = first.content.filter((b) => b.type === 'tool_use');
    expect(calls.map((c) => [c.name, c.input])).toEqual([
      ['get_weather', { city: 'Paris' }],
      ['get_time', { city: 'Paris' }],
    ]);
    expect(sent('/v1/chat/completions')[0]?.body?.tools).toEqual(openaiTools);

    const second = await anthropic.messages.create({
      model: 'oai/mock-small',
      max_tokens: 100,
      tools: weatherTools,
      messages: [
        { role: 'user', content: 'call both' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: calls.map((c, i) => ({ type: 'tool_result' as const, tool_use_id: c.id, content: i === 0 ? 'sunny' : 'noon' })),
        },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'tool said: noon' }]);
    const messages = sent('/v1/chat/completions')[1]?.body?.messages as Array<Record<string, unknown>>;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool']);
    expect(messages[1]?.tool_calls).toHaveLength(2);
    expect(messages[2]).toEqual({ role: 'tool', tool_call_id: calls[0]?.id, content: 'sunny' });
  });

  it('streams tool calls as tool_use blocks with input_json_delta', async () => {
    const stream = anthropic.messages.stream({ model: 'oai/mock-small', max_tokens: 100, tools: weatherTools, messages: [{ role: 'user', content: 'call both' }] });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content.map((b) => (b.type === 'tool_use' ? [b.name, b.input] : b.type))).toEqual([
      ['get_weather', { city: 'Paris' }],
      ['get_time', { city: 'Paris' }],
    ]);
  });

  it('estimates count_tokens when no provider can count', async () => {
    const res = await fetch(`${gw.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'oai/mock-small', messages: [{ role: 'user', content: 'x'.repeat(400) }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-token-count')).toBe('estimate');
    expect(await res.json()).toEqual({ input_tokens: 103 });
  });
});

describe('Anthropic client → Anthropic upstream (native)', () => {
  it('sends the body as the client wrote it, with the provider key and forwarded beta headers', async () => {
    const request = {
      model: 'claude/claude-test',
      max_tokens: 64,
      system: [{ type: 'text' as const, text: 'long context', cache_control: { type: 'ephemeral' as const } }],
      messages: [{ role: 'user' as const, content: 'hi' }],
      metadata: { user_id: 'u-1' },
    };
    const message = await anthropic.messages.create(request, { headers: { 'anthropic-beta': 'interleaved-thinking-2025-05-14' } });
    expect(message.content).toEqual([{ type: 'text', text: 'echo: hi' }]);
    const seen = sent('/v1/messages')[0];
    expect(seen?.body).toEqual({ ...request, model: 'claude-test' });
    expect(seen?.headers['x-api-key']).toBe('sk-ant-upstream');
    // The client's own version (the SDK's), whose rules its request was written to, not the provider's default.
    expect(seen?.headers['anthropic-version']).toBe('2026-10-21');
    expect(seen?.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
    // The client's own key never reaches the upstream.
    expect(JSON.stringify(seen?.headers)).not.toContain('client-key');
  });

  it("replays the upstream's events byte for byte, thinking signatures included", async () => {
    const events = anthropicStreamEvents([{ thinking: { text: 'Let me think.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3h' } }, { text: 'The answer is 4.' }], {
      model: 'claude-test',
      usage: { input_tokens: 3, output_tokens: 20, cache_read_input_tokens: 1000 },
    });
    upstream.enqueue({ stream: { chunks: events, done: false } });
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude/claude-test', max_tokens: 2000, stream: true, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: '2+2?' }] }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(events.join(''));
  });

  it("answers a whole message with the upstream's bytes as they came, as JSON", async () => {
    // Spacing, key order and a vendor field that a parse and re-serialise would not keep as they are.
    const text = '{ "type": "message", "id": "msg_1", "role": "assistant", "model": "claude-test", "x_vendor": {"b": 1, "a": 2},\n  "content": [{"type": "text", "text": "Hi \\u0074here"}], "stop_reason": "end_turn", "stop_sequence": null, "usage": {"input_tokens": 3, "output_tokens": 2} }';
    upstream.enqueue({ body: text, headers: { 'content-type': 'application/json' } });
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude/claude-test', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.text()).toBe(text);
  });

  it('gives the SDK a final message with the thinking block and its signature', async () => {
    upstream.enqueue({ stream: { chunks: anthropicStreamEvents([{ thinking: { text: 'hmm', signature: 'sig-1' } }, { text: 'done' }]), done: false } });
    const final = await anthropic.messages
      .stream({ model: 'claude/claude-test', max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'q' }] })
      .finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'thinking', thinking: 'hmm', signature: 'sig-1' });
    expect(final.content[1]).toMatchObject({ type: 'text', text: 'done' });
  });

  it('calls tools natively, streamed, and takes their results back', async () => {
    const first = await anthropic.messages.stream({ model: 'claude/claude-test', max_tokens: 100, tools: weatherTools, messages: [{ role: 'user', content: 'call both' }] }).finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const calls = first.content.filter((b) => b.type === 'tool_use');
    expect(calls.map((c) => [c.id, c.name, c.input])).toEqual([
      ['toolu_01', 'get_weather', { city: 'Paris' }],
      ['toolu_02', 'get_time', { city: 'Paris' }],
    ]);
    const second = await anthropic.messages.create({
      model: 'claude/claude-test',
      max_tokens: 100,
      tools: weatherTools,
      messages: [
        { role: 'user', content: 'call both' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: calls.map((c) => ({ type: 'tool_result' as const, tool_use_id: c.id, content: `${c.name} done` })) },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'tool said: get_weather done' }]);
    expect(sent('/v1/messages')[1]?.body?.messages).toEqual([
      { role: 'user', content: 'call both' },
      { role: 'assistant', content: first.content.map((b) => ({ type: 'tool_use', id: (b as { id: string }).id, name: (b as { name: string }).name, input: (b as { input: unknown }).input })) },
      { role: 'user', content: calls.map((c) => ({ type: 'tool_result', tool_use_id: c.id, content: `${c.name} done` })) },
    ]);
  });

  it('counts tokens with the provider', async () => {
    const counted = await anthropic.messages.countTokens({ model: 'claude/claude-test', messages: [{ role: 'user', content: 'hello' }] });
    expect(counted.input_tokens).toBe(JSON.stringify([{ role: 'user', content: 'hello' }]).length);
    expect(sent('/v1/messages/count_tokens')[0]?.body).toEqual({ model: 'claude-test', messages: [{ role: 'user', content: 'hello' }] });
  });

  it("passes the upstream's errors on in Anthropic's format, keeping 529 and its type", async () => {
    upstream.enqueue({ status: 529, body: anthropicError('overloaded_error', 'Overloaded') });
    const error = await anthropic.messages.create({ model: 'claude/claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBe(529);
    expect(apiError.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'claude: Overloaded', provider: 'claude', retryable: true } });
  });
});

describe('OpenAI client → Anthropic upstream', () => {
  it('translates the request: system, max_tokens default, images, stop, user', async () => {
    const answer = await openai.chat.completions.create({
      model: 'claude/claude-test',
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
      stop: 'END',
      user: 'u-42',
    });
    expect(answer.choices[0]?.message.content).toBe('echo: look');
    expect(answer.choices[0]?.finish_reason).toBe('stop');
    expect(answer.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 });
    expect(sent('/v1/messages')[0]?.body).toEqual({
      model: 'claude-test',
      max_tokens: 4096,
      system: [{ type: 'text', text: 'be brief' }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
      stop_sequences: ['END'],
      metadata: { user_id: 'u-42' },
    });
  });

  it('streams chunks, and reports usage only when asked', async () => {
    const run = async (includeUsage: boolean) => {
      const stream = await openai.chat.completions.create({
        model: 'claude/claude-test',
        messages: [{ role: 'user', content: 'a b c' }],
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      let text = '';
      let usage: unknown;
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish ??= chunk.choices[0]?.finish_reason;
        if (chunk.usage) usage = chunk.usage;
      }
      return { text, usage, finish };
    };
    expect(await run(false)).toEqual({ text: 'echo: a b c', usage: undefined, finish: 'stop' });
    expect((await run(true)).usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 6 });
  });

  it('calls tools in parallel and sends tool results back as tool_result blocks', async () => {
    const first = await openai.chat.completions.create({ model: 'claude/claude-test', tools: openaiTools, tool_choice: 'required', messages: [{ role: 'user', content: 'call both' }] });
    const message = first.choices[0]?.message;
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(message?.tool_calls?.map((c) => (c.type === 'function' ? [c.function.name, JSON.parse(c.function.arguments)] : c.type))).toEqual([
      ['get_weather', { city: 'Paris' }],
      ['get_time', { city: 'Paris' }],
    ]);
    expect(sent('/v1/messages')[0]?.body).toMatchObject({ tools: weatherTools, tool_choice: { type: 'any' } });

    const second = await openai.chat.completions.create({
      model: 'claude/claude-test',
      tools: openaiTools,
      messages: [
        { role: 'user', content: 'call both' },
        message as OpenAI.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: message?.tool_calls?.[0]?.id ?? '', content: 'sunny' },
        { role: 'tool', tool_call_id: message?.tool_calls?.[1]?.id ?? '', content: 'noon' },
      ],
    });
    expect(second.choices[0]?.message.content).toBe('tool said: sunny');
    const messages = sent('/v1/messages')[1]?.body?.messages as Array<{ role: string; content: unknown }>;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[2]?.content).toEqual([
      { type: 'tool_result', tool_use_id: 'toolu_01', content: 'sunny' },
      { type: 'tool_result', tool_use_id: 'toolu_02', content: 'noon' },
    ]);
  });

  it('streams parallel tool calls as indexed tool_call deltas', async () => {
    const stream = await openai.chat.completions.create({ model: 'claude/claude-test', tools: openaiTools, messages: [{ role: 'user', content: 'call both' }], stream: true });
    const calls: Array<{ name: string; args: string }> = [];
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        calls[call.index] ??= { name: '', args: '' };
        const entry = calls[call.index] as { name: string; args: string };
        entry.name += call.function?.name ?? '';
        entry.args += call.function?.arguments ?? '';
      }
    }
    expect(calls.map((c) => [c.name, JSON.parse(c.args)])).toEqual([
      ['get_weather', { city: 'Paris' }],
      ['get_time', { city: 'Paris' }],
    ]);
  });

  it('reads cached prompt tokens into prompt_tokens_details without counting them twice', async () => {
    upstream.enqueue({ body: anthropicMessage([{ text: 'hi' }], { usage: { input_tokens: 10, output_tokens: 4, cache_read_input_tokens: 900, cache_creation_input_tokens: 100 } }) });
    const answer = await openai.chat.completions.create({ model: 'claude/claude-test', messages: [{ role: 'user', content: 'x' }] });
    expect(answer.usage).toMatchObject({ prompt_tokens: 1010, completion_tokens: 4, total_tokens: 1014, prompt_tokens_details: { cached_tokens: 900, cache_write_tokens: 100 } });
  });

  it('answers JSON mode through a forced tool, handing its input back as content', async () => {
    upstream.enqueue({ body: anthropicMessage([{ toolUse: { id: 'toolu_9', name: 'json_response', input: { answer: 42 } } }]) });
    const answer = await openai.chat.completions.create({
      model: 'claude/claude-test',
      messages: [{ role: 'user', content: 'json please' }],
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'object', properties: { answer: { type: 'number' } } } } },
    });
    expect(JSON.parse(answer.choices[0]?.message.content ?? '')).toEqual({ answer: 42 });
    expect(answer.choices[0]?.finish_reason).toBe('stop');
    expect(sent('/v1/messages')[0]?.body).toMatchObject({
      tools: [{ name: 'json_response', input_schema: { type: 'object', properties: { answer: { type: 'number' } } } }],
      tool_choice: { type: 'tool', name: 'json_response' },
    });
  });

  it('refuses what Anthropic cannot honour with a 400 naming the provider and the parameter', async () => {
    const error = await openai.chat.completions.create({ model: 'claude/claude-test', n: 2, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ param: 'n', code: 'unsupported_parameter', provider: 'claude', retryable: false });
    expect(sent('/v1/messages')).toHaveLength(0);
  });

  it("keeps an Anthropic 429's status and Retry-After, and ends a cut stream with an error", async () => {
    upstream.enqueue({ status: 429, headers: { 'retry-after': '7' }, body: anthropicError('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit') });
    const limited = await openai.chat.completions.create({ model: 'claude/claude-test', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('7');

    const events = anthropicStreamEvents([{ text: 'a b c d e' }]);
    upstream.enqueue({ stream: { chunks: events.slice(0, 5), done: false } });
    const stream = await openai.chat.completions.create({ model: 'claude/claude-test', messages: [{ role: 'user', content: 'x' }], stream: true });
    await expect(async () => {
      for await (const _ of stream) void _;
    }).rejects.toThrow(/ended before the answer was complete/);
  });
});

describe("Claude Code's requests, as the 2.1 CLI sends them", () => {
  const post = (body: unknown) =>
    fetch(`${gw.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-beta': CLAUDE_CODE_BETA, 'anthropic-version': '2023-06-01', 'x-api-key': 'client-key' },
      body: JSON.stringify(body),
    });

  it('go to an Anthropic upstream untouched: body, query and beta header', async () => {
    const request = claudeCodeRequest('claude/claude-test', false);
    const res = await post(request);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { content: Array<{ text: string }> }).content[0]?.text).toMatch(/say pong$/);
    const seen = upstream.requests.find((r) => r.path.startsWith('/v1/messages'));
    expect(seen?.path).toBe('/v1/messages?beta=true');
    expect(seen?.body).toEqual({ ...request, model: 'claude-test' });
    expect(seen?.headers['anthropic-beta']).toBe(CLAUDE_CODE_BETA);
  });

  it('reach an OpenAI-format upstream with the system message in place and the Anthropic-only settings left out', async () => {
    const res = await post(claudeCodeRequest('oai/mock-small'));
    expect(res.status).toBe(200);
    const events = await res.text();
    expect(events).toContain('event: message_stop');
    const body = sent('/v1/chat/completions')[0]?.body as { messages: Array<{ role: string; content: unknown }>; tools: unknown[] } & Record<string, unknown>;
    expect(body.messages.map((m) => m.role)).toEqual(['system', 'user', 'system']);
    expect(body.messages[2]?.content).toEqual([{ type: 'text', text: expect.stringContaining('# Environment'), cache_control: { type: 'ephemeral' } }]);
    expect(body.tools).toHaveLength(2);
    for (const field of ['context_management', 'output_config', 'thinking', 'metadata']) expect(body).not.toHaveProperty(field);
  });

  it('with a server tool offered: passed through to Anthropic, left out (and named) for an OpenAI-format provider', async () => {
    const withSearch = { ...claudeCodeRequest('claude/claude-test', false), tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }, claudeCodeRequest('x').tools[0]!] };
    const native = await post(withSearch);
    expect(native.status).toBe(200);
    expect(native.headers.get('x-gateway-dropped')).toBeNull();
    expect(upstream.requests.find((r) => r.path.startsWith('/v1/messages'))?.body).toMatchObject({ tools: withSearch.tools });

    upstream.reset();
    const translated = await post({ ...withSearch, model: 'oai/mock-small' });
    expect(translated.status).toBe(200);
    expect(translated.headers.get('x-gateway-dropped')).toBe('tools.0');
    expect((sent('/v1/chat/completions')[0]?.body?.tools as Array<{ function: { name: string } }>).map((t) => t.function.name)).toEqual(['Bash']);
  });

  it('with content the target cannot express: refused unless the provider drops it', async () => {
    const withResult = claudeCodeRequest('oai/mock-small', false);
    withResult.messages[0]!.content.unshift({ type: 'search_result', source: 'https://x.test', title: 't', content: [{ type: 'text', text: 'r' }] } as never);
    const refused = await post(withResult);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/^oai does not support 'messages\.0\.content\.0': content of type 'search_result' is only available with an Anthropic provider/) } });

    const dropped = await post({ ...withResult, model: 'lenient/mock-small' });
    expect(dropped.status).toBe(200);
    expect(dropped.headers.get('x-gateway-dropped')).toBe('messages.0.content.0');
  });
});

describe('/v1/messages input and failures, in Anthropic format', () => {
  const post = (body: unknown, raw?: string) =>
    fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) });

  it.each([
    ['no max_tokens', { model: 'oai/mock-small', messages: [{ role: 'user', content: 'x' }] }, 400, 'invalid_request_error', /max_tokens/],
    ['a role that is not a string', { model: 'oai/mock-small', max_tokens: 5, messages: [{ role: 7, content: 'x' }] }, 400, 'invalid_request_error', /messages\.0\.role/],
    ['content that is neither text nor blocks', { model: 'claude/claude-test', max_tokens: 5, messages: [{ role: 'user', content: 7 }] }, 400, 'invalid_request_error', /messages\.0\.content/],
    ['an unknown model', { model: 'nobody/none', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, 404, 'not_found_error', /nobody/],
    ['a document type a non-Anthropic provider cannot take', { model: 'oai/mock-small', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'container_upload', file_id: 'f' }] }] }, 400, 'invalid_request_error', /only available with an Anthropic provider/],
  ])('%s → %s %s', async (_name, body, status, type, message) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    const error = (await res.json()) as { type: string; error: { type: string; message: string }; request_id: string };
    expect(error.type).toBe('error');
    expect(error.error.type).toBe(type);
    expect(error.error.message).toMatch(message);
    expect(error.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('answers a body that is not JSON with an Anthropic 400', async () => {
    const res = await post(undefined, '{"model":');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('ends a stream cut mid-way with an error event and no message_stop', async () => {
    const piece = (content: string) => ({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
    const cut = { stream: { chunks: [piece('one '), piece('two '), piece('three')], chunkDelayMs: 20, cutAfter: 2 } };
    upstream.enqueue(cut);
    const res = await post({ model: 'oai/mock-small', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'x' }] });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('event: content_block_delta');
    expect(text).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
    expect(text).not.toContain('message_stop');

    upstream.enqueue(cut);
    const stream = anthropic.messages.stream({ model: 'oai/mock-small', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    await expect(stream.finalMessage()).rejects.toThrow(/connection failed/);
  });
});

describe('hints an OpenAI-format model refuses', () => {
  const refusal = (param: string, message: string) => ({ status: 400, body: { error: { message, type: 'invalid_request_error', param, code: 'unsupported_parameter' } } });

  it('are sent once more without the refused field, which that model then never gets again', async () => {
    upstream.enqueue(refusal('reasoning_effort', "Unsupported parameter: 'reasoning_effort' is not supported with this model."));
    upstream.enqueue(refusal('max_tokens', 'max_tokens is too large: 128000. This model supports at most 16384 completion tokens.'));
    // As Claude Code sends it (the SDK itself wants a stream for such a max_tokens).
    const ask = async () => {
      const res = await fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'oai/refusing-model', max_tokens: 128_000, thinking: { type: 'enabled', budget_tokens: 10_000 }, messages: [{ role: 'user', content: 'hello' }] }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { content: unknown };
    };
    expect((await ask()).content).toEqual([{ type: 'text', text: 'echo: hello' }]);
    const first = sent('/v1/chat/completions').map((r) => r.body as Record<string, unknown>);
    expect(first).toHaveLength(3);
    expect(first[0]).toMatchObject({ reasoning_effort: 'high', max_tokens: 128_000 });
    expect(first[1]).not.toHaveProperty('reasoning_effort');
    expect(first[2]).not.toHaveProperty('max_tokens');

    upstream.reset();
    expect((await ask()).content).toEqual([{ type: 'text', text: 'echo: hello' }]);
    const [again] = sent('/v1/chat/completions').map((r) => r.body as Record<string, unknown>);
    expect(sent('/v1/chat/completions')).toHaveLength(1);
    expect(again).not.toHaveProperty('reasoning_effort');
    expect(again).not.toHaveProperty('max_tokens');
  });

  it('but a field the client set in the API it called is never dropped: its refusal reaches the client', async () => {
    upstream.enqueue(refusal('reasoning_effort', "Unsupported parameter: 'reasoning_effort' is not supported with this model."));
    const error = await openai.chat.completions.create({ model: 'oai/other-model', reasoning_effort: 'high', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(sent('/v1/chat/completions')).toHaveLength(1);
  });
});
