/**
 * `Retry-After` from an upstream is read as RFC 9110 says (delay-seconds or an HTTP-date) and at
 * most a day: anything else is ignored (no hint to the client, the retry plugin's own backoff), and
 * a huge number stays a number of seconds. Before its fix, any text with a number in it went to
 * V8's `Date.parse`, which takes `soon 5`, `+5`, `10.` or `1 2` for a date in 2001: the client was
 * told `retry-after: 0` and gateway:retry hammered the upstream at once; 400 digits reached the
 * client as `retry-after: Infinity`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retry } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chat, completionBody, startRawUpstream, type RawUpstream } from '../support/raw-upstream.js';

let up: RawUpstream;
let gw: RunningGateway;
let retrying: RunningGateway;
let retryAfter = '';
/** What the upstream answers next, in turn; a 429 once the plan is empty. */
const plan: Array<200 | 429> = [];
const times: number[] = [];

beforeAll(async () => {
  up = await startRawUpstream((_q, s) => {
    times.push(performance.now());
    if (plan.shift() === 200) {
      s.writeHead(200, { 'content-type': 'application/json' });
      return void s.end(JSON.stringify(completionBody()));
    }
    s.writeHead(429, { 'retry-after': retryAfter, 'content-type': 'application/json' });
    s.end(JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error' } }));
  });
  const provider = { type: 'openai-compatible', baseURL: up.baseURL, apiKey: 'k', listModels: false };
  gw = await startGateway({ providers: { p: provider } });
  retrying = await startGateway({ providers: { p: provider }, plugins: [retry({ attempts: 2, backoff: { initialMs: 600, jitter: 'none' } })] });
});
afterAll(async () => {
  await gw?.close();
  await retrying?.close();
  await up?.close();
});

describe('a Retry-After that is not a delay nor a date', () => {
  it.each(['soon 5', '+5', '10.', '1 2'])('%j is not passed on as "retry at once"', async (value) => {
    retryAfter = value;
    const res = await chat(gw.baseURL, { model: 'p/m' });
    await res.text();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeNull();
  });

  it('does not make gateway:retry skip its backoff', async () => {
    retryAfter = 'soon 5';
    times.length = 0;
    plan.push(429, 200); // the first try is refused with the garbage header, the second answered
    const res = await chat(retrying.baseURL, { model: 'p/m' });
    await res.text();
    expect(res.status).toBe(200);
    expect(times).toHaveLength(2);
    // The backoff (600 ms, no jitter) is waited, not the garbage's "0 s".
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(500);
  });
});

describe('a huge Retry-After', () => {
  it('reaches the client as a number of seconds, not "Infinity"', async () => {
    retryAfter = '9'.repeat(400);
    const res = await chat(gw.baseURL, { model: 'p/m' });
    await res.text();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
