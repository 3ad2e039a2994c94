/**
 * The behaviour every usage-log backend must share, run once per backend by its own test file:
 * round trips, batching, pagination, filters, aggregates, pruning and the queue bound.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatchOptions } from '../../../../plugins/usage-logger/log/batcher.js';
import type { UsageRecord } from '../../../../plugins/usage-logger/log/record.js';
import type { SqlUsageLog } from '../../../../plugins/usage-logger/log/sql-usage-log.js';
import type { UsageAggregate } from '../../../../plugins/usage-logger/log/usage-log.js';
import { DAY, DAY1, HOUR, priced, usageRecord } from './records.js';

export interface UsageLogHarness {
  /** False skips the suite (the backend's test file says why). */
  enabled: boolean;
  /** A fresh, empty, migrated log. */
  open(batch?: BatchOptions): Promise<SqlUsageLog>;
  /** Counts the INSERT statements into the usage table, and the transactions (BEGIN) they ran in. */
  countInserts(): { count(): number; transactions(): number; restore(): void };
  /** Most rows one INSERT of this backend takes (ROWS_PER_SLICE on SQLite, more on PostgreSQL). */
  rowsPerSlice: number;
}

export function usageLogSuite(name: string, harness: UsageLogHarness): void {
  describe.skipIf(!harness.enabled)(`${name} usage log`, () => {
    const opened: SqlUsageLog[] = [];
    const open = async (batch?: BatchOptions) => {
      const log = await harness.open(batch);
      opened.push(log);
      return log;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((log) => log.close()));
    });

    it('round-trips every field of a record, nulls included', async () => {
      const log = await open();
      const full = usageRecord({
        startedAt: new Date(DAY1 + 123),
        endpoint: 'messages',
        keyId: 'vk_123',
        team: 'research',
        requestedModel: 'claude-sonnet',
        provider: 'anthropic',
        model: 'claude-sonnet-4-20250514',
        status: 200,
        outcome: 'ok',
        attempts: [
          { provider: 'openai', model: 'gpt-4o', status: 503, error: 'upstream said "no" ✗', latencyMs: 42 },
          { provider: 'anthropic', model: 'claude-sonnet-4-20250514', status: 200, latencyMs: 812 },
        ],
        promptTokens: 1234,
        completionTokens: 567,
        cachedTokens: 1000,
        cacheWriteTokens: 200,
        cacheWrite1hTokens: 150,
        reasoningTokens: 89,
        tokensEstimated: true,
        costUsd: 0.000123456789,
        latencyMs: 900,
        ttftMs: 310,
        cache: 'hit',
        savedCostUsd: 0.0042,
        stream: true,
        errorCode: 'upstream_unavailable',
        requestBody: '{"messages":[{"role":"user","content":"héllo 👋 \'quoted\'"}]}',
        responseBody: 'data: {"x":1}\n\n',
        metadata: { user: 'u-1', 'trace-id': 'abc' },
      });
      const sparse = usageRecord({
        startedAt: new Date(DAY1 + 456),
        endpoint: 'embeddings',
        keyId: null,
        team: null,
        provider: null,
        model: null,
        status: 400,
        outcome: 'error',
        attempts: [],
        costUsd: null,
        ttftMs: null,
        cache: 'none',
        errorCode: null,
        requestBody: null,
        responseBody: null,
        metadata: null,
      });
      log.write(full);
      log.write(sparse);
      await log.flush();
      expect(log.stats()).toEqual({ queued: 0, written: 2, failedWrites: 0, dropped: 0 });

      const { records, nextCursor } = await log.list({});
      expect(records).toEqual([sparse, full]);
      expect(records[1]!.startedAt).toBeInstanceOf(Date);
      expect(nextCursor).toBeNull();
      expect((await log.list({ requestId: full.requestId })).records).toEqual([full]);
    });

    it('round-trips the fields most rows leave unset, in slices where no row sets them and where one row sets one', async () => {
      const log = await open();
      // SQLite writes a slice where no row sets any of these as their defaults, and reads them all
      // from the JSON where one does (sqlite-usage-log.ts, SELDOM_SET): each batch below is one
      // slice, the first with none set, then each field set alone on one row, then all at once.
      const unset = { team: null, cachedTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0, tokensEstimated: false, errorCode: null, metadata: null } as const;
      const cases: Array<Partial<UsageRecord>> = [
        {},
        { team: 'research' },
        { cachedTokens: 7 },
        { cacheWriteTokens: 11 },
        { cacheWriteTokens: 13, cacheWrite1hTokens: 5 },
        { reasoningTokens: 17 },
        { tokensEstimated: true },
        { errorCode: 'rate_limited', status: 429, outcome: 'error' },
        { metadata: { user: 'u-2' } },
        { savedCostUsd: 0.25, cache: 'hit' },
        { savedCostUsd: 0 },
        { team: 'ops', cachedTokens: 1, cacheWriteTokens: 2, cacheWrite1hTokens: 2, reasoningTokens: 3, tokensEstimated: true, errorCode: 'x', metadata: { a: 'b' }, savedCostUsd: 0.5 },
      ];
      const records: UsageRecord[] = [];
      for (const [i, set] of cases.entries()) {
        const slice = [
          usageRecord({ ...unset, requestId: `req_seldom_${i}_a`, stream: true, ttftMs: 40 + i }),
          usageRecord({ ...unset, requestId: `req_seldom_${i}_b`, ...set }),
          usageRecord({ ...unset, requestId: `req_seldom_${i}_c`, keyId: null, ttftMs: null, costUsd: null }),
        ];
        for (const record of slice) log.write(record);
        await log.flush();
        records.push(...slice);
      }
      expect(log.stats()).toMatchObject({ written: records.length, failedWrites: 0 });
      const stored = new Map((await log.list({ limit: 100 })).records.map((r) => [r.requestId, r]));
      for (const record of records) expect(stored.get(record.requestId)).toEqual(record);
    });

    it('runs deferred bodies in the batch, not on write; one that throws stores the record without it', async () => {
      const log = await open();
      let calls = 0;
      const ok = usageRecord({ requestId: 'req_deferred_ok' });
      const bad = usageRecord({ requestId: 'req_deferred_bad' });
      log.write({ ...ok, requestBody: () => (calls++, '{"model":"m"}'), responseBody: () => 'answer' });
      log.write({ ...bad, requestBody: () => { throw new Error('not serialisable'); }, responseBody: null });
      expect(calls).toBe(0);
      await log.flush();
      expect(calls).toBe(1);
      expect((await log.list({ requestId: 'req_deferred_ok' })).records).toEqual([{ ...ok, requestBody: '{"model":"m"}', responseBody: 'answer' }]);
      expect((await log.list({ requestId: 'req_deferred_bad' })).records).toEqual([{ ...bad, requestBody: null, responseBody: null }]);
    });

    it('keeps a batch whose text holds a NUL or half a surrogate pair: those become U+FFFD, the rest as written', async () => {
      const log = await open();
      const neighbour = usageRecord({ requestId: 'req_plain_neighbour' });
      const odd = usageRecord({
        requestId: 'req_unstorable_text',
        requestedModel: 'gpt\u0000-4o',
        errorCode: 'half \ud83d pair',
        attempts: [{ provider: 'openai', model: 'gpt\u0000', error: 'x\udc00' }],
        // A backslash before the letters u0000 is text, not an escape; a whole pair stays.
        requestBody: '{"content":"\\u0000 and \\\u0000 and 😀"}',
        responseBody: 'tail \ud800',
        metadata: { note: 'nul\u0000' },
      });
      log.write(neighbour);
      log.write(odd);
      await log.flush();
      expect(log.stats()).toMatchObject({ written: 2, failedWrites: 0 });
      expect((await log.list({ requestId: 'req_plain_neighbour' })).records).toEqual([neighbour]);
      expect((await log.list({ requestId: 'req_unstorable_text' })).records).toEqual([
        {
          ...odd,
          requestedModel: 'gpt\ufffd-4o',
          errorCode: 'half \ufffd pair',
          attempts: [{ provider: 'openai', model: 'gpt\ufffd', error: 'x\ufffd' }],
          requestBody: '{"content":"\\u0000 and \\\ufffd and 😀"}',
          responseBody: 'tail \ufffd',
          metadata: { note: 'nul\ufffd' },
        },
      ]);
    });

    it('stores each record\'s own bodies, in slices where some records have bodies and some none', async () => {
      const log = await open();
      // 40 records: on SQLite three slices of 16, 16 and 8 rows; every third has no bodies, some only one.
      const records = Array.from({ length: 40 }, (_, i) =>
        usageRecord({
          requestId: `req_bodies_${String(i).padStart(2, '0')}`,
          requestBody: i % 3 === 0 ? null : `{"n":${i},"text":"${'x'.repeat(i * 100)}"}`,
          responseBody: i % 3 === 0 || i % 5 === 0 ? null : `answer ${i}`,
        }),
      );
      for (const record of records) log.write(record);
      await log.flush();
      expect(log.stats()).toMatchObject({ written: 40, failedWrites: 0 });
      const stored = new Map((await log.list({ limit: 100 })).records.map((r) => [r.requestId, r]));
      for (const record of records) expect(stored.get(record.requestId)).toEqual(record);
    });

    it('writes 1,000 records in a transaction per batch, of multi-row INSERTs', async () => {
      const log = await open();
      const inserts = harness.countInserts();
      try {
        for (let i = 0; i < 1000; i++) log.write(usageRecord({ startedAt: new Date(DAY1 + i) }));
        await log.flush();
        expect(log.stats()).toEqual({ queued: 0, written: 1000, failedWrites: 0, dropped: 0 });
        // Default batches of 500, each one transaction of multi-row INSERTs of the backend's slice
        // (so that no one statement holds the event loop for long): two transactions, 1000 / rows
        // statements, a little slack for timing. Never one statement, or one commit, per record.
        expect(inserts.transactions()).toBeGreaterThan(0);
        expect(inserts.transactions()).toBeLessThanOrEqual(4);
        expect(inserts.count()).toBeGreaterThanOrEqual(Math.ceil(1000 / harness.rowsPerSlice));
        expect(inserts.count()).toBeLessThanOrEqual(Math.ceil(1000 / harness.rowsPerSlice) + 4);
      } finally {
        inserts.restore();
      }
      const [total] = await log.aggregate({ from: new Date(DAY1), to: new Date(DAY1 + DAY) });
      expect(total?.requests).toBe(1000);
      // A page is capped at 500 whatever the client asks.
      const page = await log.list({ limit: 10_000 });
      expect(page.records).toHaveLength(500);
      expect(page.nextCursor).not.toBeNull();
    });

    it('writes a partial batch after maxWaitMs without a flush', async () => {
      const log = await open({ maxWaitMs: 20 });
      log.write(usageRecord());
      await expect.poll(() => log.stats().written, { timeout: 2000 }).toBe(1);
    });

    it('pages through every record once, newest first, ties broken by request id', async () => {
      const log = await open();
      const written: UsageRecord[] = [];
      for (let i = 0; i < 250; i++) {
        // Groups of five share a timestamp, so the cursor must break ties.
        const record = usageRecord({ startedAt: new Date(DAY1 + Math.floor(i / 5) * 1000) });
        written.push(record);
        log.write(record);
      }
      await log.flush();

      const seen: UsageRecord[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { records: UsageRecord[]; nextCursor: string | null } = await log.list({ limit: 40, cursor });
        seen.push(...page.records);
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(7);
      const expected = [...written].sort(
        (a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.requestId < b.requestId ? 1 : a.requestId > b.requestId ? -1 : 0),
      );
      expect(seen.map((r) => r.requestId)).toEqual(expected.map((r) => r.requestId));
      expect(new Set(seen.map((r) => r.requestId)).size).toBe(250);
    });

    it('ends a page early once its bodies pass a couple of megabytes, and leaves them out when asked', async () => {
      // Before (a review of the admin plane at scale; it failed before): a page of 500 records with
      // 16 KB bodies was 16 MB, serialised in one piece by /admin/logs (150-190 ms with nothing else
      // served), and the dashboard's list read every body to show none.
      const log = await open();
      const body = 'b'.repeat(20_000);
      for (let i = 0; i < 120; i++) log.write(usageRecord({ startedAt: new Date(DAY1 + i * 1000), requestBody: body, responseBody: body }));
      await log.flush();
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const page: { records: UsageRecord[]; nextCursor: string | null } = await log.list({ limit: 500, cursor });
        seen.push(...page.records.map((r) => r.requestId));
        sizes.push(page.records.length);
        cursor = page.nextCursor;
      } while (cursor && sizes.length < 10);
      // 2 MiB of bodies a page: 53 records of 40,000 characters (the 53rd passes it).
      expect(sizes).toEqual([53, 53, 14]);
      expect(new Set(seen).size).toBe(120);
      const bare = await log.list({ limit: 500, bodies: false });
      expect(bare.records).toHaveLength(120);
      expect(bare.records.every((r) => r.requestBody === null && r.responseBody === null)).toBe(true);
      expect(bare.nextCursor).toBeNull();
    });

    it('filters by key, team, provider, model, status class, outcome, time and request id', async () => {
      const log = await open();
      const at = (ms: number) => new Date(DAY1 + ms);
      const f1 = usageRecord({ startedAt: at(1), keyId: 'key-a', team: 't1', provider: 'openai', model: 'gpt-4o' });
      const f2 = usageRecord({ startedAt: at(2), keyId: 'key-b', team: 't2', provider: 'anthropic', model: 'claude', status: 429, outcome: 'error' });
      const f3 = usageRecord({ startedAt: at(3), keyId: null, team: null, provider: 'openai', model: 'gpt-4o-mini', status: 500, outcome: 'error' });
      const f4 = usageRecord({ startedAt: at(4), keyId: 'key-a', team: 't1', provider: 'openai', model: 'gpt-4o', status: 499, outcome: 'client_aborted' });
      const f5 = usageRecord({ startedAt: at(5), keyId: 'key-a', team: 't1', provider: 'openai', model: 'gpt-4o', cache: 'hit' });
      for (const record of [f1, f2, f3, f4, f5]) log.write(record);
      await log.flush();

      const ids = async (query: Parameters<SqlUsageLog['list']>[0]) => (await log.list(query)).records.map((r) => r.requestId);
      expect(await ids({ keyId: 'key-a' })).toEqual([f5, f4, f1].map((r) => r.requestId));
      expect(await ids({ keyId: null })).toEqual([f3.requestId]);
      expect(await ids({ team: 't2' })).toEqual([f2.requestId]);
      expect(await ids({ provider: 'openai' })).toEqual([f5, f4, f3, f1].map((r) => r.requestId));
      expect(await ids({ model: 'gpt-4o-mini' })).toEqual([f3.requestId]);
      expect(await ids({ statusClass: '4xx' })).toEqual([f4, f2].map((r) => r.requestId));
      expect(await ids({ statusClass: '5xx' })).toEqual([f3.requestId]);
      expect(await ids({ statusClass: '2xx' })).toEqual([f5, f1].map((r) => r.requestId));
      expect(await ids({ outcome: 'error' })).toEqual([f3, f2].map((r) => r.requestId));
      expect(await ids({ from: at(2), to: at(4) })).toEqual([f3, f2].map((r) => r.requestId));
      expect(await ids({ requestId: f4.requestId })).toEqual([f4.requestId]);
      expect(await ids({ keyId: 'key-a', outcome: 'ok', provider: 'openai' })).toEqual([f5, f1].map((r) => r.requestId));
      expect(await ids({ requestId: 'no-such-request' })).toEqual([]);
      await expect(log.list({ cursor: 'not a cursor' })).rejects.toThrow(/invalid usage log cursor/);
    });

    it('aggregates by provider, model and key per day over a half-open range', async () => {
      const log = await open();
      const at = (ms: number) => new Date(DAY1 + ms);
      const DAY2 = DAY;
      const records = [
        // Day 1
        usageRecord({ startedAt: at(1 * HOUR), provider: 'openai', model: 'gpt-4o', keyId: 'key-a', promptTokens: 1000, cachedTokens: 800, completionTokens: 100, costUsd: priced(1000, 800, 100), latencyMs: 100, ttftMs: 50 }),
        usageRecord({ startedAt: at(2.5 * HOUR), provider: 'openai', model: 'gpt-4o', keyId: 'key-a', promptTokens: 500, cachedTokens: 0, completionTokens: 50, costUsd: priced(500, 0, 50), latencyMs: 300, ttftMs: null, status: 502, outcome: 'error' }),
        usageRecord({ startedAt: at(5 * HOUR), provider: 'anthropic', model: 'claude', keyId: 'key-b', promptTokens: 2000, cachedTokens: 1500, cacheWriteTokens: 300, cacheWrite1hTokens: 120, completionTokens: 200, reasoningTokens: 40, costUsd: null, latencyMs: 200, ttftMs: 90 }),
        // Day 2, the first exactly at midnight
        usageRecord({ startedAt: at(DAY2), provider: 'openai', model: 'gpt-4o', keyId: 'key-a', promptTokens: 100, cachedTokens: 50, completionTokens: 10, costUsd: priced(100, 50, 10), latencyMs: 400 }),
        usageRecord({ startedAt: at(DAY2 + 10 * HOUR), provider: 'openai', model: 'gpt-4o', keyId: 'key-b', promptTokens: 300, cachedTokens: 0, completionTokens: 30, costUsd: priced(300, 0, 30), latencyMs: 500, status: 499, outcome: 'client_aborted' }),
        // Outside [day 1, day 3): exactly at `to`, and one millisecond before `from`
        usageRecord({ startedAt: at(2 * DAY), provider: 'openai', model: 'gpt-4o', keyId: 'key-a', promptTokens: 1_000_000 }),
        usageRecord({ startedAt: at(-1), provider: 'openai', model: 'gpt-4o', keyId: 'key-a', promptTokens: 1_000_000 }),
      ];
      for (const record of records) log.write(record);
      await log.flush();

      const rows = await log.aggregate({ from: at(0), to: at(2 * DAY), groupBy: ['provider', 'model', 'keyId'], bucket: 'day' });
      expect(rows.map((r) => [r.bucket?.toISOString(), r.provider, r.model, r.keyId, r.requests])).toEqual([
        ['2025-01-10T00:00:00.000Z', 'openai', 'gpt-4o', 'key-a', 2],
        ['2025-01-10T00:00:00.000Z', 'anthropic', 'claude', 'key-b', 1],
        ['2025-01-11T00:00:00.000Z', 'openai', 'gpt-4o', 'key-a', 1],
        ['2025-01-11T00:00:00.000Z', 'openai', 'gpt-4o', 'key-b', 1],
      ]);
      const [openaiDay1, anthropicDay1, keyADay2, keyBDay2] = rows as [UsageAggregate, UsageAggregate, UsageAggregate, UsageAggregate];
      expect(openaiDay1).toMatchObject({ errors: 1, promptTokens: 1500, cachedTokens: 800, completionTokens: 150, avgLatencyMs: 200, avgTtftMs: 50, unpricedRequests: 0 });
      expect(openaiDay1.costUsd).toBeCloseTo(priced(1000, 800, 100) + priced(500, 0, 50), 12);
      expect(openaiDay1).not.toHaveProperty('team');
      expect(anthropicDay1).toMatchObject({ errors: 0, promptTokens: 2000, cachedTokens: 1500, cacheWriteTokens: 300, cacheWrite1hTokens: 120, reasoningTokens: 40, costUsd: 0, unpricedRequests: 1 });
      expect(openaiDay1.cacheWrite1hTokens).toBe(0);
      expect(keyADay2.costUsd).toBeCloseTo(priced(100, 50, 10), 12);
      // A client abort is not an error.
      expect(keyBDay2).toMatchObject({ errors: 0, promptTokens: 300 });
      expect(openaiDay1.p50LatencyMs).toBeNull();

      // Half-open: the record at midnight belongs to day 2 only; consecutive ranges add up.
      const [day1] = await log.aggregate({ from: at(0), to: at(DAY) });
      const [day2] = await log.aggregate({ from: at(DAY), to: at(2 * DAY) });
      expect(day1?.requests).toBe(3);
      expect(day2?.requests).toBe(2);
      expect(day1!.costUsd + day2!.costUsd).toBeCloseTo(rows.reduce((sum, r) => sum + r.costUsd, 0), 12);

      const hours = await log.aggregate({ from: at(0), to: at(DAY), bucket: 'hour' });
      expect(hours.map((r) => [r.bucket?.toISOString(), r.requests])).toEqual([
        ['2025-01-10T01:00:00.000Z', 1],
        ['2025-01-10T02:00:00.000Z', 1],
        ['2025-01-10T05:00:00.000Z', 1],
      ]);

      const byKey = await log.aggregate({ from: at(0), to: at(2 * DAY), keyId: 'key-b', groupBy: ['team'] });
      expect(byKey).toEqual([expect.objectContaining({ team: 'team-1', requests: 2, promptTokens: 2300 })]);
      expect(await log.aggregate({ from: at(3 * DAY), to: at(4 * DAY) })).toEqual([]);
    });

    it('reads at most maxGroups groups, the largest first', async () => {
      const log = await open();
      const at = (ms: number) => new Date(DAY1 + ms);
      // key-0 makes one request, key-1 two, … key-4 five.
      for (let key = 0; key < 5; key++) {
        for (let n = 0; n <= key; n++) log.write(usageRecord({ startedAt: at(HOUR + key * 1000 + n), keyId: `key-${key}` }));
      }
      await log.flush();
      const all = await log.aggregate({ from: at(0), to: at(DAY), groupBy: ['keyId'] });
      expect(all.map((r) => r.keyId)).toEqual(['key-4', 'key-3', 'key-2', 'key-1', 'key-0']);
      const capped = await log.aggregate({ from: at(0), to: at(DAY), groupBy: ['keyId'], maxGroups: 3 });
      expect(capped.map((r) => [r.keyId, r.requests])).toEqual([['key-4', 5], ['key-3', 4], ['key-2', 3]]);
    });

    it('computes nearest-rank p50 and p95 latency per group when asked', async () => {
      const log = await open();
      for (let i = 1; i <= 20; i++) log.write(usageRecord({ startedAt: new Date(DAY1 + i), provider: 'openai', latencyMs: i * 10 }));
      log.write(usageRecord({ startedAt: new Date(DAY1 + 100), provider: 'anthropic', latencyMs: 7 }));
      await log.flush();
      const rows = await log.aggregate({ from: new Date(DAY1), to: new Date(DAY1 + DAY), groupBy: ['provider'], percentiles: true });
      expect(rows.map((r) => [r.provider, r.requests, r.avgLatencyMs, r.p50LatencyMs, r.p95LatencyMs])).toEqual([
        ['openai', 20, 105, 100, 190],
        ['anthropic', 1, 7, 7, 7],
      ]);
      const [all] = await log.aggregate({ from: new Date(DAY1), to: new Date(DAY1 + DAY), percentiles: true });
      expect([all?.p50LatencyMs, all?.p95LatencyMs]).toEqual([100, 190]);
    });

    it('computes nearest-rank p50 and p95 time to first token over the requests that have one', async () => {
      const log = await open();
      // Ten answers (first byte at 5..50 ms) among twenty requests: those that sent nothing (no TTFT) do not count.
      for (let i = 1; i <= 10; i++) log.write(usageRecord({ startedAt: new Date(DAY1 + i), provider: 'openai', latencyMs: 500, ttftMs: i * 5 }));
      for (let i = 1; i <= 10; i++) log.write(usageRecord({ startedAt: new Date(DAY1 + 50 + i), provider: 'openai', latencyMs: 1, ttftMs: null }));
      log.write(usageRecord({ startedAt: new Date(DAY1 + 100), provider: 'anthropic', latencyMs: 7, ttftMs: null }));
      await log.flush();
      const rows = await log.aggregate({ from: new Date(DAY1), to: new Date(DAY1 + DAY), groupBy: ['provider'], percentiles: true });
      expect(rows.map((r) => [r.provider, r.avgTtftMs, r.p50TtftMs, r.p95TtftMs])).toEqual([
        ['openai', 27.5, 25, 50],
        ['anthropic', null, null, null],
      ]);
      const [plain] = await log.aggregate({ from: new Date(DAY1), to: new Date(DAY1 + DAY) });
      expect([plain?.p50TtftMs, plain?.p95TtftMs]).toEqual([null, null]);
    });

    it('prunes records older than the retention and says how many', async () => {
      const log = await open();
      const old1 = usageRecord({ startedAt: new Date(DAY1 - 10 * DAY) });
      const old2 = usageRecord({ startedAt: new Date(DAY1 - 5 * DAY) });
      const kept = usageRecord({ startedAt: new Date(DAY1 - 3 * DAY) });
      for (const record of [old1, old2, kept]) log.write(record);
      await log.flush();
      expect(await log.prune(new Date(DAY1 - 3 * DAY))).toBe(2);
      expect((await log.list({})).records.map((r) => r.requestId)).toEqual([kept.requestId]);
      expect(await log.prune(new Date(DAY1 - 3 * DAY))).toBe(0);
    });

    it('prunes a statement of a few thousand records at a time, the oldest first', async () => {
      // Before (it failed before): one DELETE of every old record, which over a busy log ran past
      // PostgreSQL's statement timeout every time (the log was never pruned again).
      const log = await open();
      const records = Array.from({ length: 7 }, (_, i) => usageRecord({ startedAt: new Date(DAY1 - (10 - i) * DAY) }));
      for (const record of records) log.write(record);
      await log.flush();
      const execute = vi.spyOn(log as unknown as { execute(statement: { text: string }): Promise<number> }, 'execute');
      try {
        expect(await log.prune(new Date(DAY1 - 4 * DAY), 2)).toBe(6);
        const deletes = execute.mock.calls.filter(([statement]) => statement.text.startsWith('DELETE'));
        expect(deletes).toHaveLength(4); // 2, 2, 2, then 0
      } finally {
        execute.mockRestore();
      }
      expect((await log.list({})).records.map((r) => r.requestId)).toEqual([records[6]!.requestId]);
    });

    it('has its migrations applied once; running them again is a no-op', async () => {
      const log = await open();
      expect(await log.migrate()).toEqual([]);
      log.write(usageRecord());
      await log.flush();
      expect(log.stats().written).toBe(1);
    });

    it('bounds the queue: drops the oldest records and counts them', async () => {
      const log = await open({ maxQueue: 10, maxBatch: 500, maxWaitMs: 60_000 });
      const records = Array.from({ length: 25 }, (_, i) => usageRecord({ startedAt: new Date(DAY1 + i) }));
      for (const record of records) log.write(record);
      expect(log.stats()).toEqual({ queued: 10, written: 0, failedWrites: 0, dropped: 15 });
      await log.flush();
      expect(log.stats()).toEqual({ queued: 0, written: 10, failedWrites: 0, dropped: 15 });
      const kept = (await log.list({})).records.map((r) => r.requestId);
      expect(kept).toEqual(records.slice(15).reverse().map((r) => r.requestId));
    });

    it('ignores a record written twice, so a retried batch cannot fail on its own first try', async () => {
      const log = await open();
      const record = usageRecord();
      log.write(record);
      log.write({ ...record });
      await log.flush();
      expect((await log.list({})).records).toEqual([record]);
      expect(log.stats().failedWrites).toBe(0);
    });

    it('refuses a malformed record on write, alone, without throwing', async () => {
      const log = await open();
      const good = usageRecord();
      const bad = usageRecord({ startedAt: new Date(Number.NaN) });
      const cyclic: Record<string, string> = {};
      Object.assign(cyclic, { self: cyclic });
      expect(() => log.write(bad)).not.toThrow();
      expect(() => log.write(usageRecord({ metadata: cyclic }))).not.toThrow();
      log.write(good);
      await log.flush();
      expect(log.stats()).toEqual({ queued: 0, written: 1, failedWrites: 2, dropped: 0 });
      expect((await log.list({})).records).toEqual([good]);
    });

    it('writes what is queued on close and drops (counts) later writes without throwing', async () => {
      const log = await open({ maxWaitMs: 60_000 });
      log.write(usageRecord());
      await log.close();
      expect(log.stats()).toMatchObject({ queued: 0, written: 1 });
      expect(() => log.write(usageRecord())).not.toThrow();
      expect(log.stats().dropped).toBe(1);
    });
  });
}
