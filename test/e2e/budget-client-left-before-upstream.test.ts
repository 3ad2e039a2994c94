/**
 * Money: a client that leaves before the first upstream try leaves no budget reservation behind.
 *
 * Before its fix: the client's leaving announced `request:end` at once, and auth settled then,
 * finding no reservation; but the request pipeline went on (the step that was running finished and
 * called `next()`), and auth's `reserveBudget` reserved the request's dearest outcome without
 * looking at `ctx.signal`. Nothing released it: a $0.25 daily budget showed $0.20 spent for a
 * request that reached no provider, and the key's next request was refused 402. On Redis the step
 * still running when a client leaves is typically a bounded store read. A reservation is now
 * refused once the request was aborted (plugins/auth/index.ts `reservationFor`).
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, cost, definePlugin } from '../../index.js';
import { countAbortControllers } from '../support/abort-controllers.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'client-left-admin-key-0123456789';
const PRICES = { 'mock/mock-small': { input: 1000, output: 2000 } };

/** A step before the upstream that is still running when the client leaves (deterministic: it waits for the leave). */
let reached: () => void = () => undefined;
let stepDone: Promise<void> = Promise.resolve();
const slowStep = definePlugin({
  name: 'test:slow-step',
  setup: () => ({
    async middleware(ctx, next) {
      if (ctx.http?.get('x-test-slow') !== '1') return next();
      let done: () => void = () => undefined;
      stepDone = new Promise((resolve) => (done = resolve));
      try {
        await new Promise<void>((resolve) => {
          ctx.signal.addEventListener('abort', () => resolve(), { once: true });
          reached();
        });
        await next();
      } finally {
        done();
      }
    },
  }),
});

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
    plugins: [auth({ adminKey: ADMIN }), cost({ prices: PRICES }), slowStep()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('a client that leaves before the first try', () => {
  it('is charged nothing, and its reservation does not stay in the budget', async () => {
    const created = await fetch(`${gw.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'leaver', budget: { dailyUsd: 0.25 } }),
    });
    expect(created.status).toBe(201);
    const { id, secret } = (await created.json()) as { id: string; secret: string };
    const body = JSON.stringify({ model: 'mock/mock-small', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };

    // The client sends its request and leaves while a step before the upstream is still running.
    const leaving = new AbortController();
    const atStep = new Promise<void>((resolve) => (reached = resolve));
    const sent = fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { ...headers, 'x-test-slow': '1' }, body, signal: leaving.signal }).catch(() => undefined);
    await atStep;
    leaving.abort();
    await sent;
    await stepDone; // the pipeline has gone on past the step: whatever it reserved, it has

    const spent = async () => ((await (await fetch(`${gw.url}/admin/keys/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { usage: { spentUsd: { daily: number } } }).usage.spentUsd.daily;
    const spentAfterLeaving = await spent();
    const upstreamCallsOfTheLeaver = upstream.requests.length;
    // The key's next request (at most $0.20 + its prompt) fits a $0.25 budget of which nothing was spent.
    const next = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers, body });
    expect({ upstreamCallsOfTheLeaver, spentAfterLeaving, nextStatus: next.status }).toEqual({ upstreamCallsOfTheLeaver: 0, spentAfterLeaving: 0, nextStatus: 200 });
  });

  it('is looked for without making a budgeted request an AbortSignal (16 thousand instructions a request)', async () => {
    const created = await fetch(`${gw.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'stayer', budget: { dailyUsd: 10 } }),
    });
    const { secret } = (await created.json()) as { secret: string };
    const made = countAbortControllers();
    try {
      // undici's request, not fetch: fetch makes an AbortController of its own.
      const res = await request(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/mock-small', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.statusCode).toBe(200);
      await res.body.arrayBuffer();
      expect(made.count).toBe(0);
    } finally {
      made.restore();
    }
  });
});
