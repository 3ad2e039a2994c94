/**
 * The Overview over a usage log slow to answer (a month of a large SQLite log: seconds a query).
 *
 * Before: its figures were shared for a few seconds from when they were asked, so a tab refreshing
 * while they were still being computed began them again (three queries each time, piling up
 * behind one another), and a query that failed (the log's bound on a query's time) failed the
 * whole page.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dashboard, definePlugin } from '../../../index.js';
import { GatewayError } from '../../../core/errors.js';
import { usageLogService } from '../../../plugins/usage-logger/index.js';
import type { UsageLog } from '../../../plugins/usage-logger/log/usage-log.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';

const ADMIN_KEY = 'admin-key-of-the-slow-log-tests';
let gw: RunningGateway;
let asked = 0;
let answer: () => Promise<never[]> = async () => [];

const slowLog = definePlugin({
  name: 'test:slow-usage-log',
  setup(host) {
    const log = {
      write: () => undefined,
      flush: async () => undefined,
      aggregate: () => (asked++, answer()),
      list: async () => ({ records: [], nextCursor: null }),
      prune: async () => 0,
      stats: () => ({ queued: 0, written: 0, failedWrites: 0, dropped: 0 }),
      close: async () => undefined,
    } as unknown as UsageLog;
    host.provide(usageLogService, log);
  },
});

beforeAll(async () => {
  // A refresh each second: figures are shared for half a second after they are in.
  gw = await startGateway({ providers: {}, plugins: [slowLog(), dashboard({ adminKey: ADMIN_KEY, refreshSeconds: 1 })] });
});
afterAll(() => gw?.close());

const overview = (range: string) => fetch(`${gw.url}/dashboard/overview/body?range=${range}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });

it('shares figures still being computed with every refresh that asks meanwhile', async () => {
  answer = () => new Promise((resolve) => setTimeout(() => resolve([]), 1_500));
  asked = 0;
  const first = overview('30d');
  await new Promise((r) => setTimeout(r, 800)); // past the half second figures are shared for
  const second = overview('30d');
  const [a, b] = await Promise.all([first, second]);
  expect([a.status, b.status]).toEqual([200, 200]);
  // One computation: three queries. Before: six, the second three begun while the first ran.
  expect(asked).toBe(3);
});

it("says on the page that the log did not answer for the range, and why, and shows the rest", async () => {
  answer = () => Promise.reject(new GatewayError('unavailable', "The usage log's query ran past 30 s and was stopped: ask for a shorter range.", { code: 'usage_query_timeout' }));
  const res = await overview('24h');
  expect(res.status).toBe(200);
  const html = await res.text();
  expect(html).toContain("The usage log did not answer for the last day: The usage log&#39;s query ran past 30 s and was stopped");
  expect(html).toContain('id="overview"'); // still refreshing
});

// Before (a review of the Overview at scale): figures were shared for min(5 s, refresh / 2) after
// they were in, so one open tab recomputed a 3 s range every 10 s refresh (a third of a core on a
// log of 300,000 rows); and every provider and model pair was listed (1,200 rows, 245 KB a refresh).
it('shares figures that took seconds for a refresh and twice their cost', async () => {
  answer = () => new Promise((resolve) => setTimeout(() => resolve([]), 1_200));
  asked = 0;
  expect((await overview('1h')).status).toBe(200);
  await new Promise((r) => setTimeout(r, 1_500)); // past the half second quick figures are shared for
  expect((await overview('1h')).status).toBe(200);
  expect(asked).toBe(3);
});

it('lists the busiest provider and model pairs, and says the CSV has the rest', async () => {
  const pair = (i: number) => ({ provider: `p${i}`, model: `m${i}`, requests: 1000 - i, errors: 0, cacheHits: 0, promptTokens: 1, completionTokens: 1, cachedTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0, costUsd: 0, unpricedRequests: 0, avgLatencyMs: 1, avgTtftMs: null, p50LatencyMs: 1, p95LatencyMs: 1, p50TtftMs: null, p95TtftMs: null });
  const queries: Array<{ groupBy?: string[]; maxGroups?: number }> = [];
  answer = () => Promise.resolve([]) as never;
  const log = gw.gateway.tryResolve(usageLogService)!;
  const aggregate = log.aggregate;
  log.aggregate = ((query: { groupBy?: string[]; maxGroups?: number; bucket?: string }) => {
    queries.push(query);
    // A log of 1,200 pairs: the totals, no series, and as many pairs as asked for.
    return Promise.resolve(query.groupBy ? Array.from({ length: Math.min(query.maxGroups ?? 1_200, 1_200) }, (_, i) => pair(i)) : query.bucket ? [] : [pair(0)]);
  }) as never;
  try {
    const html = await (await overview('24h')).text();
    expect(queries.find((q) => q.groupBy)?.maxGroups).toBe(101);
    expect(html.match(/<tr><td>p\d+<\/td>/g)).toHaveLength(100);
    expect(html).toContain('The 100 pairs with the most requests; the CSV below has every one.');
  } finally {
    log.aggregate = aggregate;
  }
});
