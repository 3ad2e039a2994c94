/**
 * POST /v1/responses with a reasoning item whose `encrypted_content` is written to look like the
 * gateway's own carrier (`llm-gateway.reasoning.v1:` and base64url JSON, see
 * plugins/responses/protocol/reasoning.ts) holding 150 000 thinking blocks: a 6.8 MB string, under
 * the 8 MiB string limit and the 10 MB body limit, its array hidden by the base64 from the body's
 * 100 000-element shape check. Before its fix, to-chat-request.ts spread the blocks into one
 * `push` call, which overflowed the stack: the client got a 500 internal error. Now a carrier is
 * bounded like a request body's JSON, as the Anthropic front-end bounds its own carriers: past
 * 100 000 blocks (or tool calls, or call data deeper than 8 levels) it is not one the gateway made,
 * and is ignored like any other that does not read; within the bound its blocks are added one at
 * a time and reach Anthropic.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { claude: { type: 'anthropic', apiKey: 'sk-ant', baseURL: upstream.baseURL, listModels: false } } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const carrier = (blocks: number) => 'llm-gateway.reasoning.v1:' + Buffer.from(JSON.stringify({ thinking: Array.from({ length: blocks }, () => ({ type: 'redacted_thinking', data: 'x' })) })).toString('base64url');

async function send(encrypted: string): Promise<{ status: number; assistant: Array<{ type: string }> | undefined }> {
  const res = await fetch(`${gw.baseURL}/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'claude/claude-sonnet-4-5',
      store: false,
      input: [{ role: 'user', content: 'hi' }, { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: encrypted }, { role: 'assistant', content: 'hello' }, { role: 'user', content: 'go on' }],
    }),
  });
  await res.arrayBuffer();
  const messages = upstream.requests.filter((r) => r.path === '/v1/messages').at(-1)?.body?.messages as Array<{ role: string; content: Array<{ type: string }> }> | undefined;
  return { status: res.status, assistant: messages?.find((message) => message.role === 'assistant')?.content };
}

describe('Responses: a reasoning carrier is bounded, and never a 500', () => {
  it('150 000 carried thinking blocks: the carrier is ignored, the request answered', async () => {
    const { status, assistant } = await send(carrier(150_000));
    expect(status).toBe(200);
    expect(assistant).toEqual([{ type: 'text', text: 'hello' }]);
  }, 30_000);

  it('100 000, at the bound: every block reaches Anthropic, before the text', async () => {
    const { status, assistant } = await send(carrier(100_000));
    expect(status).toBe(200);
    expect(assistant).toHaveLength(100_001);
    expect(assistant?.[0]).toEqual({ type: 'redacted_thinking', data: 'x' });
    expect(assistant?.at(-1)).toEqual({ type: 'text', text: 'hello' });
  }, 30_000);
});
