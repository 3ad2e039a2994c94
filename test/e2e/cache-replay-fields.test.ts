/**
 * The cache replaying answers whose request asked for more than text: `/v1/completions` with
 * `echo` (the prompt once, not twice) and `logprobs`, and chat `logprobs` from a streamed answer
 * given to a JSON client.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { textCompletion } from '../support/text-completion-wire.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      native: mockProvider(upstream, { completions: true }),
      chat: mockProvider(upstream),
    },
    plugins: [cache()],
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

let unique = 0;
const fresh = (text: string) => `${text} ${++unique}`;
const posts = () => upstream.requests.filter((r) => r.method === 'POST').length;

describe('/v1/completions through the cache, native upstream', () => {
  // Promised (docs/cache.md, "What is kept, and how it comes back"): "Anthropic, Responses and
  // text-completion clients get the hit rendered in their own format. This includes answers that
  // first came natively ... the cache keeps the OpenAI form and renders from it." A hit is the same
  // answer as the miss. What happens: the host that serves /completions already put the prompt in
  // front of the text (echo: true), the chat view keeps that text as `content`, and the hit is
  // rendered by toTextCompletion(answer, echo), which puts the prompt in front a second time.
  it('gives the same text on a hit as on the miss with echo: true (whole)', async () => {
    const prompt = fresh('Once upon a time');
    const miss = await client.completions.create({ model: 'native/mock-instruct', prompt, echo: true }).withResponse();
    expect(miss.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(miss.data.choices[0]?.text).toBe(`${prompt}echo: ${prompt}`);
    const hit = await client.completions.create({ model: 'native/mock-instruct', prompt, echo: true }).withResponse();
    expect(hit.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(posts()).toBe(1);
    // Before its fix: `${prompt}${prompt}echo: ${prompt}`.
    expect(hit.data.choices[0]?.text).toBe(miss.data.choices[0]?.text);
  });

  it('gives the same text on a streamed hit as on the streamed miss with echo: true', async () => {
    const prompt = fresh('Twice upon a time');
    const read = async () => {
      const { data, response } = await client.completions.create({ model: 'native/mock-instruct', prompt, echo: true, stream: true }).withResponse();
      let text = '';
      for await (const c of data) text += c.choices[0]?.text ?? '';
      return { text, cache: response.headers.get('x-gateway-cache') };
    };
    const miss = await read();
    expect(miss.cache).toBe('miss');
    expect(miss.text).toBe(`${prompt}echo: ${prompt}`);
    const hit = await read();
    expect(hit.cache).toBe('hit');
    expect(hit.text).toBe(miss.text);
  });

  // Promised: the same, a hit is the answer the miss got ("A JSON client gets the assembled
  // completion"; the key keeps `logprobs` so that two requests that could get different answers
  // never share). What happens: the native upstream's logprobs are in the chat view's choice, but
  // toTextCompletion writes `logprobs: null` for every hit, so a client that asked for logprobs
  // (and got them on the miss) gets null from the cache.
  it('keeps the logprobs a client asked for on a hit', async () => {
    const logprobs = { tokens: ['echo', ':'], token_logprobs: [-0.1, -0.2], top_logprobs: [{ echo: -0.1 }, { ':': -0.2 }], text_offset: [0, 4] };
    const body = textCompletion(['echo: x']);
    (body.choices as Array<Record<string, unknown>>)[0]!.logprobs = logprobs;
    upstream.enqueue({ body });
    const prompt = fresh('logprobs please');
    const miss = await client.completions.create({ model: 'native/mock-instruct', prompt, logprobs: 1 }).withResponse();
    expect(miss.data.choices[0]?.logprobs).toEqual(logprobs);
    const hit = await client.completions.create({ model: 'native/mock-instruct', prompt, logprobs: 1 }).withResponse();
    expect(hit.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(hit.data.choices[0]?.logprobs).toEqual(logprobs);
  });
});

describe('chat logprobs through the cache', () => {
  // Promised (docs/cache.md): "A streamed answer is replayed to a JSON client, and the other way
  // round", and `logprobs` is part of the key (only stream/stream_options are left out), so the
  // JSON request below is answered from the streamed entry. What happens: assemble() (entry.ts)
  // drops every chunk's `logprobs`, so a JSON client that asked for `logprobs: true` gets a hit
  // whose choice has no logprobs at all.
  it('gives a JSON client the logprobs of a streamed answer it is served from', async () => {
    const lp = (token: string) => ({ content: [{ token, logprob: -0.5, bytes: null, top_logprobs: [] }], refusal: null });
    upstream.enqueue({
      stream: {
        chunks: [
          chunk({ role: 'assistant', content: '' }),
          { ...chunk({ content: 'Hi' }), choices: [{ index: 0, delta: { content: 'Hi' }, logprobs: lp('Hi'), finish_reason: null }] },
          { ...chunk({ content: '!' }), choices: [{ index: 0, delta: { content: '!' }, logprobs: lp('!'), finish_reason: null }] },
          chunk({}, 'stop'),
          { ...chunk({}), choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } },
        ],
      },
    });
    const messages = [{ role: 'user' as const, content: fresh('say hi') }];
    const stream = await client.chat.completions.create({ model: 'chat/mock-small', messages, logprobs: true, stream: true });
    const seen: unknown[] = [];
    for await (const c of stream) if (c.choices[0]?.logprobs) seen.push(...(c.choices[0].logprobs.content ?? []));
    expect(seen).toHaveLength(2);

    const { data, response } = await client.chat.completions.create({ model: 'chat/mock-small', messages, logprobs: true }).withResponse();
    expect(response.headers.get('x-gateway-cache')).toBe('hit');
    expect(data.choices[0]?.message.content).toBe('Hi!');
    // Before its fix: undefined.
    expect(data.choices[0]?.logprobs?.content?.map((c) => c.token)).toEqual(['Hi', '!']);
  });
});
