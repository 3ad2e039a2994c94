/**
 * The Anthropic Messages front-end (`/v1/messages`) served by an OpenAI-format upstream, where
 * the two formats differ: streamed tool calls as hosts other than OpenAI number them, tool results
 * holding images, malformed blocks, and error types by status. Each case names Anthropic's or
 * OpenAI's documented behaviour. A mock upstream and the gateway on real sockets, the official
 * @anthropic-ai/sdk as the client where a user would use it.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let anthropic: Anthropic;
const sent = (path: string) => upstream.requests.filter((r) => r.path === path);
const post = (body: unknown, path = '/v1/messages') =>
  fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const tools = [
  { name: 'get_weather', description: 'Weather in a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } },
  { name: 'get_time', description: 'Time in a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } },
];

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      oai: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
    },
  });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

describe('streamed parallel tool calls from OpenAI-compatible servers', () => {
  // Ollama labels every streamed tool call of a turn `index: 0` (vercel/ai#14277, apache/maka#1976),
  // telling them apart only by their `id`; Gemini's OpenAI-compatible endpoint omits `index`
  // altogether (AstrBotDevs/AstrBot#6692). Anthropic's streaming docs
  // (https://docs.claude.com/en/docs/build-with-claude/streaming) give each tool_use its own
  // content block (content_block_start with its id and name, input_json_delta, content_block_stop),
  // and the SDK's final Message has one ToolUseBlock per call (resources/messages.d.ts ToolUseBlock).
  it('gives each tool call its own tool_use block when the upstream reuses index 0 (Ollama)', async () => {
    upstream.enqueue({
      stream: {
        chunks: [
          chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }),
          chunk({ tool_calls: [{ index: 0, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"city":"Rome"}' } }] }),
          chunk({}, 'tool_calls'),
        ],
      },
    });
    const stream = anthropic.messages.stream({ model: 'oai/mock-small', max_tokens: 100, tools, messages: [{ role: 'user', content: 'weather and time' }] });
    const final = await stream.finalMessage().catch((error: unknown) => error);
    expect(final).not.toBeInstanceOf(Error);
    const blocks = (final as Anthropic.Message).content;
    expect(blocks.map((b) => (b.type === 'tool_use' ? [b.id, b.name, b.input] : b.type))).toEqual([
      ['call_a', 'get_weather', { city: 'Paris' }],
      ['call_b', 'get_time', { city: 'Rome' }],
    ]);
  });

  it('gives each tool call its own tool_use block when the upstream omits index (Gemini)', async () => {
    upstream.enqueue({
      stream: {
        chunks: [
          chunk({
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"city":"Rome"}' } },
            ],
          }),
          chunk({}, 'tool_calls'),
        ],
      },
    });
    const res = await post({ model: 'oai/mock-small', max_tokens: 100, stream: true, tools, messages: [{ role: 'user', content: 'weather and time' }] });
    const events = (await res.text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as { type: string; content_block?: { type: string; id?: string } });
    const starts = events.filter((e) => e.type === 'content_block_start').map((e) => e.content_block);
    expect(starts).toEqual([expect.objectContaining({ type: 'tool_use', id: 'call_a' }), expect.objectContaining({ type: 'tool_use', id: 'call_b' })]);
  });
});

describe('tool results that carry images, translated for an OpenAI-format upstream', () => {
  // Claude Code's Read tool answers an image file with a tool_result whose content is an image
  // block (Anthropic: ToolResultBlockParam.content may hold ImageBlockParam / DocumentBlockParam,
  // resources/messages.d.ts). OpenAI's tool message takes text only: ChatCompletionToolMessageParam
  // is `content: string | Array<ChatCompletionContentPartText>` (openai resources/chat/completions
  // .d.ts), and OpenAI refuses an image in a `tool` message ("Image URLs are only allowed for
  // messages with role 'user'"). The image must still reach the model, in a user message.
  it('sends no image part inside a tool message, and still sends the image in a user message', async () => {
    await anthropic.messages.create({
      model: 'oai/mock-small',
      max_tokens: 10,
      tools: [{ name: 'Read', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } }],
      messages: [
        { role: 'user', content: 'look at a.png' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: 'a.png' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] }] },
      ],
    });
    const messages = sent('/v1/chat/completions')[0]?.body?.messages as Array<{ role: string; content: unknown }>;
    const toolMessages = messages.filter((m) => m.role === 'tool');
    expect(toolMessages).toHaveLength(1);
    for (const m of toolMessages) {
      if (Array.isArray(m.content)) for (const part of m.content as Array<{ type: string }>) expect(part.type).toBe('text');
    }
    const userImages = messages.filter((m) => m.role === 'user' && Array.isArray(m.content) && (m.content as Array<{ type: string }>).some((p) => p.type === 'image_url'));
    expect(userImages).toHaveLength(1);
  });
});

describe('malformed content blocks', () => {
  // Anthropic answers a malformed block with 400 invalid_request_error naming the field
  // (https://docs.claude.com/en/api/errors: "400 - invalid_request_error: There was an issue with
  // the format or content of your request"). Unchecked, the translator read the missing field and
  // threw, and the client got a 500 api_error, which the SDK (and Claude Code) retry as a server
  // fault (the SDK retries >=500 by default), sending the same bad request again.
  it.each([
    ['an image block without source', [{ type: 'image' }]],
    ['a document block without source', [{ type: 'document' }]],
    ['a tool_result whose content holds null', [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [null] }]],
  ])('answers %s with 400 invalid_request_error, not a 500', async (_name, content) => {
    const res = await post({ model: 'oai/mock-small', max_tokens: 5, messages: [{ role: 'user', content }] });
    const body = (await res.json()) as { type: string; error: { type: string } };
    expect(res.status).toBe(400);
    expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  // A text block without `text` is refused by Anthropic (TextBlockParam.text is required,
  // resources/messages.d.ts); unchecked, the word "undefined" went to the model as the user's message.
  it('does not send the word "undefined" upstream for a text block without text', async () => {
    const res = await post({ model: 'oai/mock-small', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text' }] }] });
    expect(res.status).toBe(400);
    expect(JSON.stringify(sent('/v1/chat/completions').map((r) => r.body))).not.toContain('"undefined"');
  });
});

describe("error types follow Anthropic's table for each status", () => {
  // https://docs.claude.com/en/api/errors: 404 - not_found_error, 413 - request_too_large
  // (plugins/anthropic/protocol/errors.ts's own TYPE_BY_STATUS says so too). An OpenAI-format
  // upstream's 404 ("The model ... does not exist") carries OpenAI's type invalid_request_error, and
  // the gateway's own 413 has the kernel's invalid_request_error; neither is Anthropic's for its status.
  it('answers an upstream 404 with not_found_error', async () => {
    upstream.enqueue({ status: 404, body: { error: { message: 'The model `gpt-x` does not exist', type: 'invalid_request_error', code: 'model_not_found', param: null } } });
    const res = await post({ model: 'oai/gpt-x', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
  });

  it('answers a body over the size limit with 413 request_too_large', async () => {
    const res = await post({ model: 'oai/mock-small', max_tokens: 5, messages: [{ role: 'user', content: 'x'.repeat(11 * 1024 * 1024) }] });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('request_too_large');
  });
});
