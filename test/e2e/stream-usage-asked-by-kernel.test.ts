/**
 * The upstream is asked for a stream's usage by the kernel, on every chat stream it sends, whatever
 * front-end the client came through. Before its fix each first-party front-end asked on its own
 * (chat completions, Anthropic, Responses), as did the token counter, auth, rate limits and the
 * cache: a third-party front-end that did not know to ask (a plugin like test/core/http's ndjson
 * API) had its streams recorded under the shipped config (usage logger, no token counter) with
 * 0 completion tokens and a guessed prompt, so cost and budgets under-counted every such stream.
 * And a host that refuses `stream_options` failed every stream, though no client had asked for it.
 *
 * Now the ask is made in the kernel's copy of the request (the client's `ctx.request` keeps what it
 * asked) and, being the gateway's own, is dropped for a host that refuses it (core/advisory.ts), as
 * a translation's hints are: a client that asked for usage itself still hears the refusal.
 * A real socket to a mock OpenAI-format upstream, a front-end plugin written as a third party would,
 * and the official `openai` client.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { usageLogger } from '../../index.js';
import { definePlugin, defineFrontEnd, type ChatCompletionChunk, type ChatCompletionRequest } from '../../sdk/plugin.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

/** What the pipeline's plugins saw as the client's request, by the time the answer was rendered. */
const seen: ChatCompletionRequest[] = [];

async function* lines(chunks: AsyncIterable<ChatCompletionChunk>): AsyncGenerator<string> {
  for await (const chunk of chunks) {
    const content = chunk.choices[0]?.delta.content;
    if (content) yield `${JSON.stringify({ content })}\n`;
  }
}

/** A front-end as a plugin author writes it from the docs: it never mentions usage. */
const linesApi = defineFrontEnd({
  endpoint: 'test.lines',
  paths: ['/test/lines'],
  parse: (body) => ({ operation: 'chat', request: { model: String(body.model), messages: [{ role: 'user', content: String(body.prompt) }], stream: true } }),
  renderJson: (_ctx, answer) => answer,
  renderStream: (ctx, chunks) => (seen.push(ctx.request), lines(chunks)),
  streamContentType: 'application/x-ndjson',
});

const linesPlugin = definePlugin({ name: 'test-lines-api', setup: (host) => void host.frontEnd(linesApi) });

let upstream: MockUpstream;
let gw: RunningGateway;
let openai: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { oai: mockProvider(upstream, { type: 'openai', apiKey: 'sk-upstream' }) }, plugins: [linesPlugin(), usageLogger({ url: 'sqlite::memory:' })] });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.reset();
  seen.length = 0;
});

const chatBodies = () => upstream.requests.filter((request) => request.path.endsWith('/chat/completions')).map((request) => request.body);

describe("a third-party front-end's stream", () => {
  it('is asked for its usage, and recorded with the upstream counts, while the client request stays as it was', async () => {
    const response = await fetch(`${gw.url}/test/lines`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'oai/gpt-4o-mini', prompt: 'one two three four' }) });
    expect(response.status).toBe(200);
    expect((await response.text()).trim().split('\n').map((line) => JSON.parse(line).content).join('')).toBe('echo: one two three four');

    expect(chatBodies()).toEqual([expect.objectContaining({ stream: true, stream_options: { include_usage: true } })]);
    expect(seen[0]).not.toHaveProperty('stream_options');
    const record = await usageRecordOf(gw, response.headers.get('x-request-id')!);
    // The mock answers in 5 word chunks and reports completion_tokens 5 when asked. Before the fix: 0, estimated.
    expect(record).toMatchObject({ endpoint: 'test.lines', completionTokens: 5, tokensEstimated: false });
  });
});

describe('a host that refuses stream_options', () => {
  const refusal = { status: 400, body: { error: { message: "Unrecognized request argument supplied: stream_options", type: 'invalid_request_error', param: 'stream_options', code: null } } };

  it('is asked again without it when the gateway added it, and the client that did not ask gets its stream', async () => {
    upstream.enqueue(refusal);
    const stream = await openai.chat.completions.create({ model: 'oai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'one two' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: one two');
    expect(chatBodies().map((body) => body?.stream_options)).toEqual([{ include_usage: true }, undefined]);

    // Remembered for that deployment: the next stream goes without it at once.
    const again = await openai.chat.completions.create({ model: 'oai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'three' }] });
    for await (const _chunk of again) void _chunk;
    expect(chatBodies().map((body) => body?.stream_options)).toEqual([{ include_usage: true }, undefined, undefined]);
  });

  it('is asked again without it also when the refusal names it only in its message (Azure OpenAI on an older api-version)', async () => {
    // Azure's answer to stream_options before api-version 2024-09-01-preview, param null
    // (openai/openai-python#1469, langchain-ai/langchain#23552).
    upstream.enqueue({ status: 400, body: { error: { code: null, message: 'Unrecognized request argument supplied: stream_options', param: null, type: 'invalid_request_error' } } });
    const stream = await openai.chat.completions.create({ model: 'oai/gpt-4.1', stream: true, messages: [{ role: 'user', content: 'four five' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: four five');
    expect(chatBodies().map((body) => body?.stream_options)).toEqual([{ include_usage: true }, undefined]);
  });

  it('is heard by a client that asked for usage itself', async () => {
    upstream.enqueue(refusal);
    const error = await openai.chat.completions
      .create({ model: 'oai/gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'one' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ param: 'stream_options' });
    expect(chatBodies()).toHaveLength(1);
  });
});

