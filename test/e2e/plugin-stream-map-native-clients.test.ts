/**
 * A plugin author changes what the model said, as docs/plugins.md teaches: a redactor that replaces
 * every streamed text delta with `mapStream` (or a generator of its own) yielding a changed copy
 * (`{ ...chunk, choices }`), a disclaimer that `mapStream`'s `end()` adds as a last chunk. Before
 * its fix, this worked for OpenAI chat clients only: when the upstream spoke the client's own API
 * (an Anthropic client on an `anthropic` provider, a Responses client on an `openai` provider, a
 * text-completions client on a host that serves them), the front-end, having chosen native
 * pass-through on the first chunk, replayed the upstream's events and dropped every chunk that
 * carried none, so the client got none of the changed text, no disclaimer, and Responses' closing
 * events (`response.output_text.done`, `response.completed`…) still carried the original text: a
 * redaction leaked. Now a stream that a plugin maps (or wraps in a generator) is translated from
 * its first chunk, so every client gets what an OpenAI client gets, in its own protocol; a stream
 * plugins only tap is still the upstream's own bytes. A whole answer replaced by a changed copy of
 * `ctx.response.body` carries no native answer, so it was translated already: checked too. The
 * official `@anthropic-ai/sdk` and `openai` clients, real sockets, the mock upstream (OpenAI chat
 * and text completions, Anthropic and Responses formats); `fetch` where the test reads the wire.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, mapStream, tapStream, type ChatCompletion, type ChatCompletionChunk } from '../../sdk/plugin.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const DISCLAIMER = ' [AI-generated]';

/** Every text delta as "X", a changed copy. */
function redacted(chunk: ChatCompletionChunk): ChatCompletionChunk {
  const choice = chunk.choices[0];
  if (!choice?.delta?.content) return chunk;
  return { ...chunk, choices: [{ ...choice, delta: { ...choice.delta, content: 'X' } }] };
}

async function* redactedByGenerator(chunks: AsyncIterable<ChatCompletionChunk>): AsyncGenerator<ChatCompletionChunk> {
  for await (const chunk of chunks) yield redacted(chunk);
}

/** What the plugin does to the answer, as the test's `x-rewrite` header says. */
const rewriter = definePlugin({
  name: 'test-rewriter',
  setup: () => ({
    async middleware(ctx, next) {
      await next();
      const how = ctx.http.get('x-rewrite');
      const response = ctx.response;
      if (response?.kind === 'json' && how === 'redact') {
        const body = response.body as ChatCompletion;
        const choices = body.choices.map((choice) => ({ ...choice, message: { ...choice.message, content: 'X' } }));
        ctx.response = { ...response, body: { ...body, choices } };
      }
      if (response?.kind !== 'stream') return;
      const chunks = response.chunks;
      if (how === 'redact') ctx.response = { ...response, chunks: mapStream(chunks, { item: redacted }) };
      if (how === 'redact-generator') ctx.response = { ...response, chunks: redactedByGenerator(chunks) };
      if (how === 'disclaimer') {
        const last: ChatCompletionChunk = { id: 'disclaimer', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content: DISCLAIMER }, finish_reason: null }] };
        ctx.response = { ...response, chunks: mapStream(chunks, { item: (chunk) => chunk, end: () => last }) };
      }
      // Reads every chunk (a `chunk` callback without lazyChunks) and changes none.
      if (how === 'tap') ctx.response = { ...response, chunks: tapStream(chunks, { chunk: (chunk) => void chunk.choices }) };
    },
  }),
});

let upstream: MockUpstream;
let gw: RunningGateway;
beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      oa: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
      claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false },
      openai: { type: 'openai', apiKey: 'sk-upstream', baseURL: upstream.baseURL, listModels: false },
      legacy: { type: 'openai-compatible', baseURL: upstream.baseURL, completions: true, listModels: false },
    },
    plugins: [rewriter()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const anthropicClient = (rewrite: string) => new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0, defaultHeaders: { 'x-rewrite': rewrite } });
const openaiClient = (rewrite: string) => new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0, defaultHeaders: { 'x-rewrite': rewrite } });

async function anthropicStreamText(rewrite: string, model: string): Promise<string> {
  const message = await anthropicClient(rewrite).messages.stream({ model, max_tokens: 50, messages: [{ role: 'user', content: 'secret words' }] }).finalMessage();
  return message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
}

/** A Responses stream's events through the official client: the deltas' text, and every event as JSON. */
async function responsesStream(rewrite: string, model: string): Promise<{ deltas: string; events: Array<{ type: string } & Record<string, unknown>> }> {
  const stream = await openaiClient(rewrite).responses.create({ model, stream: true, input: 'secret words' });
  const events: Array<{ type: string } & Record<string, unknown>> = [];
  let deltas = '';
  for await (const event of stream) {
    events.push(event as unknown as { type: string } & Record<string, unknown>);
    if (event.type === 'response.output_text.delta') deltas += event.delta;
  }
  return { deltas, events };
}

async function completionText(rewrite: string): Promise<string> {
  const stream = await openaiClient(rewrite).completions.create({ model: 'legacy/gpt-x-instruct', stream: true, prompt: 'secret words' });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
  return text;
}

describe('a plugin that maps a stream, whatever API the client speaks', () => {
  it('an OpenAI chat client gets the changed text (as it always did)', async () => {
    const stream = await openaiClient('redact').chat.completions.create({ model: 'oa/m', stream: true, messages: [{ role: 'user', content: 'secret words' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toMatch(/^X+$/);
  });

  it('an Anthropic client of an anthropic provider gets the changed text, from mapStream or a generator', async () => {
    expect(await anthropicStreamText('redact', 'claude/claude-x')).toMatch(/^X+$/);
    expect(await anthropicStreamText('redact-generator', 'claude/claude-x')).toMatch(/^X+$/);
  });

  it('a Responses client of an openai provider gets the changed text, and no closing event carries the original', async () => {
    for (const rewrite of ['redact', 'redact-generator']) {
      const { deltas, events } = await responsesStream(rewrite, 'openai/gpt-x');
      expect(deltas).toMatch(/^X+$/);
      expect(JSON.stringify(events)).not.toContain('secret');
      const done = events.find((event) => event.type === 'response.output_text.done');
      expect(done?.text).toBe(deltas);
      const completed = events.at(-1) as { type: string; response: OpenAI.Responses.Response };
      expect(completed.type).toBe('response.completed');
      expect(completed.response.output_text ?? completed.response.output.flatMap((item) => (item.type === 'message' ? item.content.map((part) => (part.type === 'output_text' ? part.text : '')) : [])).join('')).toBe(deltas);
    }
  });

  it('a text-completions client of a host serving them gets the changed text', async () => {
    expect(await completionText('redact')).toMatch(/^X+$/);
    expect(await completionText('disclaimer')).toBe(`echo: secret words${DISCLAIMER}`);
  });

  it("mapStream's end() adding a last chunk reaches Anthropic and Responses clients of native upstreams", async () => {
    expect(await anthropicStreamText('disclaimer', 'oa/m')).toContain(DISCLAIMER);
    expect(await anthropicStreamText('disclaimer', 'claude/claude-x')).toBe(`echo: secret words${DISCLAIMER}`);
    const { deltas, events } = await responsesStream('disclaimer', 'openai/gpt-x');
    expect(deltas).toBe(`echo: secret words${DISCLAIMER}`);
    expect(events.find((event) => event.type === 'response.output_text.done')?.text).toBe(deltas);
  });

  it('a stream plugins only tap is still the upstream’s own events (native pass-through)', async () => {
    const wire = await (
      await fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-rewrite': 'tap' },
        body: JSON.stringify({ model: 'claude/claude-x', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'secret words' }] }),
      })
    ).text();
    expect(wire).toContain('event: ping'); // the upstream's own, which a translation does not write
    expect(wire).toContain('echo: ');
    const { events } = await responsesStream('tap', 'openai/gpt-x');
    expect((events[0] as { response?: { id?: string } }).response?.id).toMatch(/^resp_mock_/); // the upstream's id, not one the gateway made
  });
});

describe('a plugin that replaces a whole answer on a native request', () => {
  it('an Anthropic client of an anthropic provider gets the changed answer', async () => {
    const message = await anthropicClient('redact').messages.create({ model: 'claude/claude-x', max_tokens: 50, messages: [{ role: 'user', content: 'secret words' }] });
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'X' })]);
    expect(JSON.stringify(message)).not.toContain('secret');
  });

  it('a Responses client of an openai provider gets the changed answer', async () => {
    const response = await openaiClient('redact').responses.create({ model: 'openai/gpt-x', input: 'secret words' });
    expect(response.output_text).toBe('X');
    expect(JSON.stringify(response)).not.toContain('secret');
  });
});
