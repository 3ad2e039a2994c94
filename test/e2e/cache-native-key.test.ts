/**
 * The response cache's key on the Anthropic front-end with an Anthropic upstream, which is sent
 * the client's own request: what the OpenAI view leaves out of it (server tools, a thinking budget)
 * and the forwarded `anthropic-beta` header are in the key. Real sockets, a mock upstream.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const chats = (m: MockUpstream) => m.requests.filter((r) => r.path === '/v1/chat/completions' || r.path === '/v1/messages').length;

describe('cache key on the Anthropic front-end (native upstream)', () => {
  let up: MockUpstream;
  let gw: RunningGateway;
  beforeAll(async () => {
    up = await startMockUpstream();
    gw = await startGateway({
      providers: { claude: { type: 'anthropic', apiKey: 'k', baseURL: up.baseURL, listModels: false } },
      plugins: [cache()],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await up?.close();
  });
  beforeEach(() => up.reset());
  const messages = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01', ...headers }, body: JSON.stringify(body) });
    await res.text();
    expect(res.status).toBe(200);
    return res.headers.get('x-gateway-cache');
  };

  // docs/cache.md: the key is "the request as it goes upstream"; "Everything else is in the key
  // ... tools ...". An Anthropic upstream receives the client's native request, whose OpenAI view
  // leaves out server tools (web_search) and maps thinking budgets to three effort levels: keyed
  // on the view alone, a request with web search enabled was answered with the cached answer of
  // the same question asked without it. Expected: a miss.
  it('does not answer a request with a server tool from the entry of one without it', async () => {
    const base = { model: 'claude/claude-test', max_tokens: 50, messages: [{ role: 'user', content: 'What is the weather in Paris today?' }] };
    expect(await messages(base)).toBe('miss');
    expect(await messages({ ...base, tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] })).toBe('miss');
    expect(chats(up)).toBe(2);
  });

  // Same cause: thinking budgets 1024 and 2000 both become reasoning_effort 'low' in the OpenAI
  // view, so the second request gets the first one's answer although the upstream would have been
  // sent a different budget.
  it('does not share an entry between two different thinking budgets', async () => {
    const base = { model: 'claude/claude-test', max_tokens: 5000, messages: [{ role: 'user', content: 'think about it' }] };
    expect(await messages({ ...base, thinking: { type: 'enabled', budget_tokens: 1024 } })).toBe('miss');
    expect(await messages({ ...base, thinking: { type: 'enabled', budget_tokens: 2000 } })).toBe('miss');
    expect(up.requests.map((r) => (r.body?.thinking as { budget_tokens?: number } | undefined)?.budget_tokens)).toEqual([1024, 2000]);
  });

  // The `anthropic-beta` header is forwarded to the upstream (plugins/anthropic/api/messages.ts
  // FORWARDED_HEADERS) and turns on features that change the answer (1M context, interleaved
  // thinking, tools betas): left out of the key, a request with a beta was answered from the
  // entry of one without it, and the beta never reached the provider. Expected: a miss.
  it('keys on the forwarded anthropic-beta header', async () => {
    const base = { model: 'claude/claude-test', max_tokens: 50, messages: [{ role: 'user', content: 'a beta question' }] };
    expect(await messages(base)).toBe('miss');
    expect(await messages(base, { 'anthropic-beta': 'context-1m-2025-08-07' })).toBe('miss');
    expect(up.requests.map((r) => r.headers['anthropic-beta'])).toEqual([undefined, 'context-1m-2025-08-07']);
    // The same request with the same beta is the same entry.
    expect(await messages(base, { 'anthropic-beta': 'context-1m-2025-08-07' })).toBe('hit');
  });
});
