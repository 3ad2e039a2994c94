/**
 * A host that writes its reasoning as `reasoning` and names DeepSeek's field with a null
 * (`"reasoning_content": null`, the way DeepSeek's stream writes it on chunks that carry no
 * reasoning). In the gateway's own type (core/protocol/openai.ts:21
 * `reasoning_content?: string | null`) null is "none".
 *
 * NOT verified against a named host: this test states the gateway's own contract (null = absent);
 * a host or proxy that serialises every known key (null included) next to `reasoning` would hit it.
 *
 * Before its fix (plugins/openai/host-reasoning.ts filled `reasoning_content` from `reasoning` only
 * where it was `undefined`) a null hid the host's reasoning: an Anthropic client got no thinking
 * block. Now `reasoningTextOf` reads `reasoning` wherever `reasoning_content` is empty or null.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, completion, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { host: mockProvider(upstream) } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const THOUGHT = 'The user greets me; I greet back.';

describe('`reasoning` beside `reasoning_content: null`', () => {
  it('an Anthropic client gets a thinking block (whole answer)', async () => {
    const body = completion({ content: 'Hello!' }) as { choices: Array<{ message: Record<string, unknown> }> };
    body.choices[0]!.message.reasoning = THOUGHT;
    body.choices[0]!.message.reasoning_content = null;
    upstream.enqueue({ body });
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
    const message = await client.messages.create({ model: 'host/some-thinker', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'text']);
  });

  it('an Anthropic client gets a thinking block (stream)', async () => {
    upstream.enqueue({
      stream: {
        chunks: [
          chunk({ role: 'assistant', content: '', reasoning: THOUGHT, reasoning_content: null }),
          chunk({ content: 'Hello!', reasoning: null, reasoning_content: null }),
          chunk({}, 'stop'),
        ],
      },
    });
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
    const message = await client.messages.stream({ model: 'host/some-thinker', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    expect((message.content[0] as Anthropic.ThinkingBlock).thinking).toBe(THOUGHT);
  });
});
