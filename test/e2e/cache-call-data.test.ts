/**
 * Before its fix (a review of the carrier thinking blocks, 63f3318), with the cache plugin: a Gemini answer whose call
 * is signed, replayed from the cache to an Anthropic client in the other delivery (JSON ↔ stream).
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';

let gemini: MockGemini;
let gw: RunningGateway;
let client: Anthropic;

beforeAll(async () => {
  gemini = await startMockGemini();
  gw = await startGateway({ providers: { gem: mockGeminiProvider(gemini) }, plugins: [cache()] });
  client = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await gemini?.close();
});
beforeEach(() => gemini.reset());

const tools: Anthropic.Tool[] = [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
let unique = 0;
const params = () => ({ model: 'gem/gemini-mock-flash', max_tokens: 100, tools, messages: [{ role: 'user' as const, content: `call get_weather ${++unique}` }] });
const generateCalls = () => gemini.requests.filter((r) => r.path.includes('enerateContent')).length;

describe('a signed Gemini call replayed from the cache', () => {
  // Expected: a hit is the answer the miss got, "rendered in their own format" (docs/cache.md), so
  // the JSON miss's carrier thinking block (Gemini's signature) is in the streamed hit too, and the
  // client's next turn reaches Gemini signed.
  // Actual (before): chunksOf() (plugins/cache/entry.ts) rebuilt tool-call deltas from id/type/function only,
  // dropping `extra_content`; the streamed hit has no thinking block, so the next turn goes to Gemini
  // with Google's stand-in signature instead of the real one.
  it('keeps the carrier when a JSON answer is replayed to a streaming client', async () => {
    const p = params();
    const miss = await client.messages.create(p).withResponse();
    expect(miss.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(miss.data.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);

    const stream = client.messages.stream(p);
    const hit = await stream.finalMessage();
    expect(generateCalls()).toBe(1); // served from the cache
    expect(hit.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    expect((hit.content[0] as Anthropic.ThinkingBlock).signature).toBe((miss.data.content[0] as Anthropic.ThinkingBlock).signature);
  });

  // Expected: as above, the other way round: a streamed miss's carrier is in the JSON hit.
  // Actual (before): assemble() (plugins/cache/entry.ts) built each call from id, name and arguments only,
  // dropping `extra_content`; the JSON hit is [tool_use] alone.
  it('keeps the carrier when a streamed answer is replayed to a JSON client', async () => {
    const p = params();
    const streamed = await client.messages.stream(p).finalMessage();
    expect(streamed.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);

    const hit = await client.messages.create(p).withResponse();
    expect(hit.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(hit.data.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    expect((hit.data.content[0] as Anthropic.ThinkingBlock).signature).toBe((streamed.content[0] as Anthropic.ThinkingBlock).signature);
  });
});
