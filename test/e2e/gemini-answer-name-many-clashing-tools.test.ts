/**
 * A chat completion for a Gemini model before 3 with `response_format` JSON beside 25 000 function
 * tools named `json_response`, `json_response_2`, ... `json_response_25000` (listed in reverse; a
 * 2 MB body, under the 10 MB body limit and the 100 000-element array limit). Before its fix,
 * answer-function.ts looked for a free name for its answer function by searching the list of tools
 * for each candidate: quadratic, on the event loop every request shares, so this one request held
 * up the whole gateway for seconds (over 20× the time 25 000 other tools take). Now the names are
 * looked up in a Set: the answer function is `json_response_25001`, found in about the time the
 * request takes anyway. The timings are compared with a wide margin: only the complexity is checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';

let gemini: MockGemini;
let gw: RunningGateway;

beforeAll(async () => {
  gemini = await startMockGemini();
  gw = await startGateway({ providers: { gem: mockGeminiProvider(gemini) } });
});
afterAll(async () => {
  await gw?.close();
  await gemini?.close();
});

const N = 25_000;

function body(names: string[]) {
  return {
    model: 'gem/gemini-mock-flash',
    response_format: { type: 'json_object' },
    messages: [{ role: 'user', content: 'hi' }],
    tools: names.map((name) => ({ type: 'function', function: { name, parameters: { type: 'object' } } })),
  };
}

/** How long the request took, and its status (checked after the time: a stalled request can time out). */
async function timed(payload: unknown): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  await res.arrayBuffer();
  return { ms: performance.now() - started, status: res.status };
}

describe('Gemini answer function: its name found in time linear in the tools', () => {
  it('25 000 tools named json_response_N cost about what 25 000 other tools cost', async () => {
    const clashing = ['json_response'];
    for (let k = 2; k <= N; k++) clashing.push(`json_response_${k}`);
    clashing.reverse();
    const plain = clashing.map((_, i) => `tool_number_${i}`);
    await timed(body(plain.slice(0, 1000))); // warm up
    const baseline = await timed(body(plain));
    const attack = await timed(body(clashing));
    expect(attack.ms).toBeLessThan(baseline.ms * 3 + 1000);
    expect([baseline.status, attack.status]).toEqual([200, 200]);
    const declared = (gemini.requests.at(-1)?.body?.tools as Array<{ functionDeclarations?: Array<{ name: string }> }>)[0]?.functionDeclarations;
    expect(declared?.at(-1)?.name).toBe(`json_response_${N + 1}`);
  }, 60_000);
});
