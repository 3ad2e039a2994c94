/**
 * POST /v1/responses with a top-level function `f` and a namespace `ns` of 15 000 functions all
 * named `f` (1 MB, under the 10 MB body limit and the 100 000-element array limit). Each needs a chat
 * name of its own: `ns__f`, `ns__f_2`, ... Before its fix, tools.ts searched for each one's name from
 * `ns__f` again: quadratic, on the event loop every request shares, so this one request held up the
 * whole gateway for seconds (over 10× the time 15 000 distinct names take). Now the search goes on
 * from the last name given: the names are the same (`ns__f_15000` last), found in about the time the
 * request takes anyway. The timings are compared with a wide margin: only the complexity is checked.
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

const N = 15_000;

function body(innerNames: string[]) {
  return {
    model: 'chat/some-model',
    input: 'hi',
    store: false,
    tools: [
      { type: 'function', name: 'f', parameters: { type: 'object' } },
      { type: 'namespace', name: 'ns', description: 'd', tools: innerNames.map((name) => ({ type: 'function', name, parameters: { type: 'object' } })) },
    ],
  };
}

/** How long the request took, and its status (checked after the time: a stalled request can time out). */
async function timed(payload: unknown): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const res = await fetch(`${gw.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  await res.arrayBuffer();
  return { ms: performance.now() - started, status: res.status };
}

describe('Responses namespace tools: chat names found in time linear in the tools', () => {
  it('15 000 namespaced functions all named f cost about what 15 000 distinct ones cost', async () => {
    await timed(body(Array.from({ length: 1000 }, (_, i) => `g${i}`))); // warm up
    const baseline = await timed(body(Array.from({ length: N }, (_, i) => `g${i}`)));
    const attack = await timed(body(Array.from({ length: N }, () => 'f')));
    expect(attack.ms).toBeLessThan(baseline.ms * 3 + 1000);
    expect([baseline.status, attack.status]).toEqual([200, 200]);
    const names = (upstream.requests.at(-1)?.body?.tools as Array<{ function: { name: string } }>).map((tool) => tool.function.name);
    expect(names.slice(0, 4)).toEqual(['f', 'ns__f', 'ns__f_2', 'ns__f_3']);
    expect(names.at(-1)).toBe(`ns__f_${N}`);
    expect(new Set(names).size).toBe(N + 1);
  }, 60_000);
});
