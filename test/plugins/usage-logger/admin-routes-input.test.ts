/**
 * The usage log's admin routes (plugins/usage-logger/admin-routes.ts) with bad query parameters and
 * a failing log: a date that is not one is a 400, a database that fails on page 2 a 5xx (not "bad
 * cursor"). Mounted on a real gateway (its error boundary decides the status) over a stand-in log.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { GatewayPlugin } from '../../../core/plugin.js';
import { addUsageRoutes } from '../../../plugins/usage-logger/admin-routes.js';
import { encodeCursor } from '../../../plugins/usage-logger/log/queries.js';
import type { UsageLog } from '../../../plugins/usage-logger/log/usage-log.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';

const closing: Array<() => Promise<unknown>> = [];
const ADMIN_KEY = 'review-state-admin-key-0123456789';
const asAdmin = { headers: { authorization: `Bearer ${ADMIN_KEY}` } };

afterAll(async () => {
  for (const close of closing.reverse()) await close().catch(() => undefined);
});

/** A gateway whose only plugin mounts the usage routes over `log`. */
async function gatewayOver(log: UsageLog): Promise<RunningGateway> {
  const routes: GatewayPlugin = { name: 'review:usage-routes', setup: (host) => addUsageRoutes(host, log) };
  const gw = await startGateway({ server: { adminKey: ADMIN_KEY }, providers: {}, plugins: [routes] });
  closing.push(() => gw.close());
  return gw;
}

describe('admin usage routes: dates that are not dates', () => {
  /*
   * Promised (admin-routes.ts, utcTime/date and docs/keys-and-usage.md): `from`/`to` are ISO dates
   * or date-times, "NaN when it is neither", and then a 400 `from must be a date`.
   * What happens: Date.parse's legacy fallback reads impossible or partial values as some other
   * date, and the query silently runs over a range the operator never asked for: `2026-02-30` is
   * 2026-03-02, `0000-01-01` (ISO's year 0) is 2000-01-01, and `from=5` is 2001-05-01.
   */
  it('an impossible date (February 30th) is refused, not read as March 2nd', async () => {
    const log: UsageLog = {
      write: () => undefined,
      flush: async () => undefined,
      aggregate: async () => [],
      list: async () => ({ records: [], nextCursor: null }),
      prune: async () => 0,
      stats: () => ({ queued: 0, written: 0, failedWrites: 0, dropped: 0 }),
      close: async () => undefined,
    } as unknown as UsageLog;
    const gw = await gatewayOver(log);
    const answers: Record<string, string | number> = {};
    for (const from of ['2026-02-30', '0000-01-01', '5']) {
      const res = await fetch(`${gw.url}/admin/usage?from=${from}&to=2026-12-31`, asAdmin);
      const body = (await res.json()) as { from?: string };
      answers[from] = res.status === 200 ? `200 from ${body.from}` : res.status;
    }
    // The year 0 is one ISO 8601 writes as 0000: read as itself, not as 2000.
    expect(answers).toEqual({ '2026-02-30': 400, '0000-01-01': '200 from 0000-01-01T00:00:00.000Z', '5': 400 });
  });
});

describe('admin logs route: a database that fails during paging', () => {
  /*
   * Promised (docs/reliability.md: errors keep their meaning; admin-routes.ts only means to turn a
   * cursor it cannot decode into a 400: "The cursor is not one this API gave out").
   * What happens: `/admin/logs` turns EVERY failure of the log into that 400 as soon as a cursor is
   * given: with the database down (connection refused), page 2 of a listing answers 400
   * invalid_request "The cursor is not one this API gave out (connect ECONNREFUSED ...)", telling the
   * client its valid cursor is bad (do not retry) instead of a 5xx (retry later); page 1 of the same
   * listing answers 500.
   */
  it('page 2 while the database is down is a server error, not "your cursor is bad"', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const log: UsageLog = {
      write: () => undefined,
      flush: async () => undefined,
      aggregate: async () => {
        throw down;
      },
      list: async () => {
        throw down;
      },
      prune: async () => 0,
      stats: () => ({ queued: 0, written: 0, failedWrites: 0, dropped: 0 }),
      close: async () => undefined,
    } as unknown as UsageLog;
    const gw = await gatewayOver(log);
    const cursor = encodeCursor({ startedAt: new Date('2026-12-05T10:00:00Z'), requestId: '0193a0b4-0000-7000-8000-000000000000' });
    const first = await fetch(`${gw.url}/admin/logs`, asAdmin);
    await first.text();
    const second = await fetch(`${gw.url}/admin/logs?cursor=${cursor}`, asAdmin);
    const body = await second.text();
    expect(first.status).toBeGreaterThanOrEqual(500);
    expect({ status: second.status, body }).toMatchObject({ status: first.status });
  });
});

describe('admin usage routes: a query with more groups than an answer holds', () => {
  /*
   * Groups keyed by client input (keys, teams, models) over minute buckets can number millions over
   * a month; before, every one was read into memory and sent in one body. The route reads one more
   * than it answers (`maxGroups`) and refuses the query when it gets it.
   */
  const logAnswering = (groups: number, asked: Array<number | undefined>): UsageLog =>
    ({
      write: () => undefined,
      flush: async () => undefined,
      aggregate: async (query: { maxGroups?: number }) => {
        asked.push(query.maxGroups);
        return Array.from({ length: Math.min(groups, query.maxGroups ?? Infinity) }, (_, i) => ({ keyId: `key-${i}`, requests: 1 }));
      },
      list: async () => ({ records: [], nextCursor: null }),
      prune: async () => 0,
      stats: () => ({ queued: 0, written: 0, failedWrites: 0, dropped: 0 }),
      close: async () => undefined,
    }) as unknown as UsageLog;

  it('answers 10,000 groups, and refuses 10,001 with a 400 saying how to narrow it', async () => {
    const asked: Array<number | undefined> = [];
    const fits = await gatewayOver(logAnswering(10_000, asked));
    const ok = await fetch(`${fits.url}/admin/usage?groupBy=keyId&bucket=minute`, asAdmin);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { data: unknown[] }).data).toHaveLength(10_000);
    const over = await gatewayOver(logAnswering(2_000_000, asked));
    for (const format of ['json', 'csv']) {
      const res = await fetch(`${over.url}/admin/usage?groupBy=keyId&bucket=minute&format=${format}`, asAdmin);
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { type: string; code: string; message: string } };
      expect(error).toMatchObject({ type: 'invalid_request_error', code: 'too_many_groups' });
      expect(error.message).toMatch(/more than 10,000 groups: narrow from and to/);
    }
    expect(asked).toEqual([10_001, 10_001, 10_001]);
  });
});

describe('admin logs route: bodies', () => {
  /*
   * `bodies=false` leaves the records' bodies out of the page (before: every page read and sent
   * them, up to 16 MB of them in one body); anything but true or false is a 400.
   */
  it('passes bodies=false to the log, and refuses another value', async () => {
    const asked: Array<boolean | undefined> = [];
    const log = {
      write: () => undefined,
      flush: async () => undefined,
      aggregate: async () => [],
      list: async (query: { bodies?: boolean }) => (asked.push(query.bodies), { records: [], nextCursor: null }),
      prune: async () => 0,
      stats: () => ({ queued: 0, written: 0, failedWrites: 0, dropped: 0 }),
      close: async () => undefined,
    } as unknown as UsageLog;
    const gw = await gatewayOver(log);
    expect((await fetch(`${gw.url}/admin/logs?bodies=false`, asAdmin)).status).toBe(200);
    expect((await fetch(`${gw.url}/admin/logs`, asAdmin)).status).toBe(200);
    const refused = await fetch(`${gw.url}/admin/logs?bodies=no`, asAdmin);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { param: string } }).error.param).toBe('bodies');
    expect(asked).toEqual([false, undefined]);
  });
});
