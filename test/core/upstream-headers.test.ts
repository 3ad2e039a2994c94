/**
 * `UpstreamCall.headers`: an upstream interceptor adds headers to one try (a trace's
 * `traceparent`), each try its own; the request id stays the gateway's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, retry } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

const tagTries = definePlugin({
  name: 'test:tag-tries',
  order: 'post',
  setup() {
    let n = 0;
    return { upstream: (next) => (call) => next({ ...call, headers: { ...call.headers, 'x-try': String(++n), 'x-request-id': 'forged' } }) };
  },
});

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [retry({ attempts: 2, backoff: { initialMs: 1, jitter: 'none' } }), tagTries()] });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('UpstreamCall.headers', () => {
  it('reach the upstream on each try, and cannot replace the request id', async () => {
    upstream.enqueue({ status: 500, body: { error: { message: 'once' } } });
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-1' },
      body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    expect(upstream.requests.map((r) => [r.headers['x-try'], r.headers['x-request-id']])).toEqual([
      ['1', 'req-1'],
      ['2', 'req-1'],
    ]);
  });
});
