/**
 * POST /v1/responses whose `input` holds 40 000 consecutive `function_call` items (a long agent turn,
 * or a hostile client: 2.8 MB, under the 10 MB body limit and the 100 000-element array limit).
 * Before its fix, to-chat-request.ts merged each call into the open assistant turn by copying the
 * turn's calls with the new one added: quadratic, on the event loop every request shares, so this
 * one request held up the whole gateway for seconds (over 10× the time the same calls take in turns
 * of their own). Now each call is appended in place: the upstream gets one assistant turn with the
 * 40 000 calls, in about the time the request takes anyway. The timings are compared with a wide
 * margin: only the complexity is checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const N = 40_000;

/** How long the request took, and its status (checked after the time: a stalled request can time out). */
async function timed(input: unknown[]): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const res = await fetch(`${gw.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'chat/some-model', store: false, input }) });
  await res.arrayBuffer();
  return { ms: performance.now() - started, status: res.status };
}

describe('Responses input: consecutive function calls merged in time linear in their number', () => {
  it('40 000 function_call items in one turn cost about what 40 000 calls in turns of their own cost', async () => {
    const merged: unknown[] = [{ role: 'user', content: 'hi' }];
    for (let i = 0; i < N; i++) merged.push({ type: 'function_call', call_id: `c${i}`, name: 'f', arguments: '{}' });
    // The same number of items, each call in a turn of its own (a tool result after it): no merging.
    const separate: unknown[] = [{ role: 'user', content: 'hi' }];
    for (let i = 0; i < N / 2; i++) {
      separate.push({ type: 'function_call', call_id: `c${i}`, name: 'f', arguments: '{}' });
      separate.push({ type: 'function_call_output', call_id: `c${i}`, output: 'r' });
    }
    await timed(separate.slice(0, 1000)); // warm up
    const baseline = await timed(separate);
    const attack = await timed(merged);
    expect(attack.ms).toBeLessThan(baseline.ms * 3 + 1000);
    expect([baseline.status, attack.status]).toEqual([200, 200]);
    const messages = upstream.requests.at(-1)?.body?.messages as Array<{ role: string; tool_calls?: unknown[] }>;
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    expect(messages[1]?.tool_calls).toHaveLength(N);
  }, 60_000);
});
