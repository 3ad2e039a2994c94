/**
 * HTTP as real clients and users' configurations send it: base URLs without `/v1` (or with it
 * twice), base URLs ending in "/" that clients join naively (a doubled slash), a UTF-8 byte order
 * mark before the JSON, and a body in the charset its Content-Type declares. Real sockets, the
 * official SDKs where a client would use them, a gateway in front of the mock upstream. Before its
 * fix each was a 404 or a 400 `invalid_json`, or (ISO-8859-1) silently misread. Now
 * core/http/canonical-path.ts puts the path right and core/http/body-charset.ts reads the body as
 * declared.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { mock: mockProvider(upstream) } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const chat = { model: 'mock/gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] };
const message = { model: 'mock/gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] };

async function post(path: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await fetch(`${gw.url}${path}`, { method: 'POST', headers, body });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

describe('a base URL configured without /v1', () => {
  // OPENAI_BASE_URL=http://host:8080 (as ANTHROPIC_BASE_URL is written for Claude Code on the same
  // gateway): the OpenAI SDK then calls /chat/completions. LiteLLM serves both; this gateway 404s.
  it('the OpenAI SDK with baseURL http://host:8080 gets an answer from /chat/completions, not a 404', async () => {
    const client = new OpenAI({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'mock/gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
    expect(answer.choices[0]!.message.content).toContain('hello');
  });

  it('the OpenAI SDK with baseURL http://host:8080 lists models from /models', async () => {
    const client = new OpenAI({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
    const page = await client.models.list();
    expect(Array.isArray(page.data)).toBe(true);
  });

  it('the Codex-style Responses call to /responses (base_url without /v1) is served', async () => {
    const { status, json } = await post('/responses', JSON.stringify({ model: 'mock/gpt-4o-mini', input: 'hello' }));
    expect(status).toBe(200);
    expect(json.object).toBe('response');
  });
});

describe('a doubled slash from a base URL that ends in "/"', () => {
  // `${base}/chat/completions` with base "http://host:8080/v1/" (aichat#767, litellm-vscode-chat#53).
  it('POST /v1//chat/completions reaches the chat completions API', async () => {
    const { status, json } = await post('/v1//chat/completions', JSON.stringify(chat));
    expect(status).toBe(200);
    expect(json.object).toBe('chat.completion');
  });

  it('POST //v1/chat/completions reaches the chat completions API', async () => {
    const { status, json } = await post('//v1/chat/completions', JSON.stringify(chat));
    expect(status).toBe(200);
    expect(json.object).toBe('chat.completion');
  });

  it('POST //v1/messages reaches the Messages API', async () => {
    const { status, json } = await post('//v1/messages', JSON.stringify(message));
    expect(status).toBe(200);
    expect(json.type).toBe('message');
  });
});

describe('a UTF-8 byte order mark before the JSON', () => {
  // RFC 8259 §8.1: parsers MAY ignore it; Windows tools write it (a file saved with BOM, sent with
  // curl -d @file.json). Express's body-parser and Python's json.loads(bytes) (FastAPI, LiteLLM) ignore it.
  it('is ignored on /v1/chat/completions', async () => {
    const { status, json } = await post('/v1/chat/completions', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(chat))]));
    expect(status).toBe(200);
    expect(json.object).toBe('chat.completion');
  });

  it('is ignored on /v1/messages', async () => {
    const { status, json } = await post('/v1/messages', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(message))]));
    expect(status).toBe(200);
    expect(json.type).toBe('message');
  });
});

describe('the charset a Content-Type declares', () => {
  // Apache HttpClient's `new StringEntity(json)` sends "text/plain; charset=ISO-8859-1" and
  // latin-1 bytes: before its fix, "café" reached the upstream (and was billed) as "caf\uFFFD", with a 200.
  it('ISO-8859-1 is read as declared', async () => {
    const body = Buffer.from(JSON.stringify({ ...chat, messages: [{ role: 'user', content: 'café' }] }), 'latin1');
    const { status } = await post('/v1/chat/completions', body, { 'content-type': 'text/plain; charset=ISO-8859-1' });
    expect(status).toBe(200);
    expect(upstream.requests.at(-1)!.body).toMatchObject({ messages: [{ content: 'café' }] });
  });

  it('UTF-16LE (declared, with its byte order mark) is read, not a 400 "invalid JSON"', async () => {
    const body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify({ ...chat, messages: [{ role: 'user', content: 'naïve 日本' }] }), 'utf16le')]);
    const { status, json } = await post('/v1/chat/completions', body, { 'content-type': 'application/json; charset="UTF-16"' });
    expect(status).toBe(200);
    expect(json.object).toBe('chat.completion');
    expect(upstream.requests.at(-1)!.body).toMatchObject({ messages: [{ content: 'naïve 日本' }] });
  });

  it('a charset no decoder knows is a 415 naming it, in the API\'s own format', async () => {
    const refused = await post('/v1/chat/completions', JSON.stringify(chat), { 'content-type': 'application/json; charset=klingon-8' });
    expect(refused.status).toBe(415);
    expect(refused.json.error).toMatchObject({ code: 'unsupported_charset', message: 'The request body\'s charset "klingon-8" is not supported: send UTF-8.' });
    const anthropic = await post('/v1/messages', JSON.stringify(message), { 'content-type': 'application/json; charset=klingon-8' });
    expect(anthropic.status).toBe(415);
    expect(anthropic.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('what is not rewritten', () => {
  it('the Anthropic SDK given a base URL that ends in /v1 (it calls /v1/v1/messages) is served', async () => {
    const client = new Anthropic({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const answer = await client.messages.create({ model: 'mock/gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] });
    expect(answer.type).toBe('message');
  });

  it("a path nothing serves is a 404 that says where the APIs are, and the kernel's own unprefixed routes stay theirs", async () => {
    const missing = await post('/v2/chat/completions', JSON.stringify(chat));
    expect(missing.status).toBe(404);
    expect(missing.json.error.message).toBe(
      "Unknown path: POST /v2/chat/completions. OpenAI clients take the gateway's /v1 as their base URL (http://host:port/v1), Anthropic clients the gateway itself (http://host:port).",
    );
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    expect(upstream.requests).toHaveLength(0);
  });

  it('a method a path does not take is a 405 that says which it does (Allow, as RFC 9110 asks), in the API\'s format', async () => {
    const get = await fetch(`${gw.url}/v1/chat/completions`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toContain('POST');
    expect(((await get.json()) as Record<string, any>).error.code).toBe('method_not_allowed');
    const odd = await fetch(`${gw.url}/v1/messages`, { method: 'PATCH', body: '{}' });
    expect(odd.status).toBe(405);
    expect(odd.headers.get('allow')).toContain('POST');
    expect(((await odd.json()) as Record<string, any>).type).toBe('error');
  });
});
