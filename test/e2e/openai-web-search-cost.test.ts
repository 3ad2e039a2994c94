/**
 * OpenAI's hosted tools in the Responses API are billed per call on top of their tokens. The
 * gateway passes a Responses request to OpenAI natively (plugins/openai/responses.ts), so the
 * searches run and OpenAI bills them; the key's spend and the usage log must include them, as they
 * do for Anthropic's web searches (test/e2e/anthropic-web-search-cost.test.ts).
 *
 * OpenAI's web search guide (as quoted on community.openai.com/t/1365861): "A web_search_call output
 * item with the ID of the search call, along with the action taken in web_search_call.action. ...
 * search, which represents a web search. ... Search actions incur a tool call cost (see pricing)."
 * Pricing page (as quoted on community.openai.com/t/1363698): "Web search (all models): $10 / 1k
 * calls + search content tokens billed at model rates".
 * Before its fix the key paid $0.004 for $0.034. Now the Response's `web_search_call` items are counted
 * into the usage (plugins/responses/protocol/to-chat-response.ts) and billed at `webSearchPer1k`.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, cost, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { keySpend } from '../support/key-spend.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { responsesObject, responsesSseEvent } from '../../sdk/testing/responses-wire.js';

const ADMIN = 'openai-cost-admin-key-0123456789';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { openai: { type: 'openai', apiKey: 'sk-upstream', baseURL: upstream.baseURL, listModels: false } },
    plugins: [auth({ adminKey: ADMIN }), cost(), usageLogger()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());
const { createKey, spentUsd } = keySpend(() => gw.url, ADMIN);

const search = (index: number, query: string) => ({ id: `ws_mock_${index}`, type: 'web_search_call', status: 'completed', action: { type: 'search', query } });

/** A Response that ran three web searches, then answered: 1 000 input and 100 output tokens on gpt-5.4. */
function searchedResponse(): Record<string, unknown> {
  const base = responsesObject([{ text: 'It is sunny in Paris.' }], { model: 'gpt-5.4', usage: { input_tokens: 1_000, output_tokens: 100 } });
  return { ...base, tools: [{ type: 'web_search' }], output: [search(0, 'paris weather'), search(1, 'paris forecast'), search(2, 'meteo paris'), ...(base.output as unknown[])] };
}

// Tokens: 1 000 × $2.50 + 100 × $15 per million = $0.004; searches: 3 × $0.01 = $0.03.
const EXPECTED = 0.034;

describe('OpenAI hosted web searches (Responses API) are billed', () => {
  it('whole response: the key pays for the web_search_call items', async () => {
    const key = await createKey();
    upstream.enqueue({ body: searchedResponse() });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    const answer = await client.responses.create({ model: 'openai/gpt-5.4', tools: [{ type: 'web_search' }], max_output_tokens: 1_000, input: 'Weather in Paris?' });
    expect(answer.output.filter((item) => item.type === 'web_search_call')).toHaveLength(3);
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(EXPECTED, 6);
  });

  it('streamed response: the key pays for the web_search_call items', async () => {
    const key = await createKey();
    const final = searchedResponse();
    const shell = { ...final, status: 'in_progress', output: [], usage: null };
    let n = 0;
    const events = [
      responsesSseEvent({ type: 'response.created', response: shell, sequence_number: n++ }),
      ...[0, 1, 2].flatMap((i) => [
        responsesSseEvent({ type: 'response.output_item.added', output_index: i, item: { ...search(i, 'q'), status: 'in_progress' }, sequence_number: n++ }),
        responsesSseEvent({ type: 'response.web_search_call.completed', output_index: i, item_id: `ws_mock_${i}`, sequence_number: n++ }),
        responsesSseEvent({ type: 'response.output_item.done', output_index: i, item: search(i, 'q'), sequence_number: n++ }),
      ]),
      responsesSseEvent({ type: 'response.output_item.added', output_index: 3, item: { id: 'msg_mock_3', type: 'message', status: 'in_progress', role: 'assistant', content: [] }, sequence_number: n++ }),
      responsesSseEvent({ type: 'response.output_text.delta', item_id: 'msg_mock_3', output_index: 3, content_index: 0, delta: 'It is sunny in Paris.', logprobs: [], sequence_number: n++ }),
      responsesSseEvent({ type: 'response.output_item.done', output_index: 3, item: (final.output as unknown[])[3], sequence_number: n++ }),
      responsesSseEvent({ type: 'response.completed', response: final, sequence_number: n++ }),
    ];
    upstream.enqueue({ stream: { chunks: events, done: false } });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    const stream = await client.responses.create({ model: 'openai/gpt-5.4', tools: [{ type: 'web_search' }], max_output_tokens: 1_000, input: 'Weather in Paris?', stream: true });
    for await (const _ of stream) void _;
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(EXPECTED, 6);
  });
});
