/**
 * A Redis that stops answering must not fail or hang a request because of the cache: the lookup
 * and the write each give up after a bounded wait, the request is answered by the upstream, and
 * the failures are counted.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cache, type CacheStats } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.warn('REDIS_URL is not set: the cache store outage test is skipped; .ci/run sets it.');

/** A TCP proxy to Redis that can be stalled: open connections cut, new ones accepted and never answered. */
async function stallableProxy(target: URL): Promise<{ port: number; stall(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let stalled = false;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (stalled) return;
    const upstream = connect(Number(target.port || 6379), target.hostname);
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stall() {
      stalled = true;
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let upstream: MockUpstream;
let proxy: Awaited<ReturnType<typeof stallableProxy>>;
let gw: RunningGateway;

beforeAll(async () => {
  if (!REDIS_URL) return;
  upstream = await startMockUpstream();
  proxy = await stallableProxy(new URL(REDIS_URL));
  gw = await startGateway({ store: `redis://127.0.0.1:${proxy.port}`, providers: { mock: mockProvider(upstream) }, plugins: [cache({ storeTimeoutMs: 100 })] });
});
afterAll(async () => {
  await gw?.close();
  await proxy?.close();
  await upstream?.close();
});

it.skipIf(!REDIS_URL)('answers from the upstream, in bounded time, while Redis does not answer', async () => {
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'open', maxRetries: 0 });
  const run = Date.now().toString(36);
  await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: `before ${run}` }] });

  proxy.stall();
  for (const text of [`before ${run}`, `during ${run}`]) {
    const started = performance.now();
    const { data, response } = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: text }] }).withResponse();
    expect(data.choices[0]?.message.content).toBe(`echo: ${text}`);
    expect(response.headers.get('x-gateway-cache')).toBe('miss');
    expect(performance.now() - started).toBeLessThan(2000);
  }
  const stats = (await (await fetch(`${gw.baseURL}/cache/stats`)).json()) as CacheStats;
  expect(stats.failures.store).toBeGreaterThanOrEqual(2);
});
