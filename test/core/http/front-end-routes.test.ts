/**
 * Front-end paths are found by one lookup ahead of the router (core/http/front-end-routes.ts). What
 * answers must not change: a path the router matches loosely (trailing slash, other case) still
 * reaches the front-end, and other methods still get a 405. (A plugin's own route on a front-end's
 * path, which once ran instead of it, is refused at start: test/e2e/plugin-route-collisions-refused.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin } from '../../../sdk/plugin.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

const claimsMessages = definePlugin({
  name: 'test-claims-messages',
  setup(host) {
    host.route({ method: 'POST', path: '/v1/messages', handler: (koa) => void (koa.body = { answeredBy: 'plugin route' }) });
  },
});
const routeBeside = definePlugin({
  name: 'test-route-beside',
  setup(host) {
    host.route({ method: 'GET', path: '/v1/chat/completions/help', handler: (koa) => void (koa.body = { answeredBy: 'plugin route' }) });
  },
});

let upstream: MockUpstream;
let gw: RunningGateway;
beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } }, plugins: [routeBeside()] });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const post = (path: string, body: unknown) => fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const chat = { model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] };

describe('front-end routes', () => {
  it('serves the exact path', async () => {
    const res = await post('/v1/chat/completions', chat);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { object: string }).object).toBe('chat.completion');
  });

  it('still serves what the router matches loosely: a trailing slash, another case', async () => {
    for (const path of ['/v1/chat/completions/', '/V1/Chat/Completions']) {
      const res = await post(path, chat);
      expect(res.status, path).toBe(200);
      expect(((await res.json()) as { object: string }).object).toBe('chat.completion');
    }
  });

  it("refuses at start a plugin's own route on a front-end path, which would answer instead of it", async () => {
    await expect(startGateway({ providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } }, plugins: [claimsMessages()] })).rejects.toThrow(
      /POST \/v1\/messages is served already, by plugin "gateway:anthropic"/,
    );
  });

  it("serves a plugin's route beside a front-end path", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions/help`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ answeredBy: 'plugin route' });
  });

  it('answers another method on the path with a 405', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`);
    expect(res.status).toBe(405);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
  });
});
