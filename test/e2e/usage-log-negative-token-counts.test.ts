/**
 * The usage log's counts are what the request was billed for: an upstream's negative token count
 * is stored as 0, as gateway:cost bills it.
 *
 * Before its fix: an upstream reporting `completion_tokens: -1000000` was billed for 0 completion
 * tokens, but its record stored -1,000,000, and `/admin/usage` summed it: the key's and the
 * provider's totals dropped by a million (below zero here), so the log no longer matched what was
 * billed. Counts are now whole numbers from 0 to PostgreSQL's `integer` range
 * (plugins/usage-logger/log/rows.ts `whole`).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { usageLogger, usageLogService } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { completion, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [usageLogger({ url: 'sqlite::memory:' })] });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

it("never stores a negative token count, so /admin/usage's totals cannot go below what was billed", async () => {
  upstream.enqueue({ body: completion({ usage: { prompt_tokens: 10, completion_tokens: -1_000_000, total_tokens: -999_990 } }) });
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  const id = res.headers.get('x-request-id')!;
  const log = gw.gateway.tryResolve(usageLogService)!;
  await log.flush();
  const [record] = (await log.list({ requestId: id })).records;
  // What /admin/usage answers (the route needs an admin key; the same aggregate, asked of the log).
  const usage = await log.aggregate({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000), groupBy: ['provider'] });
  expect({ recorded: record?.completionTokens, total: usage.find((row) => row.provider === 'mock')?.completionTokens }).toEqual({ recorded: 0, total: 0 });
}, 30_000);
