/**
 * Label values let go when idle, against the rest of the metrics plugin.
 *
 * Before their fixes (a review of the fifty-ninth session's last changes):
 * - the scraped gauges (circuit state, rate-limit headroom) marked every deployment ever tried as
 *   seen at each scrape, so a model nobody asked for any more never went idle and kept its place
 *   under `maxLabelValues`: later models were `other` for good. Gauges now show only what labels
 *   hold, without keeping it (`BoundedLabel.held`), and the headroom gauge lets go of the rest;
 * - the in-flight gauges: a front-end value let go while a request that counted it was in flight
 *   had its series removed, and the request's `dec` made a new series at -1. Front-ends (code, not
 *   input) are no longer let go for idleness.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { circuitBreaker, metrics, rateLimits } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { completion, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const CAP = 2;
const IDLE_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let upstream: MockUpstream;
let gw: RunningGateway | undefined;

beforeAll(async () => {
  upstream = await startMockUpstream();
});
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  upstream.reset();
});
afterAll(async () => {
  await upstream?.close();
});

async function chat(model: string): Promise<number> {
  const res = await fetch(`${gw!.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}
const scrape = async () => (await fetch(`${gw!.url}/metrics`)).text();
const requestLines = (text: string) => text.split('\n').filter((line) => line.startsWith('llm_gateway_requests_total{'));

describe.each([
  ['circuitBreaker', () => circuitBreaker()],
  ['rateLimits', () => rateLimits()],
])('with %s loaded, models nobody asks for any more', (_name, plugin) => {
  it('let go of their places: a model asked later gets its own label', async () => {
    gw = await startGateway({
      providers: { base: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
      plugins: [plugin(), metrics({ maxLabelValues: CAP, labelIdleMs: IDLE_MS, processMetrics: false })],
    });
    expect(await chat('base/old-1')).toBe(200);
    expect(await chat('base/old-2')).toBe(200);
    // Prometheus scrapes far more often than the idle time (15 s against an hour): every 100 ms here.
    for (let waited = 0; waited < 3 * IDLE_MS; waited += 100) {
      await scrape();
      await sleep(100);
    }
    expect(await chat('base/new-model')).toBe(200);
    const lines = requestLines(await scrape());
    expect(lines.filter((line) => line.includes('model="new-model"')), 'series of the model asked after the others went idle').toHaveLength(1);
  });
});

describe('a request in flight while its front-end label goes idle', () => {
  it('leaves the in-flight gauge at 0, not -1', async () => {
    gw = await startGateway({
      providers: { base: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
      plugins: [metrics({ maxLabelValues: CAP, labelIdleMs: IDLE_MS, processMetrics: false })],
    });
    upstream.enqueue({ delayMs: IDLE_MS * 3, body: completion({ model: 'slow' }) });
    const onItsWay = chat('base/slow');
    await sleep(IDLE_MS + 200);
    await scrape(); // its front-end, seen only at its start, is idle now
    expect(await onItsWay).toBe(200);
    const inFlight = (await scrape()).split('\n').filter((line) => line.startsWith('llm_gateway_in_flight_requests{'));
    expect(inFlight.filter((line) => / -\d/.test(line)), 'in-flight series below zero').toEqual([]);
  });
});
