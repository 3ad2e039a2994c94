/**
 * `POST /v1/completions` over real sockets with the official `openai` client
 * (`client.completions.create`, whole and streamed):
 * - to an `openai-compatible` host with `completions: true`: the client's body goes up as written
 *   and the client gets the upstream's own bytes;
 * - to providers without it (OpenAI-format chat, Anthropic, Gemini): answered from chat as a
 *   `text_completion`, `echo` honoured, what chat cannot express refused or dropped by policy;
 * - bad input answered in OpenAI's error format, a failure mid-stream ended with an error event,
 *   and the usage log's record.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dashboard, usageLogger, type UsageRecord } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';
import { mockProvider, startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN_KEY = 'completions-admin-key-0123456789';

const dir = mkdtempSync(join(tmpdir(), 'gw-completions-'));
let upstream: MockUpstream;
let gemini: MockGemini;
let gw: RunningGateway;
let client: OpenAI;
const sent = (path: string) => upstream.requests.filter((r) => r.path === path);

beforeAll(async () => {
  upstream = await startMockUpstream();
  gemini = await startMockGemini();
  gw = await startGateway({
    usageLog: `sqlite://${join(dir, 'usage.sqlite')}`,
    providers: {
      native: mockProvider(upstream, { completions: true }),
      chat: mockProvider(upstream),
      lenient: mockProvider(upstream, { unsupportedParams: 'drop' }),
      claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false },
      gem: mockGeminiProvider(gemini),
    },
    plugins: [usageLogger(), dashboard({ adminKey: ADMIN_KEY })],
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await gemini?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  upstream.reset();
  gemini.reset();
});

/** Posts a body as it is and reads the raw answer. */
async function post(body: unknown): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${gw.baseURL}/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const dataLines = (text: string) => text.split('\n\n').filter(Boolean);

describe('a host that serves /completions gets the request as written', () => {
  it('sends the client\'s body with only the model replaced, and hands back the upstream\'s bytes', async () => {
    // Odd spacing and a vendor field: a re-serialised answer would differ.
    const raw = '{"id":"cmpl-up-1",  "object":"text_completion","created":1700000001,"model":"mock-instruct","choices":[{"text":" world","index":0,"logprobs":{"tokens":[" world"],"token_logprobs":[-0.1]},"finish_reason":"length"}],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3},"vendor_extra":{"kept":true}}';
    upstream.enqueue({ body: raw, headers: { 'content-type': 'application/json' } });
    const request = { model: 'native/mock-instruct', prompt: 'hello', suffix: '\n}', max_tokens: 1, logprobs: 1, echo: false, best_of: 2, temperature: 0.3, top_k: 5 };
    const response = await client.completions.create(request as OpenAI.CompletionCreateParamsNonStreaming).asResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(response.headers.get('x-gateway-provider')).toBe('native');
    expect(response.headers.get('x-gateway-dropped')).toBeNull();
    expect(await response.text()).toBe(raw);
    expect(sent('/v1/chat/completions')).toHaveLength(0);
    expect(sent('/v1/completions')[0]?.body).toEqual({ ...request, model: 'mock-instruct' });
  });

  it('reads through the SDK like OpenAI\'s own answer, multiple prompts and n included', async () => {
    const answer = await client.completions.create({ model: 'native/mock-instruct', prompt: ['one', 'two'], n: 2 });
    expect(answer.object).toBe('text_completion');
    expect(answer.choices.map((c) => [c.index, c.text])).toEqual([
      [0, 'echo: one'],
      [1, 'echo: one'],
      [2, 'echo: two'],
      [3, 'echo: two'],
    ]);
    expect(answer.usage).toEqual({ prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 });
  });

  it('streams the upstream\'s events byte for byte, ending with [DONE]', async () => {
    const events = [
      'data: {"id":"cmpl-s","object":"text_completion","created":1,"model":"mock-instruct","choices":[{"text":"Hel","index":0,"logprobs":null,"finish_reason":null}],  "vendor":1}\n\n',
      'data: {"id":"cmpl-s","object":"text_completion","created":1,"model":"mock-instruct","choices":[{"text":"lo","index":0,"logprobs":null,"finish_reason":"stop"}]}\n\n',
    ];
    upstream.enqueue({ stream: { chunks: events } });
    const { status, text } = await post({ model: 'native/mock-instruct', prompt: 'say hello', stream: true });
    expect(status).toBe(200);
    expect(text).toBe(`${events.join('')}data: [DONE]\n\n`);
    // The body as written, asking for the stream's usage, which the record settles from (the
    // client, who did not ask, gets no usage chunk: stream-usage-always-asked.test.ts).
    expect(sent('/v1/completions')[0]?.body).toEqual({ model: 'mock-instruct', prompt: 'say hello', stream: true, stream_options: { include_usage: true } });
  });

  it('streams through the SDK, with usage only when asked', async () => {
    const plain = await client.completions.create({ model: 'native/mock-instruct', prompt: 'one two three', stream: true });
    let text = '';
    for await (const chunk of plain) {
      expect(chunk.usage ?? undefined).toBeUndefined();
      text += chunk.choices[0]?.text ?? '';
    }
    expect(text).toBe('echo: one two three');

    const withUsage = await client.completions.create({ model: 'native/mock-instruct', prompt: 'hi', stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of withUsage) chunks.push(chunk);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 4 } });
  });
});

describe('a provider without /completions answers from chat', () => {
  it('renders the chat answer as a text_completion, sending the prompt as one user message', async () => {
    const answer = await client.completions.create({ model: 'chat/mock-small', prompt: 'hello', max_tokens: 20, temperature: 0.2, stop: ['\n'], seed: 7, user: 'u-1' });
    expect(answer).toMatchObject({ object: 'text_completion', model: 'mock-small', choices: [{ text: 'echo: hello', index: 0, logprobs: null, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } });
    expect(answer.id).toMatch(/^cmpl-/);
    expect(sent('/v1/completions')).toHaveLength(0);
    expect(sent('/v1/chat/completions')[0]?.body).toEqual({ model: 'mock-small', messages: [{ role: 'user', content: 'hello' }], max_tokens: 20, temperature: 0.2, stop: ['\n'], seed: 7, user: 'u-1' });
  });

  it('streams text_completion chunks ending with [DONE], and a usage chunk only when asked', async () => {
    const { text } = await post({ model: 'chat/mock-small', prompt: 'one two three', stream: true });
    const events = dataLines(text);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)) as OpenAI.Completion);
    expect(chunks.every((c) => c.object === 'text_completion' && c.id.startsWith('cmpl-'))).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe('echo: one two three');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.some((c) => c.usage)).toBe(false);
    // The chat upstream was asked for usage all the same, for the gateway's accounting.
    expect(sent('/v1/chat/completions')[0]?.body?.stream_options).toEqual({ include_usage: true });

    const stream = await client.completions.create({ model: 'chat/mock-small', prompt: 'a b', stream: true, stream_options: { include_usage: true } });
    const received = [];
    for await (const chunk of stream) received.push(chunk);
    expect(received.at(-1)).toMatchObject({ object: 'text_completion', choices: [], usage: { prompt_tokens: 5 } });
  });

  it('puts the prompt in front of the answer with echo, whole and streamed', async () => {
    const whole = await client.completions.create({ model: 'chat/mock-small', prompt: 'hello', echo: true });
    expect(whole.choices[0]?.text).toBe('helloecho: hello');
    const stream = await client.completions.create({ model: 'chat/mock-small', prompt: 'hi there', echo: true, stream: true });
    const pieces: string[] = [];
    for await (const chunk of stream) pieces.push(chunk.choices[0]?.text ?? '');
    expect(pieces[0]?.startsWith('hi there')).toBe(true);
    expect(pieces.join('')).toBe('hi thereecho: hi there');
  });

  it('answers through an Anthropic provider, whole and streamed', async () => {
    const whole = await client.completions.create({ model: 'claude/claude-test', prompt: 'hello', max_tokens: 30 });
    expect(whole.choices[0]).toMatchObject({ text: 'echo: hello', finish_reason: 'stop' });
    expect(sent('/v1/messages')[0]?.body).toMatchObject({ model: 'claude-test', max_tokens: 30, messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }] });
    const stream = await client.completions.create({ model: 'claude/claude-test', prompt: 'one two', max_tokens: 30, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe('echo: one two');
  });

  it('answers through Gemini, whole and streamed', async () => {
    const whole = await client.completions.create({ model: 'gem/gemini-mock-flash', prompt: 'hello' });
    expect(whole.choices[0]).toMatchObject({ text: 'echo: hello', finish_reason: 'stop' });
    expect(gemini.requests[0]?.path).toBe('/v1beta/models/gemini-mock-flash:generateContent');
    const stream = await client.completions.create({ model: 'gem/gemini-mock-flash', prompt: 'one two three', stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe('echo: one two three');
  });
});

describe('what chat cannot express', () => {
  it('refuses suffix with a 400 naming the provider and the parameter', async () => {
    const error = await client.completions.create({ model: 'chat/mock-small', prompt: 'def f(', suffix: '\n  return x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.status).toBe(400);
    expect(bad.param).toBe('suffix');
    expect(bad.code).toBe('unsupported_parameter');
    expect(bad.message).toContain("chat does not support 'suffix'");
    expect(upstream.requests).toHaveLength(0);
  });

  it('drops it where the provider says so, and names it in x-gateway-dropped', async () => {
    const { data, response } = await client.completions.create({ model: 'lenient/mock-small', prompt: 'def f(', suffix: '\n  return x', best_of: 3 }).withResponse();
    expect(data.choices[0]?.text).toBe('echo: def f(');
    expect(response.headers.get('x-gateway-dropped')).toBe('suffix,best_of');
    const body = sent('/v1/chat/completions')[0]?.body;
    expect(body).toEqual({ model: 'mock-small', messages: [{ role: 'user', content: 'def f(' }] });
  });

  it('refuses token prompts, several prompts, best_of and logprobs by default', async () => {
    for (const [extra, param] of [
      [{ prompt: [1, 2, 3] }, 'prompt'],
      [{ prompt: ['a', 'b'] }, 'prompt'],
      [{ prompt: 'a', best_of: 2 }, 'best_of'],
      [{ prompt: 'a', logprobs: 0 }, 'logprobs'],
    ] as const) {
      const { status, text } = await post({ model: 'chat/mock-small', ...extra });
      expect(status).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ error: { type: 'invalid_request_error', param, code: 'unsupported_parameter' } });
    }
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('bad input', () => {
  it('answers 400 in OpenAI\'s format, naming the parameter', async () => {
    const cases: Array<[unknown, string | null, string]> = [
      [{ prompt: 'hi' }, 'model', 'missing_required_parameter'],
      [{ model: 'chat/mock-small' }, 'prompt', 'missing_required_parameter'],
      [{ model: 'chat/mock-small', prompt: 5 }, 'prompt', 'invalid_value'],
      [{ model: 'chat/mock-small', prompt: ['a', 1] }, 'prompt', 'invalid_value'],
      [{ model: 'chat/mock-small', prompt: 'hi', echo: 'yes' }, 'echo', 'invalid_value'],
      [{ model: 'chat/mock-small', prompt: 'hi', stream_options: { include_usage: 'yes' } }, 'stream_options.include_usage', 'invalid_value'],
      [[1, 2], null, 'invalid_body'],
      ['{not json', null, 'invalid_json'],
    ];
    for (const [body, param, code] of cases) {
      const { status, text } = await post(body);
      expect(status, JSON.stringify(body)).toBe(400);
      const error = (JSON.parse(text) as { error: { param: string | null; code: string; type: string; message: string } }).error;
      expect(error.type).toBe('invalid_request_error');
      expect(error.code).toBe(code);
      if (param) expect(error.param?.startsWith(param)).toBe(true);
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('passes fields it does not know, and a null prompt', async () => {
    const answer = await client.completions.create({ model: 'chat/mock-small', prompt: null, ...({ min_p: 0.1 } as object) });
    expect(answer.choices[0]?.text).toBe('echo: ');
    expect(sent('/v1/chat/completions')[0]?.body).toMatchObject({ min_p: 0.1, messages: [{ role: 'user', content: '' }] });
  });
});

describe('a failure mid-stream', () => {
  it('ends a stream answered from chat with an OpenAI error event and no [DONE]', async () => {
    upstream.enqueue({ stream: { chunks: wordChunks('one two three four'), cutAfter: 3, chunkDelayMs: 20 } });
    const { status, text } = await post({ model: 'chat/mock-small', prompt: 'x', stream: true });
    expect(status).toBe(200);
    const events = dataLines(text);
    expect(events.some((e) => e.includes('"text_completion"'))).toBe(true);
    expect(JSON.parse(events.at(-1)!.slice('data: '.length))).toMatchObject({ error: { type: expect.any(String) } });
    expect(text).not.toContain('[DONE]');
  });

  it('ends a native stream the same way', async () => {
    const piece = (text: string) => `data: {"id":"c","object":"text_completion","created":1,"model":"m","choices":[{"text":"${text}","index":0,"logprobs":null,"finish_reason":null}]}\n\n`;
    upstream.enqueue({ stream: { chunks: [piece('a'), piece('b'), piece('c')], cutAfter: 2, chunkDelayMs: 20 } });
    const { status, text } = await post({ model: 'native/mock-instruct', prompt: 'x', stream: true });
    expect(status).toBe(200);
    const events = dataLines(text);
    // What came before the cut is replayed as it was (the piece right before it may die with the socket).
    expect(events[0]).toBe(piece('a').trim());
    expect(JSON.parse(events.at(-1)!.slice('data: '.length))).toHaveProperty('error');
    expect(text).not.toContain('[DONE]');
  });
});

describe('usage records', () => {
  it('records completions requests under their own endpoint, native and from chat', async () => {
    const native = await client.completions.create({ model: 'native/mock-instruct', prompt: 'hello' }).withResponse();
    const fromChat = await client.completions.create({ model: 'chat/mock-small', prompt: 'hello' }).withResponse();
    const records = async (response: Response) => {
      const id = response.headers.get('x-request-id')!;
      const res = await fetch(`${gw.url}/admin/logs?requestId=${id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      return ((await res.json()) as { data: UsageRecord[] }).data;
    };
    await expect.poll(async () => (await records(native.response)).length, { timeout: 5000 }).toBe(1);
    await expect.poll(async () => (await records(fromChat.response)).length, { timeout: 5000 }).toBe(1);
    expect((await records(native.response))[0]).toMatchObject({ endpoint: 'completions', provider: 'native', model: 'mock-instruct', requestedModel: 'native/mock-instruct', promptTokens: 4, completionTokens: 3, outcome: 'ok' });
    expect((await records(fromChat.response))[0]).toMatchObject({ endpoint: 'completions', provider: 'chat', model: 'mock-small', promptTokens: 5, completionTokens: 2, outcome: 'ok' });
  });
});
