/**
 * A whole answer from an OpenAI-format upstream goes to an OpenAI client as the upstream's own
 * text (no second JSON.stringify) while no plugin replaced it, for chat completions and embeddings;
 * a plugin that sets a changed copy is still heard, the usage log keeps the text the client got,
 * and a client of another format gets its translation.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

/** Spacing, key order, a number written `1.0` and a vendor field: a parse and re-serialise would keep none of them as they are. */
const COMPLETION =
  '{ "object": "chat.completion", "id": "c1", "created": 1.0, "model": "m", "x_vendor": {"b": 1, "a": 2},\n  "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi \\u0074here"}, "finish_reason": "stop"}],\n  "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5} }';
const EMBEDDINGS = '{"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.50, 1.0, -2e-3]}], "model": "e", "usage": {"prompt_tokens": 2, "total_tokens": 2}}';

/** Upper-cases a whole answer's text by setting a changed copy, as docs/plugins.md asks. */
const shout = definePlugin({
  name: 'test:shout-json',
  setup: () => ({
    async middleware(ctx, next) {
      await next();
      const response = ctx.response;
      if (response?.kind !== 'json') return;
      const body = response.body;
      ctx.response = { ...response, body: { ...body, choices: body.choices.map((c) => ({ ...c, message: { ...c.message, content: String(c.message.content).toUpperCase() } })) } };
    },
  }),
});

let upstream: MockUpstream;
let embeddingsServer: Server;
let embeddingsURL: string;
let plain: RunningGateway;
let shouting: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  embeddingsServer = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(EMBEDDINGS));
  });
  await new Promise<void>((resolve) => embeddingsServer.listen(0, '127.0.0.1', resolve));
  embeddingsURL = `http://127.0.0.1:${(embeddingsServer.address() as AddressInfo).port}/v1`;
  const providers = {
    mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
    vectors: { type: 'openai-compatible', baseURL: embeddingsURL, listModels: false },
  };
  plain = await startGateway({ providers, plugins: [usageLogger({ url: 'sqlite::memory:', bodies: { response: true } })] });
  shouting = await startGateway({ providers, plugins: [shout()] });
});
afterAll(async () => {
  await plain?.close();
  await shouting?.close();
  await upstream?.close();
  await new Promise((resolve) => embeddingsServer?.close(resolve));
});

async function ask(gw: RunningGateway, path = '/chat/completions', body: object = { model: 'mock/m', messages: [{ role: 'user', content: 'hi' }] }): Promise<Response> {
  return fetch(`${gw.baseURL}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('whole answers passed through', () => {
  it('sends a chat completion as the upstream wrote it, as JSON, and logs that text as the response body', async () => {
    upstream.enqueue({ body: COMPLETION, headers: { 'content-type': 'application/json' } });
    const res = await ask(plain);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.text()).toBe(COMPLETION);
    const record = await usageRecordOf(plain, res.headers.get('x-request-id')!);
    expect(record).toMatchObject({ outcome: 'ok', promptTokens: 3, completionTokens: 2 });
    expect(record.responseBody).toBe(COMPLETION);
  });

  it('serialises a changed copy that a plugin set, not the upstream text', async () => {
    upstream.enqueue({ body: COMPLETION, headers: { 'content-type': 'application/json' } });
    const res = await ask(shouting);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toBe(COMPLETION);
    expect(JSON.parse(text)).toMatchObject({ id: 'c1', created: 1, x_vendor: { b: 1, a: 2 }, choices: [{ message: { content: 'HI THERE' } }] });
  });

  it('translates for a client of another format (Anthropic messages)', async () => {
    upstream.enqueue({ body: COMPLETION, headers: { 'content-type': 'application/json' } });
    const res = await ask(plain, '/messages', { model: 'mock/m', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hi there' }] });
  });

  it('sends an embeddings answer as the upstream wrote it', async () => {
    const res = await ask(plain, '/embeddings', { model: 'vectors/e', input: 'hello' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(EMBEDDINGS);
  });
});
