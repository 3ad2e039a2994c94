/**
 * The usage log on SQLite: the shared suite on a fresh file per test (and once in memory), plus
 * what only SQLite has: the file and its directory created on first start, WAL mode, two
 * connections migrating one file at once, and a database that starts failing.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createLogger, silentLogger } from '../../../../core/logger.js';
import { MIGRATIONS_TABLE, USAGE_MIGRATIONS } from '../../../../plugins/usage-logger/log/migrations.js';
import { openUsageLog } from '../../../../plugins/usage-logger/log/open-usage-log.js';
import type { UsageRecord } from '../../../../plugins/usage-logger/log/record.js';
import type { Statement } from '../../../../plugins/usage-logger/log/queries.js';
import { recordValues, USAGE_TABLE } from '../../../../plugins/usage-logger/log/rows.js';
import { ROWS_PER_SLICE, SLICES_IN_FLIGHT, type SqlUsageLog } from '../../../../plugins/usage-logger/log/sql-usage-log.js';
import { SQLITE_DIALECT, sqliteInsert } from '../../../../plugins/usage-logger/log/sqlite-usage-log.js';
import { usageRecord } from './records.js';
import { usageLogSuite } from './usage-log-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-usage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const freshFile = () => join(dir, `nested-${++files}`, 'usage.sqlite');

function countSqliteInserts() {
  const run = vi.spyOn(sqlite3.Database.prototype, 'run');
  const prepare = vi.spyOn(sqlite3.Database.prototype, 'prepare');
  // The batch INSERT is the one prepared statement: each run of it is one INSERT.
  const runPrepared = vi.spyOn(sqlite3.Statement.prototype, 'run');
  const exec = vi.spyOn(sqlite3.Database.prototype, 'exec');
  return {
    count: () => {
      expect(prepare.mock.calls.every((call) => String(call[0]).startsWith('INSERT INTO usage_records'))).toBe(true);
      return run.mock.calls.filter((call) => String(call[0]).startsWith('INSERT INTO usage_records')).length + runPrepared.mock.calls.length;
    },
    transactions: () => exec.mock.calls.filter((call) => String(call[0]).startsWith('BEGIN')).length,
    restore: () => {
      run.mockRestore();
      prepare.mockRestore();
      runPrepared.mockRestore();
      exec.mockRestore();
    },
  };
}

usageLogSuite('sqlite file', {
  enabled: true,
  open: (batch) => openUsageLog(`sqlite://${freshFile()}`, { logger: silentLogger, batch }),
  countInserts: countSqliteInserts,
  rowsPerSlice: ROWS_PER_SLICE,
});

usageLogSuite('sqlite in memory', {
  enabled: true,
  open: (batch) => openUsageLog('sqlite::memory:', { logger: silentLogger, batch }),
  countInserts: countSqliteInserts,
  rowsPerSlice: ROWS_PER_SLICE,
});

/** A second connection of our own, to look at (or break) the file behind the log's back. */
async function query<T>(file: string, sql: string): Promise<T[]> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened: sqlite3.Database = new sqlite3.Database(file, (error) => (error ? reject(error) : resolve(opened)));
  });
  try {
    return await new Promise<T[]>((resolve, reject) => db.all<T>(sql, (error, rows) => (error ? reject(error) : resolve(rows))));
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

describe('sqlite usage log, file specifics', () => {
  it('runs the slices it queues at once on as many statement objects, each started without waiting for the others', async () => {
    // sqlite3 starts a statement object's next run only from the main thread, once the last one's
    // callback ran: four slices on one object advanced one an event-loop turn, and under load the
    // queue outgrew the cap. Four copies go to the database together.
    const log = await openUsageLog(`sqlite://${freshFile()}`, { logger: silentLogger, batch: { maxBatch: 1000, maxWaitMs: 60_000 } });
    const runs = vi.spyOn(sqlite3.Statement.prototype, 'run');
    try {
      for (let i = 0; i < 8 * ROWS_PER_SLICE; i++) log.write(usageRecord({ requestBody: '{"model":"m"}', responseBody: 'answer' }));
      await log.flush();
      const statements = runs.mock.contexts;
      expect(statements).toHaveLength(8);
      expect(new Set(statements.slice(0, SLICES_IN_FLIGHT)).size).toBe(SLICES_IN_FLIGHT);
      expect(new Set(statements).size).toBe(SLICES_IN_FLIGHT);
      expect(log.stats()).toMatchObject({ written: 8 * ROWS_PER_SLICE, queued: 0 });
      expect((await log.list({ limit: 500 })).records).toHaveLength(8 * ROWS_PER_SLICE);
    } finally {
      runs.mockRestore();
      await log.close();
    }
  });

  it('creates the file and its directories on first start, in WAL mode, with the schema recorded', async () => {
    const file = freshFile();
    expect(existsSync(file)).toBe(false);
    const log = await openUsageLog(`sqlite://${file}`, { logger: silentLogger });
    expect(existsSync(file)).toBe(true);
    expect(await query<{ journal_mode: string }>(file, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(await query<{ version: number }>(file, 'SELECT version FROM usage_migrations')).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
    const indexes = await query<{ name: string }>(file, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage_records' ORDER BY name");
    expect(indexes.map((i) => i.name)).toEqual([
      'sqlite_autoindex_usage_records_1', // request_id, the primary key
      'usage_records_client_request_id', // partial: rows with a client's x-request-id
      'usage_records_key_started_at',
      'usage_records_provider_model_started_at',
      'usage_records_started_at',
    ]);
    await log.close();
  });

  it('keeps records across a restart and does not migrate twice', async () => {
    const file = freshFile();
    const record = usageRecord();
    const first = await openUsageLog(`sqlite://${file}`, { logger: silentLogger });
    first.write(record);
    await first.close();
    const second = await openUsageLog(`sqlite://${file}`, { logger: silentLogger });
    expect(await second.migrate()).toEqual([]);
    expect((await second.list({})).records).toEqual([record]);
    await second.close();
    expect(await query(file, 'SELECT version FROM usage_migrations')).toHaveLength(4);
  });

  it('upgrades a file written by an older gateway: the new column reads 0 on the rows it had', async () => {
    const file = freshFile();
    mkdirSync(dirname(file), { recursive: true });
    // The schema as the gateway before migration 3 left it, with one row of its own.
    const older = USAGE_MIGRATIONS.filter((m) => m.version < 3);
    await query(file, MIGRATIONS_TABLE.sqlite);
    for (const migration of older) for (const statement of migration.sqlite) await query(file, statement);
    for (const migration of older) await query(file, `INSERT INTO usage_migrations VALUES (${migration.version}, 'older', 0)`);
    await query(file, "INSERT INTO usage_records (request_id, started_at, endpoint, requested_model, status, outcome, cache_write_tokens, latency_ms) VALUES ('old-1', 1, 'chat', 'm', 200, 'ok', 300, 5)");

    const log = await openUsageLog(`sqlite://${file}`, { logger: silentLogger });
    const upgraded = usageRecord({ cacheWriteTokens: 300, cacheWrite1hTokens: 200 });
    log.write(upgraded);
    await log.flush();
    const { records } = await log.list({});
    expect(records.find((r) => r.requestId === 'old-1')).toMatchObject({ cacheWriteTokens: 300, cacheWrite1hTokens: 0 });
    expect(records.find((r) => r.requestId === upgraded.requestId)).toEqual(upgraded);
    await log.close();
    expect(await query(file, 'SELECT version FROM usage_migrations')).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
  });

  it('lets two logs open the same new file at once; one migrates, both work', async () => {
    const file = freshFile();
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', format: 'json', write: (line) => lines.push(line) });
    const logs: SqlUsageLog[] = await Promise.all([openUsageLog(`sqlite://${file}`, { logger }), openUsageLog(`sqlite://${file}`, { logger })]);
    expect(lines.filter((line) => line.includes('usage log migrated'))).toHaveLength(1);
    logs[0]!.write(usageRecord());
    logs[1]!.write(usageRecord());
    await Promise.all(logs.map((log) => log.flush()));
    expect((await logs[0]!.list({})).records).toHaveLength(2);
    await Promise.all(logs.map((log) => log.close()));
  });

  it('survives a database that starts failing: write never throws, failures are counted, flush is bounded', async () => {
    const file = freshFile();
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', format: 'json', write: (line) => lines.push(line) });
    const log = await openUsageLog(`sqlite://${file}`, { logger, batch: { retries: 2, retryDelayMs: 5, flushTimeoutMs: 2000 } });
    // Someone drops the table under the running gateway: every INSERT now fails.
    await query(file, 'DROP TABLE usage_records');
    for (let i = 0; i < 5; i++) expect(() => log.write(usageRecord())).not.toThrow();
    const started = Date.now();
    await log.flush();
    expect(Date.now() - started).toBeLessThan(2500);
    expect(log.stats()).toEqual({ queued: 0, written: 0, failedWrites: 5, dropped: 0 });
    expect(lines.some((line) => line.includes('could not be written') && line.includes('no such table'))).toBe(true);
    await log.close();
  });
});

describe('the SQLite batch INSERT', () => {
  const insert = sqliteInsert(USAGE_TABLE, ROWS_PER_SLICE);
  const row = (overrides: Partial<UsageRecord> = {}) => recordValues(usageRecord({ team: null, ...overrides }), SQLITE_DIALECT);

  it('writes the seldom-set columns as their defaults where no row of the slice sets one, and reads them all where one does', () => {
    const plain = insert([row(), row({ stream: true, ttftMs: 12 })]);
    expect(plain.prepared).toBe('usage_insert_plain');
    expect(plain.text).toMatch(/\bNULL\b/);
    // Ten fewer fields in the JSON: 17 of a row's 27 non-body columns.
    expect(jsonParts(plain).map((part) => part[0]!.length).reduce((a, b) => a + b, 0)).toBe(17);
    for (const set of [{ team: 't' }, { cachedTokens: 1 }, { tokensEstimated: true }, { savedCostUsd: 0 }, { cacheWrite1hTokens: 1, cacheWriteTokens: 1 }, { metadata: { a: 'b' } }, { clientRequestId: 'client-id' }]) {
      const mixed = insert([row(), row(set)]);
      expect(mixed.prepared).toBe('usage_insert');
      expect(jsonParts(mixed).map((part) => part[0]!.length).reduce((a, b) => a + b, 0)).toBe(27);
    }
    expect(insert([row({ requestBody: 'x' })]).prepared).toBe('usage_insert_plain_bodies');
    expect(insert([row({ requestBody: 'x', errorCode: 'e' })]).prepared).toBe('usage_insert_bodies');
  });

  it('binds a value every row of the slice shares once, and carries it in the JSON only where the rows differ', () => {
    const shared = insert([row(), row({ latencyMs: 9 }), row({ latencyMs: 11 })]);
    // After the three JSON parts, one bound value for each often-shared column, in OFTEN_SHARED's order.
    expect(shared.values.slice(3, 12)).toEqual(['chat.completions', 'key-a', 'gpt-4o', 'openai', 'gpt-4o', 200, 'ok', 'miss', 0]);
    const json = (statement: Statement) => JSON.stringify(jsonParts(statement));
    expect(json(shared)).not.toContain('"chat.completions"');
    expect(json(shared)).not.toContain('"miss"');
    expect(shared.text).toContain(`coalesce(?${3 + 1 + 4}, `);

    const differing = insert([row(), row({ model: 'gpt-4o-mini', keyId: null })]);
    expect(differing.values.slice(3, 12)).toEqual(['chat.completions', null, 'gpt-4o', 'openai', null, 200, 'ok', 'miss', 0]);
    expect(json(differing)).toContain('"gpt-4o-mini"');
    expect(json(differing)).not.toContain('"chat.completions"');
    // A column every row leaves null is read from the JSON, not bound: no value to share.
    expect(insert([row({ keyId: null }), row({ keyId: null })]).values[4]).toBeNull();
    // An empty slice shares nothing (and inserts nothing).
    expect(insert([]).values.slice(3)).toEqual(Array.from({ length: 9 }, () => null));
  });
});

/** The slice's three JSON parts, parsed: rows of fields. */
function jsonParts(statement: Statement): unknown[][][] {
  return statement.values.slice(0, 3).map((part) => JSON.parse(String(part)) as unknown[][]);
}
