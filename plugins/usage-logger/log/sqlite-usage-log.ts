/**
 * The usage log in one SQLite file (the `sqlite3` driver, promisified here), for a single gateway
 * or a small team. WAL mode lets the dashboard read while a batch is written; timestamps are
 * integer milliseconds so ranges and buckets are plain integer arithmetic.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import sqlite3 from 'sqlite3';
import type { Logger } from 'llm-gateway/plugin';
import type { BatchOptions } from './batcher.js';
import { MIGRATIONS_TABLE, checkMigrations, pendingMigrations } from './migrations.js';
import { insertText, type Dialect, type Statement } from './queries.js';
import { BODY_COLUMNS, USAGE_COLUMNS, USAGE_TABLE, storableJson, storableText, type Row } from './rows.js';
import { BoundedReads, SQLITE_READ_LIMITS, type ReadLimits } from './bounded-reads.js';
import { ROWS_PER_SLICE, SLICES_IN_FLIGHT, SqlUsageLog } from './sql-usage-log.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export const SQLITE_DIALECT: Dialect = {
  // Anonymous placeholders: SQLite resolves numbered ones (?NNN) so slowly that a 500-row INSERT
  // took 250 ms instead of 20. queries.ts adds values in the order their placeholders appear.
  param: () => '?',
  time: (date) => date.getTime(),
  bool: (value) => (value ? 1 : 0),
  // Integer division truncates to the bucket; UTC because epoch milliseconds are.
  bucket: (unit) => {
    const ms = unit === 'minute' ? 60_000 : unit === 'hour' ? HOUR_MS : DAY_MS;
    return `((started_at / ${ms}) * ${ms})`;
  },
};

/** See sqliteInsert: fewer than SQLite 3.44's four cached JSON texts. */
const JSON_PARTS = 3;

/**
 * Columns that most rows leave at their default (NULL, or 0 for counts and flags), each with that
 * default: no team, no cached, written or reasoning tokens, an upstream's own count, no error, no
 * metadata, no cache hit, no client's own request id. See sqliteInsert.
 */
const SELDOM_SET: ReadonlyMap<number, null | 0> = new Map(
  (
    [
      ['team', null],
      ['cached_tokens', 0],
      ['cache_write_tokens', 0],
      ['reasoning_tokens', 0],
      ['tokens_estimated', 0],
      ['error_code', null],
      ['metadata', null],
      ['saved_cost_usd', null],
      ['cache_write_1h_tokens', 0],
      ['client_request_id', null],
    ] as const
  ).map(([column, unset]) => [USAGE_COLUMNS.indexOf(column), unset]),
);

/**
 * The batch INSERT on SQLite. A slice's fields travel as JSON in three bind values, a third of the
 * columns each (row by row: `[[request_id, started_at, …], …]`), and each field is read by path
 * from its part (`?p ->> '$[row][i]'`); `json_each` over the first part makes the rows. `->>`
 * hands back SQL's own types: JSON numbers as INTEGER or REAL, strings as TEXT, null as NULL.
 *
 * Why three: SQLite 3.44 (sqlite3's own copy) keeps the JSON texts a statement reads parsed, four
 * at most, and finds one again by comparing the whole text on every read. With the slice as one
 * text, each of a row's 25 reads compared all of it, and walked its row to the field; in three
 * parts each compares and walks a third. A usage row with the bench's bodies: 136 → 123 thousand
 * instructions (121 → 112 without bodies); four parts counted 125, five thrash the cache (200).
 * (Reading `value ->> i` from json_each's row instead parses the row again for each field; binding
 * every value costs sqlite3 about 0.5 µs a value on the main thread. docs/performance-history.md.)
 *
 * A slice none of whose rows sets a column of SELDOM_SET has those columns written as their
 * defaults, in the statement's text, and left out of the JSON: nine reads fewer a row took
 * SQLite's work on a row from 76 to 58 thousand instructions (callgrind, the bench's rows with
 * bodies), and the shared values of OFTEN_SHARED (below) to 43. A slice where any row sets one
 * reads them all as above.
 * Per slice and not per row: a choice made row by row (a CASE on each field, or those fields read
 * from json_each's row of a fourth part) cost a row that sets one more than it saved on a row that
 * does not (a coding agent's rows mostly have cached tokens).
 *
 * The bodies are not in the JSON: they are bound as parameters of their own, two a row, picked by
 * the row's position, so that no read compares kilobytes of them. A slice without bodies (the
 * default keeps none) uses the statement without those parameters: each bound null costs too.
 * Four statements in all: with and without bodies, with and without the seldom-set columns.
 */
export function sqliteInsert(table: string, rowsPerStatement: number): (rows: ReadonlyArray<readonly unknown[]>) => Statement {
  const all = insertLayout(table, rowsPerStatement, []);
  const plain = insertLayout(table, rowsPerStatement, [...SELDOM_SET]);
  const leavesSeldomUnset = (row: readonly unknown[]) => {
    for (const [index, unset] of SELDOM_SET) if (row[index] !== unset) return false;
    return true;
  };
  return (rows) => {
    if (rows.length > rowsPerStatement) throw new RangeError(`a slice of ${rows.length} rows, more than ${rowsPerStatement}`);
    return (rows.every(leavesSeldomUnset) ? plain : all)(rows);
  };
}

/**
 * Columns whose value is often the same in every row of a slice (one client's endpoint, key and
 * model, all answered alike): each has a bind value of its own, set when every row shares a
 * value (the column is then null in the JSON) and null when they differ, and is read as
 * `coalesce(?u, <read by path>)`, which reads the JSON only where the bound value is null. A bound
 * value costs sqlite3 about half a microsecond on the main thread, once a slice of up to 16 rows;
 * each shared column spares SQLite a read by path (about two thousand instructions) on every row.
 */
const OFTEN_SHARED = (['endpoint', 'key_id', 'requested_model', 'provider', 'model', 'status', 'outcome', 'cache', 'stream'] as const).map((column) => USAGE_COLUMNS.indexOf(column));

/** The INSERT of a slice with `constant` columns written as those values, every other column read from the JSON parts. */
function insertLayout(table: string, rowsPerStatement: number, constant: ReadonlyArray<readonly [index: number, value: null | 0]>): (rows: ReadonlyArray<readonly unknown[]>) => Statement {
  const written = new Map(constant.map(([index, value]) => [index, value === null ? 'NULL' : String(value)]));
  const jsonColumns = USAGE_COLUMNS.map((_, index) => index).filter((index) => !BODY_COLUMNS.includes(index) && !written.has(index));
  const perPart = Math.ceil(jsonColumns.length / JSON_PARTS);
  const parts = Array.from({ length: JSON_PARTS }, (_, part) => jsonColumns.slice(part * perPart, (part + 1) * perPart));
  const sharedParam = new Map(OFTEN_SHARED.map((index, i) => [index, JSON_PARTS + 1 + i]));
  const jsonField = new Map(
    parts.flatMap((columns, part) =>
      columns.map((index, i) => {
        const read = `?${part + 1} ->> ('$[' || key || '][${i}]')`;
        const shared = sharedParam.get(index);
        return [index, shared === undefined ? read : `coalesce(?${shared}, ${read})`] as const;
      }),
    ),
  );
  const statement = (body: (index: number) => string) => insertText(table, (index) => jsonField.get(index) ?? written.get(index) ?? body(index), 'json_each(?1)');
  const withoutBodies = statement(() => 'NULL');
  const firstBody = JSON_PARTS + OFTEN_SHARED.length + 1;
  // The row's own parameter, after the parts and the shared values: the first two for the first row's bodies, the next two for the second's…
  const withBodies = statement((index) => {
    const body = BODY_COLUMNS.indexOf(index);
    return `CASE key ${Array.from({ length: rowsPerStatement }, (_, row) => `WHEN ${row} THEN ?${firstBody + row * 2 + body}`).join(' ')} END`;
  });
  const name = constant.length > 0 ? 'usage_insert_plain' : 'usage_insert';
  return (rows) => {
    const shared: unknown[] = [];
    // Where every row shares a value, the JSON carries null for it (the bound value is read).
    const inJson = USAGE_COLUMNS.map(() => true);
    for (const index of OFTEN_SHARED) {
      const value = rows[0]?.[index];
      let same = value !== null && value !== undefined;
      for (let row = 1; same && row < rows.length; row++) same = rows[row]![index] === value;
      shared.push(same ? (typeof value === 'string' ? storableText(value) : value) : null);
      if (same) inJson[index] = false;
    }
    const values: unknown[] = [];
    for (const columns of parts) values.push(storableJson(JSON.stringify(partOfSlice(rows, columns, inJson))));
    values.push(...shared);
    if (!rows.some((row) => BODY_COLUMNS.some((index) => row[index] != null))) return { text: withoutBodies, values, prepared: name };
    for (let row = 0; row < rowsPerStatement; row++) for (const index of BODY_COLUMNS) values.push(storableText(rows[row]?.[index]));
    return { text: withBodies, values, prepared: `${name}_bodies` };
  };
}

/**
 * One JSON part's values, row by row, in arrays built by `push`: `map` makes holey arrays, which
 * JSON.stringify (Node 20's V8) reads element by element through its slow path. Packed, a slice
 * of the bench's rows is serialised in 13.3 rather than 18.7 thousand instructions a row.
 */
function partOfSlice(rows: ReadonlyArray<readonly unknown[]>, columns: readonly number[], inJson: readonly boolean[]): unknown[][] {
  const part: unknown[][] = [];
  for (const row of rows) {
    const values: unknown[] = [];
    for (const index of columns) values.push(inJson[index] ? row[index] : null);
    part.push(values);
  }
  return part;
}

export interface SqliteUsageLogOptions {
  /** A path (relative to the working directory) or ':memory:'. */
  file: string;
  logger: Logger;
  batch?: BatchOptions;
  /** How long a statement waits for another process's write lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /** How long a query may run and wait for those before it, and how many may wait (bounded-reads.ts). */
  readLimits?: Partial<ReadLimits>;
}

export class SqliteUsageLog extends SqlUsageLog {
  private constructor(
    /** Batches, pruning and migrations: one writer, its temporary storage in memory (`open`). */
    private readonly writer: SqliteConnection,
    /**
     * The admin API's and the dashboard's queries, on a connection of their own: they neither wait
     * behind a batch nor keep their sorts in memory (a percentile over a week of a busy log sorts
     * every row of it, and SQLite spills such a sort to a temporary file). With ':memory:' it is
     * the writer: another connection would open another database.
     */
    private readonly reader: SqliteConnection,
    logger: Logger,
    batch: BatchOptions | undefined,
    readLimits: Partial<ReadLimits> | undefined,
  ) {
    super(USAGE_TABLE, SQLITE_DIALECT, logger, batch, sqliteInsert(USAGE_TABLE, ROWS_PER_SLICE));
    this.reads = new BoundedReads(reader, { ...SQLITE_READ_LIMITS, ...readLimits });
  }

  /** The reader's queries, one at a time and each bounded. */
  private readonly reads: BoundedReads;

  /** Opens (creating the file and its directory) without migrating; openUsageLog migrates. */
  static async open(options: SqliteUsageLogOptions): Promise<SqliteUsageLog> {
    const file = options.file === ':memory:' ? ':memory:' : resolve(options.file);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    const opened: SqliteConnection[] = [];
    try {
      const writer = await SqliteConnection.open(file, busyTimeoutMs);
      opened.push(writer);
      // WAL: readers do not block the writer. synchronous stays FULL so flush() means on disk;
      // with a transaction per batch of hundreds of records the fsync per commit is cheap.
      await retryWhileBusy(() => writer.exec('PRAGMA journal_mode = WAL'), busyTimeoutMs);
      // For each of a batch's multi-row INSERTs SQLite wrote temporary data to a file of its own
      // (etilqs_*, seen with strace), whatever the statement's conflict clause: two write syscalls
      // of every three a usage row cost. In memory it is a statement's or a batch's worth, freed
      // when it ends; this connection runs nothing else that keeps temporary data (the reader's
      // queries, whose sorts can be as large as the log, keep SQLite's default).
      await writer.exec('PRAGMA temp_store = MEMORY');
      if (file === ':memory:') return new SqliteUsageLog(writer, writer, options.logger, options.batch, options.readLimits);
      const reader = await SqliteConnection.open(file, busyTimeoutMs);
      opened.push(reader);
      return new SqliteUsageLog(writer, reader, options.logger, options.batch, options.readLimits);
    } catch (error) {
      await Promise.all(opened.map((connection) => connection.close().catch(() => undefined)));
      // SQLite's own errors name no file, and a gateway has two.
      throw (error as Error).message.includes(file) ? error : new Error(`cannot open the SQLite usage log at ${file}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * BEGIN IMMEDIATE takes the write lock before reading the applied versions, so a second process
   * starting at once waits (busy timeout) and then sees them; DDL in SQLite is transactional.
   */
  async migrate(): Promise<number[]> {
    checkMigrations();
    await this.writer.exec('BEGIN IMMEDIATE');
    try {
      await this.writer.exec(MIGRATIONS_TABLE.sqlite);
      const applied = await this.writer.all('SELECT version FROM usage_migrations');
      const pending = pendingMigrations(applied.map((row) => Number(row.version)));
      for (const migration of pending) {
        for (const sql of migration.sqlite) await this.writer.run({ text: sql, values: [] });
        await this.writer.run({ text: 'INSERT INTO usage_migrations (version, description, applied_at) VALUES (?1, ?2, ?3)', values: [migration.version, migration.description, Date.now()] });
      }
      await this.writer.exec('COMMIT');
      if (pending.length > 0) this.logger.info('usage log migrated', { versions: pending.map((m) => m.version) });
      return pending.map((m) => m.version);
    } catch (error) {
      await this.writer.exec('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  protected rows(statement: Statement): Promise<Row[]> {
    return this.reads.all(statement.text, statement.values);
  }

  protected execute(statement: Statement): Promise<number> {
    return this.writer.run(statement);
  }

  /**
   * BEGIN IMMEDIATE: the write lock is taken first, so a batch never fails halfway for another
   * process's lock. Only batches write on this connection, one at a time (the batcher); a read
   * that runs meanwhile sees the batch's rows early, which does no harm.
   */
  protected async inTransaction(work: (execute: (statement: Statement) => Promise<number>) => Promise<void>): Promise<void> {
    await this.writer.exec('BEGIN IMMEDIATE');
    try {
      await work((statement) => this.writer.run(statement));
      await this.writer.exec('COMMIT');
    } catch (error) {
      await this.writer.exec('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  protected async release(): Promise<void> {
    if (this.reader !== this.writer) await this.reader.close().catch((error: Error) => this.logger.warn('could not close the usage log\'s reader', { error: error.message }));
    await this.writer.close();
  }
}

/**
 * Switching to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at once, without the
 * busy handler, when two connections try it together (each would wait for the other). Two
 * replicas starting on a new file do exactly that, so the loser retries until the timeout.
 */
async function retryWhileBusy(action: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await action();
    } catch (error) {
      const busy = error instanceof Error && (error as Error & { code?: string }).code === 'SQLITE_BUSY';
      if (!busy || Date.now() >= deadline) throw error;
      await new Promise((resolveSleep) => setTimeout(resolveSleep, 10 + Math.random() * 40));
    }
  }
}

/** The callback API of `sqlite3`, as promises; only what the usage log needs. */
class SqliteConnection {
  private readonly prepared = new Map<string, sqlite3.Statement>();
  /**
   * Which copy of a prepared statement runs next. sqlite3 runs one statement object's calls one
   * after another, each started from the main thread when the last one's callback ran there, so
   * slices queued on one object still advanced one an event-loop turn; each of the copies (as
   * many as the usage log queues slices) is started as soon as it is called.
   */
  private nextCopy = 0;

  private constructor(private readonly db: sqlite3.Database) {}

  /** Opens `file`; a statement waits up to `busyTimeoutMs` for another connection's write lock. */
  static open(file: string, busyTimeoutMs: number): Promise<SqliteConnection> {
    return new Promise((resolvePromise, reject) => {
      const db: sqlite3.Database = new sqlite3.Database(file, (error) => {
        if (error) return reject(error);
        db.configure('busyTimeout', busyTimeoutMs);
        resolvePromise(new SqliteConnection(db));
      });
    });
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolvePromise, reject) => this.db.exec(sql, (error) => (error ? reject(error) : resolvePromise())));
  }

  /** Resolves with the number of rows changed. A `prepared` statement is prepared on first use and kept until close. */
  run(statement: Statement): Promise<number> {
    return new Promise((resolvePromise, reject) => {
      const done = function (this: sqlite3.RunResult, error: Error | null) {
        if (error) reject(error);
        else resolvePromise(this.changes);
      };
      if (statement.prepared === undefined) this.db.run(statement.text, statement.values, done);
      else this.preparedStatement(`${statement.prepared}#${(this.nextCopy = (this.nextCopy + 1) % SLICES_IN_FLIGHT)}`, statement.text, reject).run(statement.values, done);
    });
  }

  /**
   * Only the usage log's own fixed statements are prepared (four: sqliteInsert's, each in
   * SLICES_IN_FLIGHT copies), so the map stays small. A statement that fails to prepare is dropped,
   * so that the next try prepares it again, and fails the run that prepared it through
   * `onPrepareError`: sqlite3 never calls back a run queued on a statement that did not prepare
   * (the table dropped under a running log: that run waited out the write timeout).
   */
  private preparedStatement(prepared: string, text: string, onPrepareError: (error: Error) => void): sqlite3.Statement {
    const known = this.prepared.get(prepared);
    if (known) return known;
    const statement = this.db.prepare(text, (error) => {
      if (!error) return;
      this.prepared.delete(prepared);
      onPrepareError(error);
    });
    this.prepared.set(prepared, statement);
    return statement;
  }

  all(sql: string, params: unknown[] = []): Promise<Row[]> {
    return new Promise((resolvePromise, reject) =>
      this.db.all<Row>(sql, params, (error, rows) => (error ? reject(error) : resolvePromise(rows))),
    );
  }

  interrupt(): void {
    this.db.interrupt();
  }

  /** Prepared statements are finalized first: SQLite refuses to close a connection that still has them. */
  async close(): Promise<void> {
    const statements = [...this.prepared.values()];
    this.prepared.clear();
    await Promise.all(statements.map((statement) => new Promise<void>((resolveFinalized) => statement.finalize(() => resolveFinalized()))));
    return new Promise((resolvePromise, reject) => this.db.close((error) => (error ? reject(error) : resolvePromise())));
  }
}
