/**
 * Upstream streams at the edges of the SSE format and of OpenAI's chunks (an event over several
 * `data:` lines, empty heartbeats, a usage chunk without `choices`, `n` choices), and a browser's
 * preflight for the openai SDK's helper headers. The official openai client, real sockets. Each
 * case names the behaviour expected, with its source.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } } });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'k', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const streamRequest = (extra: Record<string, unknown> = {}) => ({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'hi' }], ...extra });
const postStream = (extra: Record<string, unknown> = {}) =>
  fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(streamRequest(extra)) });
const event = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

describe('SSE framing of upstream shapes', () => {
  // SSE spec (WHATWG HTML, 9.2.6 "Interpreting an event stream"): several `data:` lines of one event
  // are joined with a newline. Re-emitting that data after a single `data: ` prefix puts a line with
  // no field name on the wire, which clients drop: every line of the event must carry `data:`.
  it('an upstream event split over several data: lines reaches the openai client as one valid chunk', async () => {
    upstream.enqueue({
      stream: {
        chunks: [
          'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m",\ndata: "choices":[{"index":0,"delta":{"role":"assistant","content":"hello"},"finish_reason":null}]}\n\n',
          event(chunk({}, 'stop')),
        ],
      },
    });
    const raw = await (await postStream()).text();
    for (const line of raw.split('\n')) expect(line === '' || line.startsWith('data:')).toBe(true);

    upstream.enqueue({
      stream: {
        chunks: [
          'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m",\ndata: "choices":[{"index":0,"delta":{"role":"assistant","content":"hello"},"finish_reason":null}]}\n\n',
          event(chunk({}, 'stop')),
        ],
      },
    });
    const stream = await client.chat.completions.create({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'x' }] });
    let text = '';
    for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
    expect(text).toBe('hello');
  });

  // SSE spec (WHATWG HTML, 9.2.6, "dispatch the event"): "If the data buffer is an empty string, set
  // the data buffer and the event type buffer to the empty string and return": an event with empty
  // data (`data:` / `data: ` used as a heartbeat) is not dispatched at all. The openai SDK skips it
  // too. It must not fail the stream as "an event that is not JSON".
  it('an empty data: heartbeat mid-stream is ignored, not a stream failure', async () => {
    upstream.enqueue({ stream: { chunks: [event(chunk({ role: 'assistant', content: 'a' })), 'data:\n\n', 'data: \n\n', event(chunk({ content: 'b' })), event(chunk({}, 'stop'))] } });
    const res = await postStream();
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).not.toContain('"error"');
    expect(body).toContain('"content":"b"');
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('an empty data: heartbeat before the first chunk is ignored, not a 502', async () => {
    upstream.enqueue({ stream: { chunks: ['data: \n\n', event(chunk({ role: 'assistant', content: 'a' })), event(chunk({}, 'stop'))] } });
    const res = await postStream();
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('"content":"a"');
  });
});

describe('stream_options.include_usage', () => {
  // OpenAI API reference (chat streaming, `stream_options.include_usage`): the usage chunk is only
  // sent when the client asks for it. The front-end drops it otherwise, but a usage chunk written
  // without a `choices` key (some OpenAI-compatible servers do) crashes that check
  // (`chunk.choices.length` of undefined): a complete answer ends with an internal_error event
  // instead of `[DONE]`, and the openai client throws.
  it('a usage chunk without a choices key, which the client did not ask for, is dropped and the stream ends with [DONE]', async () => {
    const usageOnly = { id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } };
    upstream.enqueue({ stream: { chunks: [event(chunk({ role: 'assistant', content: 'a' })), event(chunk({}, 'stop')), event(usageOnly)] } });
    const body = await (await postStream()).text();
    expect(body).not.toContain('internal_error');
    expect(body).not.toContain('"usage"');
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});

describe('n > 1 streams', () => {
  // OpenAI API reference (chat completion chunk object): with `n`, each choice index streams until
  // its own `finish_reason`. The front-end's contract (plugins/openai/api/chat-completions.ts): "a
  // cut answer never looks like a complete one". An upstream that ends its body without `[DONE]`
  // after choice 0 finished but while choice 1 is still mid-answer is truncated; the gateway must
  // end with an error event, not append `[DONE]`.
  it('a stream that ends before every one of its n choices finished is reported truncated, not completed with [DONE]', async () => {
    const c = (index: number, delta: Record<string, unknown>, finish: string | null = null) => ({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index, delta, logprobs: null, finish_reason: finish }] });
    upstream.enqueue({ stream: { chunks: [c(0, { role: 'assistant', content: 'a' }), c(1, { role: 'assistant', content: 'b' }), c(0, {}, 'stop'), c(1, { content: 'still going' })], done: false } });
    const body = await (await postStream({ n: 2 })).text();
    expect(body).not.toContain('data: [DONE]');
    expect(body).toContain('upstream_stream_truncated');
  });
});

describe('CORS for browser clients of the official SDK', () => {
  // Fetch standard (CORS-preflight fetch): a request header not listed in
  // Access-Control-Allow-Headers makes the browser refuse the request. openai 6.x (installed here)
  // sends `X-Stainless-Helper-Method` from `chat.completions.stream()`, `.parse()` and `runTools()`,
  // and `OpenAI-Organization` / `OpenAI-Project` when those options are set.
  it('a preflight for the headers the openai SDK sends from its helpers is allowed', async () => {
    const cors = await startGateway({ server: { corsOrigins: ['https://app.example'] } as never, providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } } });
    try {
      const res = await fetch(`${cors.url}/v1/chat/completions`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-stainless-helper-method,openai-organization,openai-project',
        },
      });
      expect(res.status).toBe(204);
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',').map((h) => h.trim());
      for (const header of ['x-stainless-helper-method', 'openai-organization', 'openai-project']) expect(allowed).toContain(header);
    } finally {
      await cors.close();
    }
  });
});
