/**
 * The usage log on Postgres (needs DATABASE_URL): the shared suite, each test in its own throwaway
 * schema so parallel runs never meet, plus two replicas migrating one schema at once and a
 * database that cannot be reached.
 */
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createLogger, silentLogger } from '../../../../core/logger.js';
import { openUsageLog } from '../../../../plugins/usage-logger/log/open-usage-log.js';
import { POSTGRES_ROWS_PER_SLICE, PostgresUsageLog } from '../../../../plugins/usage-logger/log/postgres-usage-log.js';
import { usageRecord } from './records.js';
import { usageLogSuite } from './usage-log-suite.js';

const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) console.warn('DATABASE_URL is not set: the Postgres usage log tests are skipped (e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test).');

const run = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
const schemas: string[] = [];
let schemaCount = 0;
/** A schema name no other test or run uses; dropped after the file. */
const freshSchema = () => {
  const schema = `usage_test_${run}_${++schemaCount}`;
  schemas.push(schema);
  return schema;
};

/** A client of our own, to look at the schema behind the log's back. */
async function query<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  if (!DATABASE_URL || schemas.length === 0) return;
  await query(schemas.map((schema) => `DROP SCHEMA IF EXISTS "${schema}" CASCADE`).join('; '));
});

usageLogSuite('postgres', {
  enabled: Boolean(DATABASE_URL),
  open: (batch) => openUsageLog(DATABASE_URL!, { logger: silentLogger, batch, schema: freshSchema() }),
  rowsPerSlice: POSTGRES_ROWS_PER_SLICE,
  countInserts: () => {
    // Every query reaches a client, whether asked of the pool or of a client it lent.
    const spy = vi.spyOn(pg.Client.prototype, 'query');
    const sql = (call: unknown[]) => (typeof call[0] === 'string' ? call[0] : ((call[0] as { text?: string } | undefined)?.text ?? ''));
    return {
      count: () => spy.mock.calls.filter((call) => sql(call).startsWith('INSERT INTO') && sql(call).includes('.usage_records (')).length,
      transactions: () => spy.mock.calls.filter((call) => sql(call) === 'BEGIN').length,
      restore: () => spy.mockRestore(),
    };
  },
});

describe.skipIf(!DATABASE_URL)('postgres usage log, database specifics', () => {
  it('creates its schema, table, indexes and migration record', async () => {
    const schema = freshSchema();
    const log = await openUsageLog(DATABASE_URL!, { logger: silentLogger, schema });
    const indexes = await query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname', [schema, 'usage_records']);
    expect(indexes.map((i) => i.indexname)).toEqual([
      'usage_records_client_request_id', // partial: rows with a client's x-request-id
      'usage_records_key_started_at',
      'usage_records_pkey', // request_id
      'usage_records_provider_model_started_at',
      'usage_records_started_at',
    ]);
    const types = await query<{ column_name: string; data_type: string }>(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'usage_records' AND column_name IN ('started_at', 'attempts', 'metadata') ORDER BY column_name",
      [schema],
    );
    expect(types).toEqual([
      { column_name: 'attempts', data_type: 'jsonb' },
      { column_name: 'metadata', data_type: 'jsonb' },
      { column_name: 'started_at', data_type: 'timestamp with time zone' },
    ]);
    expect(await query(`SELECT version FROM "${schema}".usage_migrations`)).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
    await log.close();
  });

  it('lets two replicas open the same new schema at once: one migrates, both work, the version is recorded once', async () => {
    const schema = freshSchema();
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', format: 'json', write: (line) => lines.push(line) });
    const logs = await Promise.all([openUsageLog(DATABASE_URL!, { logger, schema }), openUsageLog(DATABASE_URL!, { logger, schema })]);
    expect(lines.filter((line) => line.includes('usage log migrated'))).toHaveLength(1);
    expect(await query(`SELECT version FROM "${schema}".usage_migrations`)).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
    logs[0].write(usageRecord());
    logs[1].write(usageRecord());
    await Promise.all(logs.map((log) => log.flush()));
    expect((await logs[1].list({})).records).toHaveLength(2);
    expect(await logs[0].migrate()).toEqual([]);
    await Promise.all(logs.map((log) => log.close()));
  });

  it('buckets by UTC day whatever the session time zone', async () => {
    const schema = freshSchema();
    const log = new PostgresUsageLog({ connectionString: DATABASE_URL!, logger: silentLogger, schema, pool: { options: '-c TimeZone=America/New_York' } });
    await log.migrate();
    // 03:00 UTC on the 10th is still the 9th in New York.
    log.write(usageRecord({ startedAt: new Date(Date.UTC(2025, 0, 10, 3)) }));
    await log.flush();
    const rows = await log.aggregate({ from: new Date(Date.UTC(2025, 0, 9)), to: new Date(Date.UTC(2025, 0, 11)), bucket: 'day' });
    expect(rows.map((r) => [r.bucket?.toISOString(), r.requests])).toEqual([['2025-01-10T00:00:00.000Z', 1]]);
    await log.close();
  });

  it('fails to open, clearly and without the password, when the database cannot be reached', async () => {
    await expect(openUsageLog('postgres://postgres:secret@127.0.0.1:1/test', { logger: silentLogger, schema: freshSchema() })).rejects.toThrow(
      /could not prepare the usage log at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test: .*ECONNREFUSED/,
    );
  });

  it('survives a database that is down: write never throws, records are kept for later, flush is bounded', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', format: 'json', write: (line) => lines.push(line) });
    // Not migrated (nothing to migrate against): the pool points at a closed port.
    const log = new PostgresUsageLog({ connectionString: 'postgres://postgres@127.0.0.1:1/test', logger, batch: { retries: 2, retryDelayMs: 5, flushTimeoutMs: 2000 } });
    for (let i = 0; i < 7; i++) expect(() => log.write(usageRecord())).not.toThrow();
    const started = Date.now();
    await log.flush();
    expect(Date.now() - started).toBeLessThan(2500);
    // A refused connection passes: the records wait in the queue for the database, not lost.
    expect(log.stats()).toEqual({ queued: 7, written: 0, failedWrites: 0, dropped: 0 });
    expect(lines.some((line) => line.includes('could not be written yet') && line.includes('ECONNREFUSED'))).toBe(true);
    await log.close();
    expect(log.stats()).toEqual({ queued: 0, written: 0, failedWrites: 0, dropped: 7 });
  });

  it('gives up waiting at the flush bound while the database keeps failing, and drops the rest on close', async () => {
    const log = new PostgresUsageLog({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
      logger: silentLogger,
      batch: { maxBatch: 2, retries: 1000, retryDelayMs: 20, flushTimeoutMs: 300 },
    });
    for (let i = 0; i < 10; i++) log.write(usageRecord());
    const started = Date.now();
    await log.flush();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(log.stats().queued).toBe(10);
    await log.close();
    const stats = log.stats();
    expect(stats.written).toBe(0);
    expect(stats.failedWrites + stats.dropped + stats.queued).toBe(10);
    expect(stats.dropped).toBeGreaterThanOrEqual(8);
  });
});

describe.skipIf(!DATABASE_URL)('postgres usage log, slow queries beside the writes', () => {
  /*
   * Before (it failed before): the admin API's and the dashboard's queries took connections from
   * the pool of four the batches write on. Four at once (the Overview's three and the Keys page's
   * team figures), each up to the 10 s statement timeout over a large log, left a batch no
   * connection: it waited for one, and past its 5 s connect timeout failed and was queued again.
   * Now queries run on half the pool at most, two at a time.
   */
  it('a batch is written while four slow queries run', async () => {
    const log = await openUsageLog(DATABASE_URL!, { logger: silentLogger, schema: freshSchema() });
    try {
      const query = (log as unknown as { rows(statement: { text: string; values: unknown[] }): Promise<unknown[]> }).rows.bind(log);
      let readsDone = 0;
      const reads = Promise.all(Array.from({ length: 4 }, () => query({ text: 'SELECT pg_sleep(1.5)', values: [] }).then(() => readsDone++)));
      await new Promise((resolve) => setTimeout(resolve, 100));
      log.write(usageRecord({ requestId: 'beside-slow-queries' }));
      await log.flush();
      // Written before any query was over (two of them had not even started). Before: only once
      // one of them had given its connection back.
      expect(readsDone).toBe(0);
      expect((await log.list({ requestId: 'beside-slow-queries' })).records).toHaveLength(1);
      await reads;
    } finally {
      await log.close();
    }
  }, 20_000);
});
