/**
 * The SQLite usage log's queries one at a time, each bounded (plugins/usage-logger/log/bounded-reads.ts).
 *
 * Before: `sqlite3` ran every query asked at once, each whole on a thread of libuv's pool of four.
 * Over three million rows (a month at about one request a second) the dashboard's Overview for 30
 * days and its Keys page asked four queries that took 38 s together, and meanwhile a DNS lookup
 * (every new connection to an upstream makes one) waited 11 s for a thread, as did the log's own
 * batches. Nothing bounded how long a query ran.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../core/logger.js';
import { BoundedReads, type Reader } from '../../../../plugins/usage-logger/log/bounded-reads.js';
import { SqliteUsageLog } from '../../../../plugins/usage-logger/log/sqlite-usage-log.js';
import { DAY1, HOUR, usageRecord } from './records.js';

/** A reader whose queries end when the test says, counting how many run at once. */
function heldReader() {
  const running: Array<{ sql: string; end: (rows: never[]) => void; fail: (error: Error) => void }> = [];
  let most = 0;
  let interrupts = 0;
  const reader: Reader = {
    all: (sql) =>
      new Promise((end, fail) => {
        running.push({ sql, end, fail });
        most = Math.max(most, running.length);
      }),
    interrupt: () => {
      interrupts++;
      running.shift()?.fail(Object.assign(new Error('SQLITE_INTERRUPT: interrupted'), { code: 'SQLITE_INTERRUPT' }));
    },
  };
  const endFirst = async () => {
    running.shift()!.end([]);
    await new Promise((r) => setTimeout(r, 0));
  };
  return { reader, running, endFirst, most: () => most, interrupts: () => interrupts };
}

describe('BoundedReads', () => {
  it('runs the queries asked at once one after another', async () => {
    const held = heldReader();
    const reads = new BoundedReads(held.reader, { concurrency: 1, runMs: 60_000, waitMs: 60_000, queued: 8 });
    const answers = ['a', 'b', 'c', 'd'].map((sql) => reads.all(sql, []));
    await new Promise((r) => setTimeout(r, 10));
    expect(held.running.map((q) => q.sql)).toEqual(['a']);
    for (let i = 0; i < 4; i++) await held.endFirst();
    await Promise.all(answers);
    expect(held.most()).toBe(1);
  });

  it('interrupts a query that runs past runMs, with a 503 that says what to ask instead, and runs the next', async () => {
    const held = heldReader();
    const reads = new BoundedReads(held.reader, { concurrency: 1, runMs: 50, waitMs: 60_000, queued: 8 });
    const long = reads.all('long', []);
    const next = reads.all('next', []);
    await expect(long).rejects.toMatchObject({ status: 503, code: 'usage_query_timeout', message: expect.stringMatching(/ran past 0\.05 s and was stopped: ask for a shorter range/) });
    expect(held.interrupts()).toBe(1);
    await new Promise((r) => setTimeout(r, 10));
    expect(held.running.map((q) => q.sql)).toEqual(['next']);
    await held.endFirst();
    await expect(next).resolves.toEqual([]);
  });

  it('refuses a query that waited waitMs for those before it, and never runs it', async () => {
    const held = heldReader();
    const reads = new BoundedReads(held.reader, { concurrency: 1, runMs: 60_000, waitMs: 50, queued: 8 });
    const first = reads.all('first', []);
    const waiting = reads.all('waiting', []);
    await expect(waiting).rejects.toMatchObject({ status: 503, code: 'usage_log_busy', message: expect.stringMatching(/waited 0\.05 s/) });
    await held.endFirst();
    await first;
    const after = reads.all('after', []);
    await new Promise((r) => setTimeout(r, 10));
    expect(held.running.map((q) => q.sql)).toEqual(['after']);
    await held.endFirst();
    await after;
  });

  it('refuses at once past `queued` waiting queries', async () => {
    const held = heldReader();
    const reads = new BoundedReads(held.reader, { concurrency: 1, runMs: 60_000, waitMs: 60_000, queued: 2 });
    const asked = ['1', '2', '3'].map((sql) => reads.all(sql, [])); // one runs, two wait
    await expect(reads.all('4', [])).rejects.toMatchObject({ code: 'usage_log_busy', message: expect.stringMatching(/2 queries are already waiting/) });
    for (let i = 0; i < 3; i++) await held.endFirst();
    await Promise.all(asked);
  });
});

describe('a SQLite usage log too large to query within its bound', () => {
  let dir: string;
  let file: string;
  const ROWS = 300_000;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'usage-reads-'));
    file = join(dir, 'usage.sqlite');
    const log = await SqliteUsageLog.open({ file, logger: silentLogger });
    await log.migrate();
    log.write(usageRecord({ startedAt: new Date(DAY1 + HOUR) }));
    await log.close();
    // Rows made by SQLite itself: a month of a modest gateway, in seconds rather than minutes.
    const db = new sqlite3.Database(file);
    await new Promise<void>((resolve, reject) =>
      db.exec(
        `INSERT INTO usage_records (request_id, started_at, endpoint, key_id, requested_model, provider, model, status, outcome, attempts, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, tokens_estimated, cost_usd, latency_ms, ttft_ms, cache, stream, cache_write_1h_tokens)
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS - 1})
         SELECT 'bulk-' || i, ${DAY1} + i * 8000, 'chat', 'key-' || (i % 500), 'm', 'p' || (i % 5), 'm' || (i % 7), 200, 'ok', '[]', 100, 50, 0, 0, 0, 0, 0.001, 100 + (i % 900), 50, 'none', 0, 0 FROM n`,
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    await new Promise((resolve) => db.close(resolve));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops a query past its bound, and goes on answering and writing', async () => {
    const log = await SqliteUsageLog.open({ file, logger: silentLogger, readLimits: { runMs: 20 } });
    try {
      const month = { from: new Date(DAY1), to: new Date(DAY1 + 30 * 86_400_000) };
      await expect(log.aggregate({ ...month, groupBy: ['provider', 'model'], percentiles: true })).rejects.toMatchObject({ status: 503, code: 'usage_query_timeout' });
      log.write(usageRecord({ requestId: 'after-the-timeout', startedAt: new Date(DAY1 + 2 * HOUR) }));
      await log.flush();
      const { records } = await log.list({ requestId: 'after-the-timeout' });
      expect(records.map((r) => r.requestId)).toEqual(['after-the-timeout']);
    } finally {
      await log.close();
    }
  });

  it("runs the dashboard's queries asked at once one at a time on the reader", async () => {
    const log = await SqliteUsageLog.open({ file, logger: silentLogger });
    const all = sqlite3.Database.prototype.all;
    let running = 0;
    let most = 0;
    sqlite3.Database.prototype.all = function (this: sqlite3.Database, ...args: unknown[]) {
      const callback = args.pop() as (...results: unknown[]) => void;
      running++;
      most = Math.max(most, running);
      return (all as (...a: unknown[]) => sqlite3.Database).call(this, ...args, (...results: unknown[]) => {
        running--;
        callback(...results);
      });
    } as typeof all;
    try {
      const week = { from: new Date(DAY1), to: new Date(DAY1 + 7 * 86_400_000) };
      const answers = await Promise.all([
        log.aggregate({ ...week, percentiles: true }),
        log.aggregate({ ...week, bucket: 'day' }),
        log.aggregate({ ...week, groupBy: ['provider', 'model'], percentiles: true }),
        log.aggregate({ ...week, groupBy: ['team'] }),
      ]);
      // The bulk rows' 35 providers and models and one team (none), and the first record's own.
      expect(answers.map((rows) => rows.length)).toEqual([1, 7, 36, 2]);
      // Before: 4, each on a thread of the pool that DNS lookups and the log's batches share.
      expect(most).toBe(1);
    } finally {
      sqlite3.Database.prototype.all = all;
      await log.close();
    }
  }, 60_000);
});

describe('BoundedReads on a reader that is not interrupted (PostgreSQL)', () => {
  it('runs up to `concurrency` at once, the rest in turn', async () => {
    const held = heldReader();
    const reads = new BoundedReads({ all: held.reader.all }, { concurrency: 2, waitMs: 60_000, queued: 8 });
    const answers = ['a', 'b', 'c'].map((sql) => reads.all(sql, []));
    await new Promise((r) => setTimeout(r, 10));
    expect(held.running.map((q) => q.sql)).toEqual(['a', 'b']);
    await held.endFirst();
    expect(held.running.map((q) => q.sql)).toEqual(['b', 'c']);
    for (let i = 0; i < 2; i++) await held.endFirst();
    await Promise.all(answers);
    expect(held.most()).toBe(2);
  });

  it('refuses a reader that can be interrupted more than one query at once (an interrupt stops them all)', () => {
    expect(() => new BoundedReads(heldReader().reader, { concurrency: 2, runMs: 1_000, waitMs: 1_000, queued: 1 })).toThrow(/one query at a time/);
  });
});
