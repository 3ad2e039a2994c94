/**
 * `openai.embeddings.create` routed to a `gemini` provider, with the usage logger.
 *
 * Before its fix, what the user saw: the usage record of a Gemini embeddings request says `tokensEstimated: false`
 * (as if Gemini had reported the counts), but Gemini's `batchEmbedContents` reports no token counts
 * at all (https://ai.google.dev/api/embeddings: `BatchEmbedContentsResponse` holds only
 * `embeddings[]`; the mock answers the same) and the adapter makes them up as characters / 4
 * (plugins/gemini/gemini.ts `embeddings`, "Gemini reports no token counts for embeddings ... it is
 * an estimate"). The dashboard, /admin/usage and the costs built on them present a guess as the
 * provider's own figures, with nothing to tell them apart.
 *
 * Right behaviour (docs/keys-and-usage.md, "When the provider reports usage, that is what is
 * recorded; otherwise the counted tokens are, flagged `tokensEstimated`"): the record is flagged
 * `tokensEstimated: true` (the client may still get the estimate in `usage`, which OpenAI clients expect).
 * An OpenAI-format host that does report usage stays `tokensEstimated: false` (checked here too).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { usageLogger } from '../../index.js';
import { startMockGemini, type MockGemini } from '../../sdk/testing/mock-gemini.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

let gemini: MockGemini;
let upstream: MockUpstream;
let gw: RunningGateway;
let openai: OpenAI;

beforeAll(async () => {
  gemini = await startMockGemini();
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { gem: { type: 'gemini', baseURL: gemini.baseURL, apiKey: 'g-key', listModels: false }, oai: mockProvider(upstream) },
    plugins: [usageLogger({ url: 'sqlite::memory:' })],
  });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await gemini?.close();
  await upstream?.close();
});

it('flags the made-up token counts of a Gemini embeddings request as estimated in its usage record', async () => {
  const { data, response } = await openai.embeddings.create({ model: 'gem/gemini-embedding-001', input: ['hello world', 'second text'] }).withResponse();
  expect(data.data).toHaveLength(2);
  // Nothing in Gemini's answer says how many tokens these were.
  const answer = gemini.requests.find((r) => r.path.includes(':batchEmbedContents'));
  expect(answer).toBeDefined();
  const record = await usageRecordOf(gw, response.headers.get('x-request-id')!);
  expect(record.endpoint).toBe('embeddings');
  expect(record.promptTokens).toBeGreaterThan(0);
  expect(record.tokensEstimated).toBe(true);

  // The control: an OpenAI-format host reports its usage, which is recorded as it is.
  const reported = await openai.embeddings.create({ model: 'oai/text-embedding-3-small', input: 'hello' }).withResponse();
  const exact = await usageRecordOf(gw, reported.response.headers.get('x-request-id')!);
  expect(exact.tokensEstimated).toBe(false);
});
