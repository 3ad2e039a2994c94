/** CORS for browser apps: preflights answered before the key check, only configured origins. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { auth } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let closed: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ server: { corsOrigins: ['https://app.example.com'] }, providers: { mock: mockProvider(upstream) }, plugins: [auth({ adminKey: 'cors-admin-key-0123456789' })] });
  closed = await startGateway({ providers: { mock: mockProvider(upstream) } });
});
afterAll(async () => {
  await gw?.close();
  await closed?.close();
  await upstream?.close();
});

const preflight = (base: string, origin: string) =>
  fetch(`${base}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-stainless-os' } });

it('answers a preflight from an allowed origin, before any key is asked for', async () => {
  const res = await preflight(gw.url, 'https://app.example.com');
  expect(res.status).toBe(204);
  expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
  expect(res.headers.get('access-control-allow-headers')).toContain('x-stainless-os');
});

it('gives other origins no CORS headers, and exposes the gateway headers to allowed ones', async () => {
  expect((await preflight(gw.url, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { origin: 'https://app.example.com', 'content-type': 'application/json' }, body: '{}' });
  expect(res.status).toBe(401);
  expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  expect(res.headers.get('access-control-expose-headers')).toContain('x-gateway-provider');
});

it('sends no CORS headers unless origins are configured', async () => {
  const res = await preflight(closed.url, 'https://app.example.com');
  expect(res.headers.get('access-control-allow-origin')).toBeNull();
});
