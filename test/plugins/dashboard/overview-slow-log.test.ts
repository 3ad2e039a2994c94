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
