/**
 * The pass-through hint (`ChatCallInput.passThrough`) turns on once a stream has started and the
 * rest of it is only read in place: by the kernel, by taps that declare `lazyChunks`, and by a
 * front-end that writes the upstream's own text; never while a plugin wraps the stream otherwise,
 * never for a front-end that translates chunks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, tapStream, tokenCounter, usageLogger, type ChatCompletionChunk, type StreamTap } from '../../index.js';
import { defineProviderType, type PassThroughHint } from '../../sdk/provider-kit.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';

/** What the hint said when each chunk was handed over, per request: pass-through allowed, and the chunk held by priming. */
const seen: boolean[][] = [];
const primingSeen: boolean[][] = [];

const chunk = (content: string | undefined, finish: string | null = null): ChatCompletionChunk => ({
  id: 'c',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: finish }],
});

const recording = definePlugin({
  name: 'test:recording-provider',
  providerTypes: [
    defineProviderType({
      type: 'recording',
      schema: { type: 'object' },
      create: (_options, { id }) => ({
        id,
        type: 'recording',
        chatCompletions: async ({ passThrough }) => {
          const hints: boolean[] = [];
          const primings: boolean[] = [];
          seen.push(hints);
          primingSeen.push(primings);
          const hint: PassThroughHint = passThrough ?? { allowed: false };
          async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
            for (const content of ['', 'a ', 'b ', 'c ']) {
              hints.push(hint.allowed);
              primings.push(hint.priming === true);
              yield content === '' ? { ...chunk(undefined), choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] } : chunk(content);
              // A chunk a second read would bring: the writer has had its turn.
              await new Promise((resolve) => setImmediate(resolve));
            }
            hints.push(hint.allowed);
            primings.push(hint.priming === true);
            yield chunk(undefined, 'stop');
          }
          return { kind: 'stream', status: 200, headers: {}, chunks: chunks() };
        },
      }),
    }),
  ],
});

/** A plugin that taps every stream with `tap`. */
const tapping = (name: string, tap: StreamTap<ChatCompletionChunk>) =>
  definePlugin({
    name,
    setup: () => ({
      async middleware(ctx, next) {
        await next();
        const response = ctx.response;
        if (response?.kind === 'stream') ctx.response = { ...response, chunks: tapStream(response.chunks, tap) };
      },
    }),
  });

/** Reads every chunk, and may keep them: declares nothing. */
const reader = tapping('test:reader', { chunk: (chunk) => void chunk.choices });
/** Reads every chunk's text in place, as the token counter does. */
const texts: string[] = [];
const lazyReader = tapping('test:lazy-reader', { lazyChunks: true, chunk: (chunk) => void texts.push(chunk.choices.map((c) => c.delta.content ?? '').join('')) });
/** Waits only for the stream's end, as the rate limiter does for its slot. */
const ender = tapping('test:ender', { end: () => undefined });

let plain: RunningGateway;
let reading: RunningGateway;
let lazilyReading: RunningGateway;
let accounting: RunningGateway;
let ending: RunningGateway;
beforeAll(async () => {
  const providers = { rec: { type: 'recording', models: ['m'] } };
  plain = await startGateway({ providers, plugins: [recording()] });
  reading = await startGateway({ providers, plugins: [recording(), reader()] });
  lazilyReading = await startGateway({ providers, plugins: [recording(), lazyReader()] });
  accounting = await startGateway({ providers, plugins: [recording(), tokenCounter(), usageLogger({ url: 'sqlite::memory:', bodies: { request: true, response: true } })] });
  ending = await startGateway({ providers, plugins: [recording(), ender()] });
});
afterAll(async () => {
  await plain?.close();
  await reading?.close();
  await lazilyReading?.close();
  await accounting?.close();
  await ending?.close();
});

async function hintsThrough(gw: RunningGateway, path = '/chat/completions', body: Record<string, unknown> = { model: 'rec/m', stream: true, messages: [{ role: 'user', content: 'hi' }] }): Promise<boolean[]> {
  const res = await fetch(`${gw.baseURL}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  await res.text();
  return seen.at(-1)!;
}

describe('the pass-through hint', () => {
  it('turns on after the stream started, when nothing but the kernel reads it', async () => {
    const hints = await hintsThrough(plain);
    // Off while the preamble and the first chunk with content are read (primeStream), then on.
    expect(hints.slice(0, 2)).toEqual([false, false]);
    expect(hints.slice(2)).toEqual([true, true, true]);
  });

  it('stays off while a plugin reads the stream', async () => {
    expect(await hintsThrough(reading)).toEqual([false, false, false, false, false]);
  });

  it('turns on when a plugin reads chunks in place (lazyChunks), which still sees every text', async () => {
    texts.length = 0;
    expect(await hintsThrough(lazilyReading)).toEqual([false, false, true, true, true]);
    expect(texts).toEqual(['', 'a ', 'b ', 'c ', '']);
  });

  it("turns on under the token counter and the usage log's bodies, which read the answer's text in place", async () => {
    expect(await hintsThrough(accounting)).toEqual([false, false, true, true, true]);
  });

  it('turns on when a plugin only waits for the stream to end', async () => {
    expect(await hintsThrough(ending)).toEqual([false, false, true, true, true]);
  });

  it('says the preamble is held by priming while only the kernel and lazyChunks taps read it, and no more after', async () => {
    for (const gw of [plain, lazilyReading, accounting, ending]) {
      await hintsThrough(gw);
      expect(primingSeen.at(-1)).toEqual([true, true, false, false, false]);
    }
    // A tap that may keep chunks reads them as priming reads them: they are parsed.
    await hintsThrough(reading);
    expect(primingSeen.at(-1)).toEqual([false, false, false, false, false]);
  });

  it('stays off for a front-end that translates chunks (Anthropic Messages)', async () => {
    const hints = await hintsThrough(plain, '/messages', { model: 'rec/m', stream: true, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(hints.every((allowed) => !allowed)).toBe(true);
  });
});
