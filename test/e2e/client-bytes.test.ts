/**
 * What goes upstream is written from the client's own bytes wherever they still say what the
 * request says (core/http/client-json.ts): an agent's conversation is not serialised again. Seen
 * on the wire, through real sockets: the upstream receives the client's formatting for what no one
 * changed, and the change for what a plugin changed, in place or not.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { definePlugin } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

/** Edits the request in place, deep inside a message, when the prompt asks for it. */
const inPlaceEditor = definePlugin({
  name: 'test:in-place-editor',
  setup: () => ({
    async middleware(ctx, next) {
      const first = ctx.request.messages[0];
      if (first && Array.isArray(first.content)) {
        const part = first.content[0] as { type: string; text?: string };
        if (part.text === 'edit me') part.text = 'edited';
      }
      await next();
    },
  }),
});

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
      claude: { type: 'anthropic', apiKey: 'k', baseURL: upstream.baseURL, listModels: false },
    },
    plugins: [inPlaceEditor(), 'gateway:token-counter'],
  });
});
beforeEach(() => upstream.reset());
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

/** An agent's system prompt: what makes a request large enough for the gateway to keep its bytes (8 KB). */
const SYSTEM = { role: 'system', content: 'You are a coding agent. Read before you write. '.repeat(200) };

/** Sends `text` as it is: the client's own formatting, which the gateway must keep where it can. */
async function send(path: string, text: string): Promise<Response> {
  return fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k' }, body: text });
}

describe('the upstream receives the client bytes', () => {
  it('for every field of an OpenAI request no one changed, with the target model', async () => {
    const text = JSON.stringify({ model: 'mock/mock-small', messages: [SYSTEM, { role: 'user', content: 'caf\\u00e9 is "here"' }], temperature: 0.5 }, null, 2).replace('caf\\\\u00e9', 'caf\\u00e9');
    const res = await send('/v1/chat/completions', text);
    expect(res.status).toBe(200);
    const sent = upstream.requests.at(-1)!;
    expect(sent.body).toEqual({ model: 'mock-small', messages: [SYSTEM, { role: 'user', content: 'café is "here"' }], temperature: 0.5 });
    // The client's escape and indentation, which JSON.stringify would not have written.
    expect(sent.text).toContain('{\n      "role": "user",\n      "content": "caf\\u00e9 is \\"here\\""');
    expect(sent.text.startsWith('{"model":"mock-small",')).toBe(true);
  });

  it('for a large body, sent as the client bytes joined, non-ASCII text included', async () => {
    const file = 'const ok = "✓ café"; // 🎉\n'.repeat(1000);
    const text = JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: file }, { role: 'assistant', content: 'read it' }, { role: 'user', content: 'again' }] }, null, 2);
    const res = await send('/v1/chat/completions', text);
    expect(res.status).toBe(200);
    const sent = upstream.requests.at(-1)!;
    expect(sent.body).toEqual({ ...(JSON.parse(text) as object), model: 'mock-small' });
    expect(sent.text).toContain('"messages": [\n    {\n      "role": "user",');
    expect(Number(sent.headers['content-length'])).toBe(Buffer.byteLength(sent.text));
  });

  it('with what a plugin added (the token counter asks a stream for its usage)', async () => {
    const text = `{ "model": "mock/mock-small", "stream": true, "messages": [ ${JSON.stringify(SYSTEM)}, { "role": "user", "content": "hi" } ] }`;
    const res = await send('/v1/chat/completions', text);
    await res.text();
    const sent = upstream.requests.at(-1)!;
    expect(sent.body).toEqual({ model: 'mock-small', stream: true, messages: [SYSTEM, { role: 'user', content: 'hi' }], stream_options: { include_usage: true } });
    expect(sent.text).toContain(', { "role": "user", "content": "hi" } ]');
  });

  it('but never a field a plugin edited in place, however deep', async () => {
    const tools = [{ type: 'function', function: { name: 'read', parameters: { type: 'object' } } }];
    const text = JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: [{ type: 'text', text: 'edit me' }] }, SYSTEM], tools }, null, 1);
    const res = await send('/v1/chat/completions', text);
    expect(res.status).toBe(200);
    const sent = upstream.requests.at(-1)!;
    expect(sent.body?.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'edited' }] }, SYSTEM]);
    expect(sent.body?.tools).toEqual(tools);
    expect(sent.text).not.toContain('edit me');
    // The other fields are still the client's bytes.
    // The messages are serialised afresh; the tools, which no one changed, are still the client's bytes.
    expect(sent.text).not.toContain('"role": "system"');
    expect(sent.text).toContain('"type": "function"');
  });

  it('and nothing of a body with a key written twice: the upstream gets what the gateway read', async () => {
    const text = `{"model":"mock/mock-small", "messages":[${JSON.stringify(SYSTEM)}, {"role":"user","content":"first","content":"second"}]}`;
    const res = await send('/v1/chat/completions', text);
    expect(res.status).toBe(200);
    expect(upstream.requests.at(-1)!.text).toBe(JSON.stringify({ model: 'mock-small', messages: [SYSTEM, { role: 'user', content: 'second' }] }));
  });

  it('for an Anthropic request sent natively to an Anthropic upstream', async () => {
    const text = JSON.stringify({ model: 'claude/claude-test', max_tokens: 9, system: SYSTEM.content, messages: [{ role: 'user', content: 'hello' }] }, null, 2);
    const res = await send('/v1/messages', text);
    expect(res.status).toBe(200);
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe('/v1/messages');
    expect(sent.body).toEqual({ model: 'claude-test', max_tokens: 9, system: SYSTEM.content, messages: [{ role: 'user', content: 'hello' }] });
    expect(sent.text).toContain('"messages": [\n    {\n      "role": "user",\n      "content": "hello"\n    }\n  ]');
  });

  it('but not for a small body, which is serialised as JSON.stringify writes it', async () => {
    const text = JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] }, null, 2);
    const res = await send('/v1/chat/completions', text);
    expect(res.status).toBe(200);
    expect(upstream.requests.at(-1)!.text).toBe(JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'hi' }] }));
  });
});
