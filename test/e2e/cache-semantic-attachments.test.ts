/**
 * The semantic cache and a last user message carrying a part the OpenAI view has no word for (an
 * Anthropic `document` by URL, or from the Files API): such a request is not compared by its view.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { at, startMockEmbeddings, type MockEmbeddings } from '../support/mock-embeddings.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let embeddings: MockEmbeddings;
let gw: RunningGateway;
let client: Anthropic;

beforeAll(async () => {
  upstream = await startMockUpstream();
  embeddings = await startMockEmbeddings();
  gw = await startGateway({
    providers: {
      claude: { type: 'anthropic', apiKey: 'k', baseURL: upstream.baseURL, listModels: false },
      vec: { type: 'openai-compatible', baseURL: embeddings.baseURL, listModels: false },
    },
    plugins: [cache({ semantic: { model: 'vec/embed-small', threshold: 0.95, timeoutMs: 1000 } })],
  });
  client = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await embeddings?.close();
});
beforeEach(() => {
  upstream.reset();
  embeddings.vectors.clear();
});

const messagesCalls = () => upstream.requests.filter((r) => r.path === '/v1/messages').length;

describe('semantic cache and attachments the OpenAI view drops', () => {
  // Promised (docs/cache.md, "The semantic cache"): "A message with images or other non-text parts
  // is not compared." What happens: the Anthropic front-end leaves a `document` with a `url` (or
  // `file`) source out of the OpenAI view (a translation loss, since an Anthropic upstream gets the
  // native request anyway), so textToEmbed (plugins/cache/semantic.ts) sees a text-only message and
  // embeds it; partitionKey (key.ts) removes the native `messages`, where the document is. A
  // question about document B is answered with the cached answer about document A (similarity 1).
  it('does not answer a question about one document with the answer about another', async () => {
    const question = 'Summarize this contract in one sentence.';
    embeddings.vectors.set(question, at(1));
    const ask = (url: string) =>
      client.messages
        .create({
          model: 'claude/claude-test',
          max_tokens: 100,
          messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url } }, { type: 'text', text: question }] }],
        })
        .withResponse();
    const first = await ask('https://example.com/contract-A.pdf');
    expect(first.response.headers.get('x-gateway-cache')).toBe('miss');
    // The upstream got the document: the exact keys differ, as they should.
    expect(JSON.stringify(upstream.requests.at(-1)?.body)).toContain('contract-A.pdf');

    const second = await ask('https://example.com/contract-B.pdf');
    // Before its fix: 'semantic-hit' with x-gateway-cache-similarity 1.0000, and no upstream call.
    expect(second.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(messagesCalls()).toBe(2);
  });
});
