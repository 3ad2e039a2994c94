/**
 * State keyed by what clients send stays bounded. 20,000 requests each naming a different
 * `provider/model` (which an OpenAI-compatible host may well answer), through routing, retry,
 * circuit breaker, rate limits and the token counter: the provider's health lists the configured
 * deployments and at most the capped LRU of others, and the heap does not grow with the names.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { UNCONFIGURED_DEPLOYMENTS_CAP, circuitBreaker, rateLimits, retry, routing, tokenCounter } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let upstream: MockUpstream;
let gw: RunningGateway;
const dispatcher = new Agent({ connections: 16 });

beforeAll(async () => {
  // Not recording: the mock would otherwise keep every request it saw, growing the heap measured here.
  upstream = await startMockUpstream({ record: false });
  gw = await startGateway({
    providers: { openai: mockProvider(upstream) },
    models: { fast: { targets: ['openai/mock-small', 'openai/mock-large'], strategy: 'round-robin' } },
    plugins: [routing(), retry(), circuitBreaker(), rateLimits(), tokenCounter()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await dispatcher.close();
});

async function send(model: string): Promise<void> {
  const res = await request(`${gw.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    dispatcher,
  });
  expect(res.statusCode).toBe(200);
  await res.body.arrayBuffer();
}

async function sendMany(from: number, to: number): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) await send(`openai/gpt-4o-mini-v${next++}`);
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

const heapAfterGc = async () => {
  await new Promise((r) => setImmediate(r));
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

it('keeps configured deployments and an LRU of 1,000 others, however many models clients name; the heap stays flat', async () => {
  await send('fast');
  await send('fast');
  await sendMany(0, 3_000);
  const early = await heapAfterGc();
  await sendMany(3_000, 20_000);
  const late = await heapAfterGc();

  const health = (await (await fetch(`${gw.baseURL}/providers/openai/health`)).json()) as { deployments: Array<{ deployment: string }>; breaker: unknown[] };
  const deployments = health.deployments.map((d) => d.deployment);
  expect(deployments).toContain('openai/mock-small');
  expect(deployments).toContain('openai/mock-large');
  // Two configured, plus the most recent others up to the cap.
  expect(deployments).toHaveLength(2 + UNCONFIGURED_DEPLOYMENTS_CAP);
  expect(deployments).toContain('openai/gpt-4o-mini-v19999');
  expect(deployments).not.toContain('openai/gpt-4o-mini-v0');
  expect(health.breaker.length).toBeLessThanOrEqual(2 + UNCONFIGURED_DEPLOYMENTS_CAP);
  // 17,000 more names than at the first measure: without bounds each keeps a health entry, a
  // circuit, a limiter and their keys (several kB a name, tens of MB in all).
  expect(late - early).toBeLessThan(8 * 1024 * 1024);
}, 900_000);
