/**
 * gateway:rate-limits with `learnFromProviders` (its default) takes a deployment out for as long as
 * the provider says, at most an hour: one 429 with `Retry-After: 99999999999`, or a rate-limit reset
 * 99999999 hours away, no longer refuses every request for good. Before its fix, such a value took
 * the deployment out for millennia (the gateway refused every later request itself, without asking
 * the provider, which had long recovered) until the process restarted, or longer with a shared store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rateLimits } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chat, completionBody, startRawUpstream, type RawUpstream } from '../support/raw-upstream.js';

let up: RawUpstream;
let gw: RunningGateway;
const plan: Array<Record<string, string> | 'ok'> = [];

beforeAll(async () => {
  up = await startRawUpstream((_q, s) => {
    const next = plan.shift() ?? 'ok';
    if (next === 'ok') {
      s.writeHead(200, { 'content-type': 'application/json' });
      return void s.end(JSON.stringify(completionBody('recovered')));
    }
    const status = next.status ? Number(next.status) : 429;
    const { status: _drop, ...headers } = next;
    s.writeHead(status, { 'content-type': 'application/json', ...headers });
    s.end(status === 200 ? JSON.stringify(completionBody('last one')) : JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error' } }));
  });
  gw = await startGateway({ providers: { p: { type: 'openai-compatible', baseURL: up.baseURL, apiKey: 'k', listModels: false } }, plugins: [rateLimits()] });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

describe('a provider that says it is exhausted for thousands of years', () => {
  it('a 429 with Retry-After: 99999999999 does not take the deployment out for good', async () => {
    plan.push({ 'retry-after': '99999999999' });
    const first = await chat(gw.baseURL, { model: 'p/a' });
    await first.text();
    expect(first.status).toBe(429);
    const probe = await chat(gw.baseURL, { model: 'p/a' });
    const refusal = (await probe.json()) as { error?: { code?: string; message?: string } };
    console.log('next request:', probe.status, probe.headers.get('retry-after'), refusal.error?.message);
    // Whatever bound the fix picks, 99,999,999,999 s is past it.
    expect(Number(probe.headers.get('retry-after') ?? 0)).toBeLessThanOrEqual(24 * 3600);
  });

  it('a 200 saying requests are spent until a reset 99999999h away does not either', async () => {
    plan.push({ status: '200', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '99999999h' });
    const first = await chat(gw.baseURL, { model: 'p/b' });
    await first.text();
    expect(first.status).toBe(200);
    const probe = await chat(gw.baseURL, { model: 'p/b' });
    await probe.text();
    expect(Number(probe.headers.get('retry-after') ?? 0)).toBeLessThanOrEqual(24 * 3600);
  });
});
