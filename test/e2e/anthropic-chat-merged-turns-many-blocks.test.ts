/**
 * POST /v1/chat/completions for an Anthropic model with two assistant messages in a row, the second
 * holding 100 000 content parts and 100 000 `thinking_blocks` (6.6 MB; each array at the body's
 * 100 000-element limit). Anthropic wants turns to alternate, so from-openai-request.ts merges
 * consecutive turns of one role. Before its fix, it spread the second turn's 200 000 blocks into one
 * `push` call, which overflowed the stack: the RangeError reached the client as a retryable 502
 * `provider_error`, blamed on the provider, and gateway:circuit-breaker counted it as the
 * deployment's failure, so two such requests opened the circuit and every other client got 503
 * `circuit_open`. Now the blocks are appended one at a time: the request goes up as one assistant
 * turn, and the circuit stays closed for everyone.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { circuitBreaker } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

const claude = () => ({ type: 'anthropic' as const, apiKey: 'sk-ant', baseURL: upstream.baseURL, listModels: false });

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { claude: claude() }, plugins: [circuitBreaker({ failureThreshold: 2, cooldownMs: 60_000 })] });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const N = 100_000;
const merged = {
  model: 'claude/claude-sonnet-4-5',
  max_tokens: 5,
  messages: [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'a' },
    { role: 'assistant', content: Array.from({ length: N }, () => ({ type: 'text', text: 'b' })), thinking_blocks: Array.from({ length: N }, () => ({ type: 'redacted_thinking', data: 'x' })) },
    { role: 'user', content: 'go on' },
  ],
};

const post = (body: unknown) => fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('chat → Anthropic: merging consecutive turns of 200 000 blocks', () => {
  it('goes up as one assistant turn, and does not open the circuit for other clients', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await post(merged);
      await res.arrayBuffer();
      expect(res.status).toBe(200);
    }
    const messages = upstream.requests.filter((r) => r.path === '/v1/messages').at(-1)?.body?.messages as Array<{ role: string; content: unknown[] }>;
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[1]?.content).toHaveLength(1 + 2 * N);

    const innocent = await post({ model: 'claude/claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    await innocent.arrayBuffer();
    expect(innocent.status).toBe(200);
  }, 30_000);
});
