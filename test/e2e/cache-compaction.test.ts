/**
 * Before its fix (a review of the compaction change): gateway:cache with an OpenAI
 * upstream, which compacts natively (the gateway forwards the trigger and answers OpenAI's own
 * compaction item).
 *
 * The cache keeps the chat *view* of the upstream's answer. The view of OpenAI's compaction response
 * holds no text (its one item is an opaque `compaction`), and its finish reason is `stop`, so it is
 * kept as a complete answer. A repeat of the request (Codex retries a failed compaction; identical
 * bodies are common) is a cache hit: the hit carries no native `openai-responses` answer, so the
 * front-end takes the translated branch, `asCompaction` finds no text, and the client gets a 502
 * `compaction_failed` for as long as the entry lives. The entry is shared by
 * `POST /v1/responses/compact` and a `compaction_trigger` sent to `POST /v1/responses` (the key
 * leaves out `stream` and `store`), so one poisons the other.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { openai: { type: 'openai', apiKey: 'sk-openai', baseURL: upstream.baseURL, listModels: false } },
    plugins: [cache()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const usage = { input_tokens: 40, input_tokens_details: { cached_tokens: 0 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 49 };
const openaiCompaction = (n: number) => ({
  body: { id: `resp_openai_${n}`, object: 'response', created_at: 1, status: 'completed', output: [{ type: 'compaction', id: `cmp_openai_${n}`, encrypted_content: `gAAAA-opaque-${n}` }], usage },
});

async function post(path: string, body: Record<string, unknown>): Promise<{ status: number; cache: string | null; json: Record<string, any> }> {
  const res = await fetch(`${gw.baseURL}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, cache: res.headers.get('x-gateway-cache'), json: (await res.json()) as Record<string, any> };
}

describe('an OpenAI compaction with gateway:cache loaded', () => {
  it('answers a repeated compaction_trigger with a compaction item, not a 502 from the cached chat view', async () => {
    // Expected: every `compaction_trigger` request to OpenAI is answered with exactly one compaction
    // item (plugins/responses/protocol/compaction.ts; Codex's compact_remote_v2.rs
    // collect_compaction_output fails the turn on anything else), whether or not the cache answered.
    // Actual: the second, identical request is a cache hit on an entry whose view has no text, and
    // is answered 502 {code: 'compaction_failed'} "The model wrote no summary…".
    upstream.enqueue(openaiCompaction(1), openaiCompaction(2));
    const body = {
      model: 'openai/gpt-mock',
      input: [{ role: 'user', content: 'list the files (trigger)' }, { role: 'assistant', content: 'two files' }, { type: 'compaction_trigger' }],
      store: false,
    };
    const first = await post('/responses', body);
    expect(first.status).toBe(200);
    expect(first.json.output.map((item: { type: string }) => item.type)).toEqual(['compaction']);

    const second = await post('/responses', body);
    expect({ status: second.status, error: second.json.error?.code }).toEqual({ status: 200, error: undefined });
    expect(second.json.output.map((item: { type: string }) => item.type)).toEqual(['compaction']);
  });

  it('answers a repeated POST /v1/responses/compact with OpenAI’s compaction item', async () => {
    // Expected: `{object: 'response.compaction', output: [...user messages, one compaction item]}`
    // (openai-node CompactedResponse) on every call.
    // Actual: the repeat is a cache hit and is answered 502 compaction_failed.
    upstream.enqueue(openaiCompaction(3), openaiCompaction(4));
    const body = { model: 'openai/gpt-mock', input: [{ role: 'user', content: 'list the files (compact)' }, { role: 'assistant', content: 'two files' }] };
    const first = await post('/responses/compact', body);
    expect(first.status).toBe(200);
    expect(first.json.output.at(-1)).toMatchObject({ type: 'compaction', encrypted_content: 'gAAAA-opaque-3' });

    const second = await post('/responses/compact', body);
    expect({ status: second.status, error: second.json.error?.code }).toEqual({ status: 200, error: undefined });
    expect(second.json.object).toBe('response.compaction');
    expect(second.json.output.at(-1)).toMatchObject({ type: 'compaction' });
  });
});
