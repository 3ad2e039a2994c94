/**
 * Streams from an OpenAI-format upstream to an OpenAI client pass the upstream's own event text
 * through when no plugin changes a chunk (no second JSON.stringify), also while plugins read the
 * answer's text in place (the token counter, the usage log's bodies), and a plugin that replaces a
 * chunk is still heard: its chunk is serialised as changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, retry, tokenCounter, usageLogger, type ChatCompletionChunk } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

/** Spacing, key order and a vendor field that a parse and re-serialise would not keep as they are. */
const EVENTS = [
  'data: {"id":"c1", "object":"chat.completion.chunk","created":1,"model":"m","x_vendor":{"b":1,"a":2},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n',
  'data: {"object":"chat.completion.chunk","id":"c1","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" there"},"finish_reason":null}]}\n\n',
  'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
];

/** Upper-cases every content delta by yielding new chunks. */
const shout = definePlugin({
  name: 'test:shout',
  setup: () => ({
    async middleware(ctx, next) {
      await next();
      const response = ctx.response;
      if (response?.kind !== 'stream') return;
      ctx.response = {
        ...response,
        chunks: (async function* (chunks: AsyncIterable<ChatCompletionChunk>) {
          for await (const chunk of chunks) {
            yield { ...chunk, choices: chunk.choices.map((c) => ({ ...c, delta: { ...c.delta, ...(typeof c.delta.content === 'string' ? { content: c.delta.content.toUpperCase() } : {}) } })) };
          }
        })(response.chunks),
      };
    },
  }),
});

let upstream: MockUpstream;
let plain: RunningGateway;
let shouting: RunningGateway;
// The retry primes each try's stream inside its loop, before the plugins around it wrap it: the
// adapter leaves the preamble it reads then unparsed (core/unparsed-preamble.ts).
let retrying: RunningGateway;
let retryingShouting: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  const providers = { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } };
  plain = await startGateway({ providers });
  shouting = await startGateway({ providers, plugins: [shout()] });
  retrying = await startGateway({ providers, plugins: [retry()] });
  retryingShouting = await startGateway({ providers, plugins: [shout(), retry()] });
});
afterAll(async () => {
  await plain?.close();
  await shouting?.close();
  await retrying?.close();
  await retryingShouting?.close();
  await upstream?.close();
});

async function streamFrom(gw: RunningGateway): Promise<string> {
  upstream.enqueue({ stream: { chunks: EVENTS } });
  const res = await fetch(`${gw.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/m', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(res.status).toBe(200);
  return res.text();
}

describe('stream pass-through', () => {
  it('sends the upstream event text byte for byte when no plugin changes a chunk', async () => {
    expect(await streamFrom(plain)).toBe(`${EVENTS.join('')}data: [DONE]\n\n`);
  });

  it('sends the preamble the retry held byte for byte too', async () => {
    expect(await streamFrom(retrying)).toBe(`${EVENTS.join('')}data: [DONE]\n\n`);
  });

  it('passes each stream its own text byte for byte when many streams run at once', async () => {
    // Spacing unique to each stream: a chunk written with another stream's text, or re-serialised, shows.
    const streams = Array.from({ length: 40 }, (_, s) =>
      Array.from({ length: 30 }, (_, i) => `data: {"id":"s${s}",${' '.repeat(s % 7)}"object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"w${i} "},"finish_reason":${i === 29 ? '"stop"' : 'null'}}]}\n\n`),
    );
    for (const events of streams) upstream.enqueue({ stream: { chunks: events } });
    const bodies = await Promise.all(
      streams.map(async () => {
        const res = await fetch(`${plain.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'mock/m', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
        });
        return res.text();
      }),
    );
    // The upstream answers in arrival order, which need not be the order of the requests above.
    const expected = new Set(streams.map((events) => `${events.join('')}data: [DONE]\n\n`));
    for (const body of bodies) expect(expected.has(body)).toBe(true);
    expect(new Set(bodies).size).toBe(streams.length);
  });

  it('passes a long answer through whole, and its usage still reaches the usage log', async () => {
    const logged = await startGateway({ providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } }, plugins: [usageLogger({ url: 'sqlite::memory:' })] });
    try {
      const words = Array.from({ length: 120 }, (_, i) => `w${i}`).join(' ');
      const res = await fetch(`${logged.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/mock-small', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: words }] }),
      });
      const requestId = res.headers.get('x-request-id')!;
      const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: {'));
      const chunks = events.map((e) => JSON.parse(e.slice(6)) as ChatCompletionChunk);
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(`echo: ${words}`);
      expect(chunks.at(-1)?.usage).toMatchObject({ completion_tokens: 121 });
      expect(await usageRecordOf(logged, requestId)).toMatchObject({ stream: true, outcome: 'ok', completionTokens: 121, tokensEstimated: false });
    } finally {
      await logged.close();
    }
  });

  it('passes the text through byte for byte while the token counter and the usage log read the answer, which they get whole', async () => {
    const reading = await startGateway({
      providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
      plugins: [tokenCounter(), usageLogger({ url: 'sqlite::memory:', bodies: { response: true } })],
    });
    try {
      // OpenAI's shape when usage is asked for (the token counter asks): "usage":null on every chunk
      // but the last; a text with escapes; no usage at the end, so the counter counts the text.
      const words = ['Hello', ' "quoted"', ' line\nbreak', ' café', ' end'];
      const events = [
        'data: {"id":"c2","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}\n\n',
        ...words.map((w) => `data: {"id":"c2","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(w)}},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`),
        'data: {"id":"c2","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}\n\n',
      ];
      upstream.enqueue({ stream: { chunks: events } });
      const res = await fetch(`${reading.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/m', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(await res.text()).toBe(`${events.join('')}data: [DONE]\n\n`);
      const record = await usageRecordOf(reading, res.headers.get('x-request-id')!);
      expect(record.responseBody).toBe(words.join(''));
      expect(record).toMatchObject({ outcome: 'ok', tokensEstimated: true });
      expect(record.completionTokens).toBeGreaterThan(0);
    } finally {
      await reading.close();
    }
  });

  it('serialises a chunk a plugin replaced, with its change', async () => {
    const body = await streamFrom(shouting);
    expect(body).not.toContain('"id":"c1", "object"');
    const contents = body
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => (JSON.parse(e.slice(6)) as ChatCompletionChunk).choices[0]?.delta.content);
    expect(contents).toEqual(['HI', ' THERE', undefined]);
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('gives a plugin that copies chunks every field of the preamble the retry held unparsed, and writes its change', async () => {
    const body = await streamFrom(retryingShouting);
    const chunks = body
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)) as ChatCompletionChunk);
    // A copy of a chunk left unparsed would have had none of these, and the text it came with.
    expect(chunks[0]).toEqual({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', x_vendor: { b: 1, a: 2 }, choices: [{ index: 0, delta: { role: 'assistant', content: 'HI' }, finish_reason: null }] });
    expect(chunks.map((c) => c.choices[0]?.delta.content)).toEqual(['HI', ' THERE', undefined]);
    expect(body).not.toContain('"raw"');
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});
