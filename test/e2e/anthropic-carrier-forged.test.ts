/**
 * Before its fix (a review of the carrier thinking blocks, 63f3318): a carrier is client input (a client can write one). Its
 * payload is base64 JSON the gateway decodes and puts on the tool call as `extra_content`, past the
 * body's shape checks (core/http/json-shape.ts: depth ≤ 64, arrays ≤ 10 000), which see one string.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { circuitBreaker } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let guarded: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } } });
  guarded = await startGateway({ providers: { chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } }, plugins: [circuitBreaker({ failureThreshold: 2, cooldownMs: 60_000 })] });
});
afterAll(async () => {
  await gw?.close();
  await guarded?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const PREFIX = 'llm-gateway.tool-call.v1:';
const carrier = (payload: string) => ({ type: 'thinking', thinking: '', signature: PREFIX + Buffer.from(payload, 'utf8').toString('base64url') });

function body(payload: string) {
  return {
    model: 'chat/mock-small',
    max_tokens: 50,
    tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: {} } }],
    messages: [
      { role: 'user', content: 'call get_weather' },
      { role: 'assistant', content: [carrier(payload), { type: 'tool_use', id: 'call_1', name: 'get_weather', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'sunny' }] },
    ],
  };
}

async function post(json: unknown, on: RunningGateway = gw) {
  const response = await fetch(`${on.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'client', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(json) });
  return { status: response.status, body: (await response.json()) as { error?: { type?: string; code?: string } } };
}

describe('a forged carrier', () => {
  // Expected: the gateway refuses JSON nested deeper than its limit with a 400 `too_deep`
  // (core/http/json-shape.ts: "A hostile body (50 000 nested arrays ...) is refused for what it is
  // instead of costing a parse and whatever recursion follows") — the same nesting written in the
  // body is refused so (checked below). A carrier's payload, decoded, should be held to the same rule
  // (or simply dropped: Gemini's data is {google:{thought_signature: string}}).
  // Actual (before): carriedCallData() JSON.parsed the decoded payload with no shape check and put it on the
  // call; serializing the upstream body then overflows the stack (JSON.stringify RangeError) and the
  // client gets a 502 `provider_error` blaming the provider (retryable: true), a fault any client can
  // trigger at will; nothing reaches the upstream.
  it('with a deeply nested payload is refused as a client error, not a 500', async () => {
    const depth = 100_000;
    const deep = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

    // The same nesting in the body itself: a 400.
    const direct = JSON.stringify(body('{"id":"call_1","data":{}}')).replace('"input":{}', `"input":${deep}`);
    expect(direct).toContain(deep);
    const plain = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'client', 'anthropic-version': '2023-06-01' }, body: direct });
    expect(plain.status).toBe(400);

    const answer = await post(body(`{"id":"call_1","data":${deep}}`));
    // Seen: 502 {"type":"api_error","code":"provider_error","provider":"chat","retryable":true}.
    expect(answer.body.error?.type).not.toBe('api_error');
    expect(answer.status).toBeLessThan(500);
  });

  // Expected: one client's malformed input says nothing of the deployment's health; the circuit
  // breaker counts "server errors, timeouts, connection failures" of the upstream
  // (plugins/circuit-breaker/index.ts), and a client error is not one.
  // Actual (before): the forged carrier's failure was reported as a 502 `provider_error` blamed on the provider
  // (core/provider-call.ts asProviderError), classified 'server', so a client can open the circuit of
  // a healthy deployment for every other caller (and, with gateway:retry, make it retry and fall back
  // across all targets) without one byte reaching the upstream.
  it('cannot open the circuit of a healthy deployment for everyone', async () => {
    const depth = 100_000;
    const deep = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    // Each is answered: the carrier that does not pass is left out, as one that does not read is.
    for (let i = 0; i < 2; i++) expect((await post(body(`{"id":"call_1","data":${deep}}`), guarded)).status).toBe(200);

    const innocent = await post({ model: 'chat/mock-small', max_tokens: 20, messages: [{ role: 'user', content: 'hello' }] }, guarded);
    expect(innocent.body.error?.code).not.toBe('circuit_open');
    expect(innocent.status).toBe(200);
  });
});
