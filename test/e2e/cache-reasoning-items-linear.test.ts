/**
 * The cache's assembly of a kept stream is linear in the upstream reasoning items
 * (`reasoning_items`) the stream carries.
 *
 * Before its fix: for every delta with reasoning items, `assemble` (run in the recording tap's
 * `end`, on the event loop, before the client hears its stream end) copied every item so far twice
 * and searched them for each item added: Θ(N²). 20,000 one-item chunks (the most the cache keeps)
 * held the event loop for 5.3 s, 40,000 items in one delta for 3.5 s, and one 16 MiB event fits
 * about 450,000 items. Items are now kept by id (plugins/cache/entry.ts `ReasoningItemsById`).
 *
 * The counting tests read each item's `id` through a getter: linear work reads it a few times, the
 * old code about N/2 times. The e2e test shows the field reaches `assemble` from an
 * OpenAI-format upstream's stream, and a later item with an id already seen replaces it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import type { ChatCompletionChunk } from '../../index.js';
import { assemble } from '../../plugins/cache/entry.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const head = { id: 'c1', object: 'chat.completion.chunk' as const, created: 1, model: 'm' };
const chunkOf = (delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk => ({ ...head, choices: [{ index: 0, delta, finish_reason: finish }] }) as ChatCompletionChunk;

/** N reasoning items whose `id` reads are counted. */
function countedItems(n: number): { items: Array<Record<string, unknown>>; reads: () => number } {
  let reads = 0;
  const items = Array.from({ length: n }, (_, i) => {
    const id = `rs_${i}`;
    const item: Record<string, unknown> = { type: 'reasoning', summary: [] };
    Object.defineProperty(item, 'id', {
      enumerable: true,
      get: () => {
        reads++;
        return id;
      },
    });
    return item;
  });
  return { items, reads: () => reads };
}

const N = 3_000;
/** Generous for linear work: twenty reads of each item's id. The code does about N/2 per item. */
const LINEAR_BOUND = 20 * N;

describe('cache assemble: work grows linearly with the reasoning items a stream carries', () => {
  it('one item per chunk (a Responses upstream): id reads stay linear in the number of items', () => {
    const { items, reads } = countedItems(N);
    const chunks = [chunkOf({ role: 'assistant', content: '' }), ...items.map((item) => chunkOf({ reasoning_items: [item] })), chunkOf({ content: 'done' }), chunkOf({}, 'stop')];
    const completion = assemble(chunks);
    expect((completion.choices[0]!.message as Record<string, unknown[]>).reasoning_items).toHaveLength(N);
    expect(reads()).toBeLessThan(LINEAR_BOUND);
  });

  it('N items in one delta (an OpenAI-format host): id reads stay linear in the number of items', () => {
    const { items, reads } = countedItems(N);
    const completion = assemble([chunkOf({ role: 'assistant', content: 'done', reasoning_items: items }), chunkOf({}, 'stop')]);
    expect((completion.choices[0]!.message as Record<string, unknown[]>).reasoning_items).toHaveLength(N);
    expect(reads()).toBeLessThan(LINEAR_BOUND);
  });
});

describe('an upstream chunk\'s reasoning_items through the cache', () => {
  let upstream: MockUpstream;
  let gw: RunningGateway;
  beforeAll(async () => {
    upstream = await startMockUpstream();
    gw = await startGateway({ providers: { host: mockProvider(upstream) }, plugins: [cache()] });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('a streamed miss with reasoning_items is assembled and kept: a JSON hit carries every item, each as it was done', async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ type: 'reasoning', id: `rs_${i}`, summary: [] }));
    // The first item again, done: it replaces the one that opened.
    const done = { type: 'reasoning', id: 'rs_0', summary: [{ type: 'summary_text', text: 'thought' }] };
    upstream.enqueue({ stream: { chunks: [chunk({ role: 'assistant', content: '', reasoning_items: items }), chunk({ reasoning_items: [done] }), chunk({ content: 'Hello!' }), chunk({}, 'stop')] } });
    const ask = (stream: boolean) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'host/m', messages: [{ role: 'user', content: 'reasoning items path' }], stream }),
      });
    const miss = await ask(true);
    await miss.text();
    expect(miss.headers.get('x-gateway-cache')).toBe('miss');
    const hit = await ask(false);
    expect(hit.headers.get('x-gateway-cache')).toBe('hit');
    const body = (await hit.json()) as { choices: Array<{ message: { reasoning_items?: unknown[] } }> };
    expect(body.choices[0]!.message.reasoning_items).toHaveLength(50);
    expect(body.choices[0]!.message.reasoning_items![0]).toEqual(done);
  });
});
