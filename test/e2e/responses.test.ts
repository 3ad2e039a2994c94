/**
 * Contract tests over real sockets with the official `openai` SDK's Responses client
 * (`client.responses.create`, `.stream`, `.retrieve`, `.delete`, `.inputItems.list`) and raw fetch:
 * - → an OpenAI chat-format upstream (translated both ways);
 * - → an `openai` upstream speaking the Responses API (native: the body goes up as written, the
 *   upstream's bytes come back), and Azure OpenAI's Responses path;
 * - → an Anthropic upstream and a Gemini upstream (translated), with Codex CLI's own request.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicMessage, anthropicStreamEvents } from '../support/anthropic-wire.js';
import { CODEX_HEADERS, CODEX_NAMESPACED, codexRequest } from '../support/codex-request.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { postResponsesStream } from '../support/responses-stream.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';
import { chunk, completion, startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';
import { responsesObject, responsesStreamEvents } from '../support/responses-wire.js';

let upstream: MockUpstream;
let gemini: MockGemini;
let gw: RunningGateway;
let client: OpenAI;
const sent = (path: string) => upstream.requests.filter((r) => r.path.split('?')[0] === path);

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

beforeAll(async () => {
  upstream = await startMockUpstream();
  gemini = await startMockGemini();
  const endpoint = upstream.baseURL.replace(/\/v1$/, '');
  gw = await startGateway({
    providers: {
      chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
      openai: { type: 'openai', apiKey: 'sk-upstream', baseURL: upstream.baseURL, listModels: false },
      azure: { type: 'azure-openai', endpoint, apiKey: 'az-key', deployments: { 'gpt-4o': 'prod-4o' } },
      claude: { type: 'anthropic', apiKey: 'sk-ant', baseURL: upstream.baseURL, listModels: false },
      gem: mockGeminiProvider(gemini),
    },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await gemini?.close();
});
beforeEach(() => {
  upstream.reset();
  gemini.reset();
});

/** A response's output items, sent back as input on the next turn (what stateless clients do). */
const asInput = (output: OpenAI.Responses.ResponseOutputItem[]) => output as OpenAI.Responses.ResponseInputItem[];

/** Posts a body as it is and reads the server-sent events back: each event's name and data. */
const postStream = (body: Record<string, unknown>, headers: Record<string, string> = {}) => postResponsesStream(gw.baseURL, body, headers);

describe('→ an OpenAI chat-format upstream', () => {
  it('answers a response, with instructions, settings and usage in the Responses format', async () => {
    const response = await client.responses.create({ model: 'chat/mock-small', instructions: 'be brief', input: 'hello there', temperature: 0.3, max_output_tokens: 50, metadata: { app: 'test' } });
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'chat/mock-small',
      instructions: 'be brief',
      temperature: 0.3,
      max_output_tokens: 50,
      metadata: { app: 'test' },
      store: true,
      previous_response_id: null,
      output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'echo: hello there', annotations: [] }] }],
      usage: { input_tokens: 5, input_tokens_details: { cached_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 7 },
    });
    expect(response.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(response.output[0]?.id).toMatch(/^msg_/);
    expect(response.output_text).toBe('echo: hello there');
    expect(sent('/v1/chat/completions')[0]?.body).toEqual({
      model: 'mock-small',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello there' },
      ],
      max_tokens: 50,
      temperature: 0.3,
      metadata: { app: 'test' },
    });
  });

  it('streams the full event sequence with increasing sequence numbers and no [DONE]', async () => {
    const { res, text, events } = await postStream({ model: 'chat/mock-small', input: 'one two three', stream: true });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(text).not.toContain('[DONE]');
    expect(events.map((e) => e.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array(4).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    events.forEach(({ event, data }, index) => {
      expect(data.type).toBe(event);
      expect(data.sequence_number).toBe(index);
    });
    const completed = events.at(-1)?.data.response as Record<string, unknown>;
    expect(completed).toMatchObject({ status: 'completed', output: [{ type: 'message', content: [{ type: 'output_text', text: 'echo: one two three' }] }], usage: { input_tokens: 5, output_tokens: 4 } });
    // Usage comes from the upstream, which was asked for it.
    expect(sent('/v1/chat/completions')[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('streams through the SDK helper to the same final response', async () => {
    const stream = client.responses.stream({ model: 'chat/mock-small', input: 'streamed words' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(deltas.join('')).toBe('echo: streamed words');
    expect(final.output_text).toBe('echo: streamed words');
    expect(final.status).toBe('completed');
  });

  it('calls a function, then answers its output on the next turn (stateless, items sent back)', async () => {
    const first = await client.responses.create({ model: 'chat/mock-small', tools: [weather], store: false, input: [{ role: 'user', content: 'call get_weather' }] });
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', status: 'completed', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(call?.id).toMatch(/^fc_/);
    expect(sent('/v1/chat/completions')[0]?.body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: weather.parameters, strict: true } }],
    });

    const second = await client.responses.create({
      model: 'chat/mock-small',
      tools: [weather],
      store: false,
      input: [{ role: 'user', content: 'call get_weather' }, ...asInput(first.output), { type: 'function_call_output', call_id: 'call_1', output: 'sunny, 21 C' }],
    });
    expect(second.output_text).toBe('tool said: sunny, 21 C');
    expect(sent('/v1/chat/completions')[1]?.body?.messages).toEqual([
      { role: 'user', content: 'call get_weather' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny, 21 C' },
    ]);
    // store: false keeps nothing.
    await expect(client.responses.retrieve(first.id)).rejects.toMatchObject({ status: 404 });
  });

  it('streams parallel function calls as items with argument deltas', async () => {
    const tools = [weather, { ...weather, name: 'get_time', description: 'Time in a city' }];
    const { events } = await postStream({ model: 'chat/mock-small', tools, stream: true, input: 'call both' });
    const names = events.map((e) => e.event);
    expect(names.filter((n) => n === 'response.output_item.added')).toHaveLength(2);
    expect(names.filter((n) => n === 'response.function_call_arguments.delta')).toHaveLength(2);
    const done = events.filter((e) => e.event === 'response.function_call_arguments.done').map((e) => [e.data.name, e.data.arguments]);
    expect(done).toEqual([
      ['get_weather', '{"city":"Paris"}'],
      ['get_time', '{"city":"Paris"}'],
    ]);
    expect(names.at(-1)).toBe('response.completed');
    const output = (events.at(-1)?.data.response as { output: Array<Record<string, unknown>> }).output;
    expect(output.map((item) => [item.type, item.name, item.call_id, item.status])).toEqual([
      ['function_call', 'get_weather', 'call_1', 'completed'],
      ['function_call', 'get_time', 'call_2', 'completed'],
    ]);
  });

  it('reports an answer cut by max_output_tokens as incomplete', async () => {
    upstream.enqueue({ body: completion({ content: 'cut sho', finishReason: 'length' }) });
    const response = await client.responses.create({ model: 'chat/mock-small', input: 'long', max_output_tokens: 3 });
    expect(response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [{ type: 'message', status: 'incomplete' }] });
    upstream.enqueue({ stream: { chunks: [chunk({ role: 'assistant', content: 'cut' }), chunk({}, 'length')] } });
    const { events } = await postStream({ model: 'chat/mock-small', input: 'long', max_output_tokens: 3, stream: true });
    expect(events.at(-1)).toMatchObject({ event: 'response.incomplete', data: { response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } } });
  });

  it('asks for JSON with a schema through text.format', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    upstream.enqueue({ body: completion({ content: '{"city":"Paris"}' }) });
    const response = await client.responses.create({ model: 'chat/mock-small', input: 'where?', text: { format: { type: 'json_schema', name: 'place', schema, strict: true } } });
    expect(JSON.parse(response.output_text)).toEqual({ city: 'Paris' });
    expect(response.text).toMatchObject({ format: { type: 'json_schema', name: 'place' } });
    expect(sent('/v1/chat/completions')[0]?.body?.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'place', schema, strict: true } });
  });

  it('ends a stream cut mid-way with response.failed, never leaving the client waiting', async () => {
    upstream.enqueue({ stream: { chunks: wordChunks('one two three four'), cutAfter: 3, chunkDelayMs: 20 } });
    const { res, events, text } = await postStream({ model: 'chat/mock-small', input: 'x', stream: true });
    expect(res.status).toBe(200);
    expect(text).not.toContain('[DONE]');
    const last = events.at(-1);
    expect(last?.event).toBe('response.failed');
    expect(last?.data).toMatchObject({ type: 'response.failed', response: { status: 'failed', error: { code: 'server_error' } } });
    expect(String((last?.data.response as { error: { message: string } }).error.message)).toMatch(/chat/);
    // What had arrived is in the failed response, and the numbering never skips.
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.some((e) => e.event === 'response.completed')).toBe(false);
  });
});

describe('stored responses and previous_response_id', () => {
  it('expands a follow-up into the earlier turns, for any provider, and serves retrieve, input_items and delete', async () => {
    const first = await client.responses.create({ model: 'chat/mock-small', instructions: 'first instructions', input: 'my name is Ada' });
    const second = await client.responses.create({ model: 'claude/claude-test', previous_response_id: first.id, input: 'what is my name?' });
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output_text).toBe('echo: what is my name?');
    // The Anthropic upstream got the whole conversation; instructions do not carry over (as OpenAI does).
    expect(sent('/v1/messages')[0]?.body).toMatchObject({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'my name is Ada' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'echo: my name is Ada' }] },
        { role: 'user', content: [{ type: 'text', text: 'what is my name?' }] },
      ],
    });
    expect(sent('/v1/messages')[0]?.body?.system).toBeUndefined();

    const third = await client.responses.create({ model: 'gem/gemini-mock-flash', previous_response_id: second.id, input: 'and again' });
    expect(third.output_text).toBe('echo: and again');
    const contents = (gemini.requests.at(-1)?.body as { contents: Array<{ role: string }> }).contents;
    expect(contents.map((c) => c.role)).toEqual(['user', 'model', 'user', 'model', 'user']);

    const retrieved = await client.responses.retrieve(second.id);
    expect(retrieved).toMatchObject({ id: second.id, status: 'completed', output: second.output });
    const items = await client.responses.inputItems.list(third.id, { order: 'asc' });
    expect(items.data.map((item) => (item.type === 'message' ? [item.role, item.id.slice(0, 4)] : [item.type]))).toEqual([
      ['user', 'msg_'],
      ['assistant', 'msg_'],
      ['user', 'msg_'],
      ['assistant', 'msg_'],
      ['user', 'msg_'],
    ]);
    const page = await client.responses.inputItems.list(third.id, { limit: 2 });
    expect(page.data).toHaveLength(2);
    expect(page.has_more).toBe(true);

    const deleted = await fetch(`${gw.baseURL}/responses/${second.id}`, { method: 'DELETE' });
    expect(await deleted.json()).toEqual({ id: second.id, object: 'response.deleted', deleted: true });
    await client.responses.delete(first.id);
    await expect(client.responses.retrieve(second.id)).rejects.toMatchObject({ status: 404 });
    const error = await client.responses.create({ model: 'chat/mock-small', previous_response_id: second.id, input: 'x' }).catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ param: 'previous_response_id', code: 'previous_response_not_found' });
  });

  it('answers an unknown id with OpenAI\'s 404 JSON', async () => {
    const res = await fetch(`${gw.baseURL}/responses/resp_nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { type: 'not_found_error', message: "Response with id 'resp_nope' not found." } });
    expect((await fetch(`${gw.baseURL}/responses/resp_nope`, { method: 'DELETE' })).status).toBe(404);
  });

  it('resolves item references against stored responses', async () => {
    const first = await client.responses.create({ model: 'chat/mock-small', input: 'remember this' });
    await client.responses.create({ model: 'chat/mock-small', input: [{ type: 'item_reference', id: String(first.output[0]?.id) }, { role: 'user', content: 'next' }] });
    expect(sent('/v1/chat/completions')[1]?.body?.messages).toEqual([
      { role: 'assistant', content: 'echo: remember this' },
      { role: 'user', content: 'next' },
    ]);
    const error = await client.responses.create({ model: 'chat/mock-small', input: [{ type: 'item_reference', id: 'msg_unknown' }] }).catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(error).toMatchObject({ status: 404, error: { param: 'input[0]', code: 'item_not_found' } });
  });
});

describe('reasoning', () => {
  it('turns reasoning.effort into an Anthropic thinking budget, and carries signed thinking across turns', async () => {
    upstream.enqueue({ body: anthropicMessage([{ thinking: { text: 'Let me think.', signature: 'sig-abc' } }, { toolUse: { id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } } }]) });
    const first = await client.responses.create({
      model: 'claude/claude-test',
      reasoning: { effort: 'high', summary: 'auto' },
      include: ['reasoning.encrypted_content'],
      store: false,
      tools: [weather],
      input: 'weather in Paris?',
    });
    expect(sent('/v1/messages')[0]?.body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 16_384 } });
    expect(first.reasoning).toMatchObject({ effort: 'high', summary: 'auto' });
    const [reasoning, call] = first.output;
    expect(reasoning).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'Let me think.' }] });
    expect(reasoning?.type === 'reasoning' && reasoning.encrypted_content).toEqual(expect.any(String));
    expect(call).toMatchObject({ type: 'function_call', call_id: 'toolu_01', name: 'get_weather' });

    await client.responses.create({
      model: 'claude/claude-test',
      reasoning: { effort: 'high' },
      store: false,
      tools: [weather],
      input: [{ role: 'user', content: 'weather in Paris?' }, ...asInput(first.output), { type: 'function_call_output', call_id: 'toolu_01', output: 'sunny' }],
    });
    // Anthropic gets its own signed thinking block back before the tool call, as it requires.
    expect(sent('/v1/messages')[1]?.body?.messages).toMatchObject([
      { role: 'user' },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'Let me think.', signature: 'sig-abc' }, { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01' }] },
    ]);
  });

  it('shows encrypted_content only when include asks for it, and streams reasoning as summary events', async () => {
    upstream.enqueue({ body: anthropicMessage([{ thinking: { text: 'Hmm.', signature: 'sig-1' } }, { text: 'done' }]) });
    const whole = await client.responses.create({ model: 'claude/claude-test', reasoning: { effort: 'low' }, input: 'think' });
    expect(whole.output[0]).toEqual({ id: expect.stringMatching(/^rs_/), type: 'reasoning', summary: [{ type: 'summary_text', text: 'Hmm.' }] });

    upstream.enqueue({ stream: { chunks: anthropicStreamEvents([{ thinking: { text: 'Hmm.', signature: 'sig-1' } }, { text: 'done' }]), done: false } });
    const { events } = await postStream({ model: 'claude/claude-test', reasoning: { effort: 'low' }, input: 'think', stream: true });
    const names = events.map((e) => e.event);
    expect(names.slice(0, 8)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
    ]);
    expect(events[7]?.data.item).toEqual({ id: expect.stringMatching(/^rs_/), type: 'reasoning', summary: [{ type: 'summary_text', text: 'Hmm.' }] });
    expect(names.at(-1)).toBe('response.completed');
  });
});

describe('→ a Gemini upstream', () => {
  it.each([false, true])('carries Gemini\'s thought signatures across a stateless tool-use turn (streamed: %s)', async (stream) => {
    const ask = { model: 'gem/gemini-mock-flash', tools: [weather], store: false, include: ['reasoning.encrypted_content' as const] };
    const first = stream ? await client.responses.stream({ ...ask, input: 'call get_weather' }).finalResponse() : await client.responses.create({ ...ask, input: 'call get_weather' });
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    // The signature rides in a reasoning item (Codex keeps those as they are), not on the call.
    expect(first.output.map((item) => item.type).sort()).toEqual(['function_call', 'reasoning']);

    const second = await client.responses.create({ ...ask, input: [{ role: 'user', content: 'call get_weather' }, ...asInput(first.output), { type: 'function_call_output', call_id: String(call?.type === 'function_call' && call.call_id), output: 'sunny' }] });
    expect(second.output_text).toMatch(/^tool results: get_weather=/);
    const contents = (gemini.requests.at(-1)?.body as { contents: Array<{ role: string; parts: unknown[] }> }).contents;
    expect(contents[1]).toEqual({ role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig-get_weather' }] });
  });
});

describe('→ an upstream that speaks the Responses API (native)', () => {
  it('sends the body as written with the target\'s model, and gives back the upstream\'s bytes', async () => {
    // Pretty-printed, as OpenAI sends it: the client must get exactly these bytes.
    const raw = JSON.stringify(responsesObject([{ text: 'native answer' }], { id: 'resp_upstream_1', model: 'gpt-x-2026' }), null, 2);
    upstream.enqueue({ body: raw, headers: { 'content-type': 'application/json' } });
    const body = { model: 'openai/gpt-x', input: [{ role: 'user', content: 'hi' }], instructions: 'terse', reasoning: { effort: 'low', summary: 'auto' }, include: ['reasoning.encrypted_content'], store: false, truncation: 'auto', text: { verbosity: 'low' } };
    const res = await fetch(`${gw.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.text()).toBe(raw);
    expect(res.headers.get('x-gateway-provider')).toBe('openai');
    const [seen] = sent('/v1/responses');
    expect(seen?.body).toEqual({ ...body, model: 'gpt-x' });
    expect(seen?.headers.authorization).toBe('Bearer sk-upstream');
    expect(sent('/v1/chat/completions')).toHaveLength(0);
  });

  it('replays a streamed answer event for event, byte for byte', async () => {
    const upstreamEvents = responsesStreamEvents([{ reasoning: 'thinking…' }, { text: 'hello native world' }], { id: 'resp_upstream_2', model: 'gpt-x' });
    upstream.enqueue({ stream: { chunks: upstreamEvents, done: false } });
    const { text, events } = await postStream({ model: 'openai/gpt-x', input: 'hi', stream: true });
    expect(text).toBe(upstreamEvents.join(''));
    expect(events.at(-1)?.event).toBe('response.completed');
  });

  it('expands previous_response_id itself (the id is the gateway\'s) and keeps the upstream\'s id', async () => {
    const first = await client.responses.create({ model: 'openai/gpt-x', input: 'first' });
    expect(first.id).toMatch(/^resp_mock_/);
    await client.responses.create({ model: 'openai/gpt-x', previous_response_id: first.id, input: 'second' });
    const second = sent('/v1/responses')[1]?.body;
    expect(second).not.toHaveProperty('previous_response_id');
    expect(second?.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'first' }] },
      { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'echo: first', annotations: [] }] },
      { type: 'message', role: 'user', content: 'second' },
    ]);
    // A native answer is kept like any other: it can be retrieved and followed from a translated provider.
    expect((await client.responses.retrieve(first.id)).output_text).toBe('echo: first');
    await client.responses.create({ model: 'chat/mock-small', previous_response_id: first.id, input: 'third' });
    expect(sent('/v1/chat/completions')[0]?.body?.messages).toEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'echo: first' },
      { role: 'user', content: 'third' },
    ]);
  });

  it('passes a failure the upstream reports mid-stream on as it came, and ends a cut stream with response.failed', async () => {
    const events = responsesStreamEvents([{ text: 'a b c d' }]);
    // Cut after two text deltas: the answer had started (a cut before any content is a failed try, below).
    upstream.enqueue({ stream: { chunks: events, cutAfter: 7, chunkDelayMs: 20, done: false } });
    const cut = await postStream({ model: 'openai/gpt-x', input: 'x', stream: true });
    // What arrived before the cut went out as it came (the last write before a reset may be lost on the way).
    const replayed = cut.events.length - 1;
    expect(replayed).toBeGreaterThanOrEqual(3);
    expect(cut.text.startsWith(events.slice(0, replayed).join(''))).toBe(true);
    expect(cut.events.at(-1)).toMatchObject({ event: 'response.failed', data: { sequence_number: replayed, response: { id: 'resp_mock_0001', status: 'failed', error: { code: 'server_error' } } } });

    // After the answer started (its first text delta), a failure the upstream reports goes on as it came.
    const started = events.findIndex((e) => e.startsWith('event: response.output_text.delta')) + 1;
    const failed = `event: response.failed\ndata: ${JSON.stringify({ type: 'response.failed', sequence_number: started, response: { id: 'resp_f', status: 'failed', error: { code: 'server_error', message: 'boom' } } })}\n\n`;
    upstream.enqueue({ stream: { chunks: [...events.slice(0, started), failed], done: false } });
    const reported = await postStream({ model: 'openai/gpt-x', input: 'x', stream: true });
    expect(reported.text).toBe(events.slice(0, started).join('') + failed);

    // Before anything was said (response.created, response.in_progress), it is a failed try: a real HTTP error.
    upstream.enqueue({ stream: { chunks: [...events.slice(0, 2), failed], done: false } });
    const early = await postStream({ model: 'openai/gpt-x', input: 'x', stream: true });
    expect(early.res.status).toBeGreaterThanOrEqual(500);
    expect(early.res.headers.get('content-type')).toContain('application/json');
  });

  it('reaches Azure OpenAI\'s Responses path with the deployment as the model', async () => {
    const response = await client.responses.create({ model: 'azure/gpt-4o', input: 'hello azure' });
    expect(response.output_text).toBe('echo: hello azure');
    const [seen] = upstream.requests;
    expect(seen?.path).toBe('/openai/responses?api-version=2025-04-01-preview');
    expect(seen?.headers['api-key']).toBe('az-key');
    expect(seen?.body).toMatchObject({ model: 'prod-4o', input: 'hello azure' });
  });

  it('translates for an openai-compatible host, which may not have /responses', async () => {
    await client.responses.create({ model: 'chat/mock-small', input: 'hi' });
    expect(sent('/v1/responses')).toHaveLength(0);
    expect(sent('/v1/chat/completions')).toHaveLength(1);
  });
});

describe('Codex CLI\'s request', () => {
  it('reaches an Anthropic upstream: namespace tools flattened, web_search left out and named', async () => {
    const { res, events } = await postStream(codexRequest('claude/claude-test'), CODEX_HEADERS);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-dropped')).toBe('tools.8');
    expect(events.at(-1)).toMatchObject({ event: 'response.completed', data: { response: { status: 'completed', store: false, output: [{ type: 'message' }] } } });
    // Anthropic wants turns to alternate: Codex's two user messages reach it as one turn.
    expect(String((events.at(-1)?.data.response as { output: Array<{ content: Array<{ text: string }> }> }).output[0]?.content[0]?.text)).toMatch(/^echo: <environment_context>[^]*say pong$/);
    const body = sent('/v1/messages')[0]?.body as { tools: Array<{ name: string }>; system: Array<{ text: string }>; messages: unknown[]; stream: boolean; tool_choice: unknown };
    const names = body.tools.map((t) => t.name);
    expect(names).toEqual(['exec_command', 'write_stdin', 'request_user_input', 'view_image', ...CODEX_NAMESPACED, 'get_goal', 'create_goal', 'update_goal']);
    // Its developer messages (three text parts) are the system prompt.
    expect(body.system.map((b) => b.text.split('\n')[0])).toEqual([expect.stringMatching(/^You are a coding agent/), '<skills_instructions>', '<permissions instructions>']);
    expect(body.messages).toHaveLength(1);
    expect(body).toMatchObject({ stream: true, tool_choice: { type: 'auto' } });
  });

  it('reaches a Gemini upstream the same way', async () => {
    const { res, events } = await postStream(codexRequest('gem/gemini-mock-flash'), CODEX_HEADERS);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-dropped')).toBe('tools.8');
    expect(events.at(-1)?.event).toBe('response.completed');
    const body = gemini.requests.at(-1)?.body as { tools: Array<{ functionDeclarations: Array<{ name: string }> }>; systemInstruction: unknown };
    expect(body.tools[0]?.functionDeclarations.map((d) => d.name)).toEqual(['exec_command', 'write_stdin', 'request_user_input', 'view_image', ...CODEX_NAMESPACED, 'get_goal', 'create_goal', 'update_goal']);
    expect(body.systemInstruction).toBeDefined();
  });

  it('reports a namespaced function\'s call under its namespace', async () => {
    const request = { ...codexRequest('claude/claude-test'), stream: false, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'call spawn_agent' }] }] };
    const res = await fetch(`${gw.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
    const response = (await res.json()) as { output: Array<Record<string, unknown>> };
    expect(response.output).toEqual([expect.objectContaining({ type: 'function_call', name: 'spawn_agent', namespace: 'multi_agent_v1', call_id: 'toolu_01' })]);
    // And a call sent back under its namespace reaches the model under its flattened name.
    const next = { ...request, input: [...(request.input as unknown[]), ...response.output, { type: 'function_call_output', call_id: 'toolu_01', output: 'spawned' }] };
    await fetch(`${gw.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(next) });
    const messages = sent('/v1/messages')[1]?.body?.messages as Array<{ role: string; content: Array<Record<string, unknown>> }>;
    expect(messages.at(-2)?.content).toEqual([{ type: 'tool_use', id: 'toolu_01', name: 'spawn_agent', input: { city: 'Paris' } }]);
  });
});

describe('bad input', () => {
  it.each([
    [{ input: 'x' }, 'model', 'missing_required_parameter'],
    [{ model: 'chat/mock-small', input: 'x', temperature: 5 }, 'temperature', 'invalid_value'],
    [{ model: 'chat/mock-small', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 'input[0].call_id', 'missing_required_parameter'],
    [{ model: 'chat/mock-small', input: [{ type: 'message', role: 'user' }] }, 'input[0].content', 'missing_required_parameter'],
    [{ model: 'chat/mock-small', input: 'x', tools: [{ type: 'function' }] }, 'tools[0].name', 'missing_required_parameter'],
    [{ model: 'chat/mock-small', input: 'x', text: { format: { type: 'json_schema', schema: {} } } }, 'text.format.name', 'missing_required_parameter'],
    [{ model: 'chat/mock-small', input: 'x', previous_response_id: 'r'.repeat(300) }, 'previous_response_id', 'invalid_value'],
  ])('%j → 400 naming %s', async (body, param, code) => {
    const res = await fetch(`${gw.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', param, code } });
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses content a translated target cannot express, and names it, under the default policy', async () => {
    const error = await client.responses
      .create({ model: 'chat/mock-small', input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-abc', detail: 'auto' }] }] })
      .catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(error).toMatchObject({ status: 400, error: { param: 'input.0.content.0' } });
    expect(upstream.requests).toHaveLength(0);
  });
});
