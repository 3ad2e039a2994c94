/**
 * Contract tests over real sockets: the official `openai` and `@anthropic-ai/sdk` clients reaching
 * a Gemini-format upstream through the gateway, streaming and tool calls included.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';
import { startMockUpstream } from '../support/mock-upstream.js';

let gemini: MockGemini;
let gw: RunningGateway;
let openai: OpenAI;
let anthropic: Anthropic;
const generate = () => gemini.requests.filter((r) => r.path.includes(':generateContent') || r.path.includes(':streamGenerateContent'));

const tools = [
  { type: 'function' as const, function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
  { type: 'function' as const, function: { name: 'get_time', description: 'Time', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
];

beforeAll(async () => {
  gemini = await startMockGemini({ apiKey: 'g-key' });
  gw = await startGateway({ providers: { gem: mockGeminiProvider(gemini, { apiKey: 'g-key' }) } });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await gemini?.close();
});
beforeEach(() => gemini.reset());

describe('OpenAI client → Gemini', () => {
  it('answers with the system prompt as systemInstruction and the key in a header, never the URL', async () => {
    const answer = await openai.chat.completions.create({ model: 'gem/gemini-mock-flash', messages: [{ role: 'system', content: 'brief' }, { role: 'user', content: 'hello' }], max_tokens: 50 });
    expect(answer.choices[0]?.message.content).toBe('echo: hello');
    expect(answer.choices[0]?.finish_reason).toBe('stop');
    expect(answer.usage?.prompt_tokens).toBeGreaterThan(0);
    const [seen] = generate();
    expect(seen?.path).toBe('/v1beta/models/gemini-mock-flash:generateContent');
    expect(seen?.headers['x-goog-api-key']).toBe('g-key');
    expect(seen?.body).toMatchObject({ systemInstruction: { parts: [{ text: 'brief' }] }, contents: [{ role: 'user', parts: [{ text: 'hello' }] }], generationConfig: { maxOutputTokens: 50 } });
  });

  it('streams chunk by chunk', async () => {
    const stream = await openai.chat.completions.create({ model: 'gem/gemini-mock-flash', stream: true, messages: [{ role: 'user', content: 'one two three' }] });
    const pieces: string[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
    expect(pieces.join('')).toBe('echo: one two three');
    expect(pieces.length).toBeGreaterThan(2);
    expect(generate()[0]?.path).toBe('/v1beta/models/gemini-mock-flash:streamGenerateContent?alt=sse');
  });

  it('calls tools in parallel and carries the results back as functionResponse parts', async () => {
    const first = await openai.chat.completions.create({ model: 'gem/gemini-mock-flash', tools, messages: [{ role: 'user', content: 'call both' }] });
    const message = first.choices[0]?.message;
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(message?.tool_calls?.map((c) => (c.type === 'function' ? [c.function.name, JSON.parse(c.function.arguments)] : c.type))).toEqual([
      ['get_weather', { city: 'Paris' }],
      ['get_time', { city: 'Paris' }],
    ]);
    const second = await openai.chat.completions.create({
      model: 'gem/gemini-mock-flash',
      tools,
      messages: [
        { role: 'user', content: 'call both' },
        message as OpenAI.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: message?.tool_calls?.[0]?.id ?? '', content: '{"temp":18}' },
        { role: 'tool', tool_call_id: message?.tool_calls?.[1]?.id ?? '', content: '{"time":"noon"}' },
      ],
    });
    expect(second.choices[0]?.message.content).toContain('get_weather=');
    expect(second.choices[0]?.message.content).toContain('get_time=');
  });

  it('streams parallel tool calls as indexed deltas', async () => {
    const stream = await openai.chat.completions.create({ model: 'gem/gemini-mock-flash', tools, stream: true, messages: [{ role: 'user', content: 'call both' }] });
    const calls: Array<{ name: string; args: string }> = [];
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        const entry = (calls[call.index] ??= { name: '', args: '' });
        entry.name += call.function?.name ?? '';
        entry.args += call.function?.arguments ?? '';
      }
    }
    expect(calls.map((c) => [c.name, JSON.parse(c.args)])).toEqual([
      ['get_weather', { city: 'Paris' }],
      ['get_time', { city: 'Paris' }],
    ]);
  });

  it('embeds through batchEmbedContents', async () => {
    const result = await openai.embeddings.create({ model: 'gem/text-embedding-004', input: ['a', 'b'], encoding_format: 'float' });
    expect(result.data).toHaveLength(2);
    expect(gemini.requests.at(-1)?.path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
  });

  it("passes Gemini's errors on with their status, naming the provider", async () => {
    gemini.enqueue({ status: 429, headers: { 'retry-after': '3' }, body: { error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } } });
    const error = await openai.chat.completions.create({ model: 'gem/gemini-mock-flash', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ provider: 'gem', retryable: true });
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain('gem: Resource has been exhausted');
  });
});

describe('Anthropic client → Gemini', () => {
  it('answers and streams a message', async () => {
    const message = await anthropic.messages.create({ model: 'gem/gemini-mock-flash', max_tokens: 50, system: 'brief', messages: [{ role: 'user', content: 'hi there' }] });
    expect(message.content).toEqual([{ type: 'text', text: 'echo: hi there' }]);
    expect(message.stop_reason).toBe('end_turn');
    const final = await anthropic.messages.stream({ model: 'gem/gemini-mock-flash', max_tokens: 50, messages: [{ role: 'user', content: 'a b c' }] }).finalMessage();
    expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: 'echo: a b c' })]);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('uses tools across turns, streamed', async () => {
    const anthropicTools = tools.map((t) => ({ name: t.function.name, description: t.function.description, input_schema: t.function.parameters as Anthropic.Tool.InputSchema }));
    const first = await anthropic.messages.stream({ model: 'gem/gemini-mock-flash', max_tokens: 50, tools: anthropicTools, messages: [{ role: 'user', content: 'call get_weather' }] }).finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((b) => b.type === 'tool_use');
    expect(call).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
    const second = await anthropic.messages.create({
      model: 'gem/gemini-mock-flash',
      max_tokens: 50,
      tools: anthropicTools,
      messages: [
        { role: 'user', content: 'call get_weather' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call?.type === 'tool_use' ? call.id : '', content: 'sunny' }] },
      ],
    });
    expect(second.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('get_weather=') });
  });
});

describe('base URL and model listing', () => {
  it('takes a host root as Google\'s SDKs do, and calls a listing in another format an error in health and /ready', async () => {
    // An OpenAI-format server where Gemini was expected: its model list parses, but not as Gemini's.
    const openaiFormat = await startMockUpstream();
    const root = `http://127.0.0.1:${gemini.port}`;
    const other = await startGateway({
      providers: {
        root: { type: 'gemini', apiKey: 'g-key', baseURL: root },
        wrong: { type: 'gemini', apiKey: 'g-key', baseURL: openaiFormat.baseURL },
      },
    });
    try {
      const client = new OpenAI({ baseURL: other.baseURL, apiKey: 'client', maxRetries: 0 });
      const answer = await client.chat.completions.create({ model: 'root/gemini-mock-flash', messages: [{ role: 'user', content: 'hello' }] });
      expect(answer.choices[0]?.message.content).toBe('echo: hello');
      expect(generate().at(-1)?.path).toBe('/v1beta/models/gemini-mock-flash:generateContent');

      await expect.poll(async () => (await fetch(`${other.url}/ready`)).status, { timeout: 5000 }).toBe(200);
      const ready = (await (await fetch(`${other.url}/ready`)).json()) as { providers: Array<{ id: string; status: string; models: number; error?: string }> };
      expect(ready.providers.find((p) => p.id === 'root')).toEqual({ id: 'root', status: 'ok', models: 2 });
      expect(ready.providers.find((p) => p.id === 'wrong')).toMatchObject({ status: 'error', models: 0, error: expect.stringContaining("not in Gemini's format") });
      const health = (await (await fetch(`${other.url}/v1/providers/wrong/health`)).json()) as { models: { status: string; error?: string } };
      expect(health.models).toMatchObject({ status: 'error', error: expect.stringContaining("not in Gemini's format") });
      expect(openaiFormat.requests.map((r) => r.path)).toContain('/v1/models?pageSize=1000');
    } finally {
      await other.close();
      await openaiFormat.close();
    }
  });
});
