/**
 * What the SQLite and Postgres usage logs have in common: the write-behind queue in front of
 * INSERTs of rows carried as JSON, and reads built by queries.ts. A backend brings a driver (run a statement,
 * return rows or a count), its dialect, its migration runner and how to let go of the database.
 */
import type { Logger } from 'llm-gateway/plugin';
import { WriteBehindBatcher, type BatchOptions } from './batcher.js';
import {
  aggregateStatement,
  encodeCursor,
  listStatement,
  pruneStatement,
  readAggregates,
  type Dialect,
  type Statement,
} from './queries.js';
import type { UsageRecord, UsageRecordInput } from './record.js';
import { recordValues, resolveDeferredBodies, rowToRecord, type Row } from './rows.js';
import type { LogQuery, UsageAggregate, UsageLog, UsageLogStats, UsageQuery } from './usage-log.js';

/**
 * Most rows a statement inserts on SQLite, whose INSERT reads each row's fields from the slice's
 * JSON by walking its array to the row: a row costs more the further in it is. PostgreSQL takes
 * more (postgres-usage-log.ts).
 */
export const ROWS_PER_SLICE = 16;

/** Body text a page of `list` holds before it ends early (characters): a couple of megabytes to send. */
export const PAGE_BODY_CHARS = 2 * 1024 * 1024;

/** Records one statement of `prune` deletes: well within PostgreSQL's statement timeout, and a short hold of SQLite's writer. */
export const PRUNE_ROWS_AT_ONCE = 5_000;

/**
 * Most body text a slice's rows carry between them (characters), so that its main-thread work
 * (bodies capped, redacted and serialised, the slice turned into JSON) stays about a millisecond
 * however large the bodies: sixteen rows of two 8 KB bodies, or one row of larger ones.
 */
export const SLICE_BODY_CHARS = 256 * 1024;

/**
 * Slices handed to the database before the first of them is done. The database answers a slice
 * in a callback the event loop runs on its next turn, and a busy gateway's turn takes
 * milliseconds: one slice at a time, the writer managed a slice a turn (about 4,300 rows a
 * second on SQLite, pinned to one core), fewer than the requests that core served, so the
 * queue grew without end under a saturating load and its records lived long enough to be promoted
 * into the old generation. With four queued, SQLite runs the next while the event loop is busy
 * (each on its own copy of the statement: sqlite-usage-log.ts), and a turn ends up to four
 * slices, still a slice's main-thread work at a time. On PostgreSQL the queue only has the next
 * slices built before the last one's answer comes: pg sends one query at a time, each once the
 * event loop has read the last one's answer.
 */
export const SLICES_IN_FLIGHT = 4;

/** A record encoded for INSERT, in column order. */
type EncodedRow = unknown[];

export abstract class SqlUsageLog implements UsageLog {
  private readonly batcher: WriteBehindBatcher<EncodedRow>;
  /**
   * A backend whose connection takes one query at a time (pg): a slice's statement is sent once
   * the one before it is answered, the next slices still built meanwhile. pg queued the extra
   * ones itself, which it deprecates (removed in pg 9: "Calling client.query() when the client is
   * already executing a query").
   */
  protected readonly oneQueryAtATime: boolean = false;
  private closing: Promise<void> | undefined;
  /** Records refused on write because they could not be encoded; reported as failed writes. */
  private refused = 0;

  protected constructor(
    /** The table's name as SQL (schema-qualified and quoted where needed). */
    protected readonly table: string,
    protected readonly dialect: Dialect,
    protected readonly logger: Logger,
    batch: BatchOptions | undefined,
    /** The INSERT of a slice of at most `rowsPerSlice` rows (`insertText`). */
    private readonly insertStatement: (rows: readonly EncodedRow[]) => Statement,
    private readonly rowsPerSlice = ROWS_PER_SLICE,
  ) {
    this.batcher = new WriteBehindBatcher((rows) => this.insert(rows), logger, batch, (row) => void resolveDeferredBodies(row));
  }

  /** Runs a statement and returns its rows. */
  protected abstract rows(statement: Statement): Promise<Row[]>;
  /** Runs a statement and returns how many rows it changed. */
  protected abstract execute(statement: Statement): Promise<number>;
  /** Runs `work`'s statements in one transaction: committed together, or rolled back together when one fails. */
  protected abstract inTransaction(work: (execute: (statement: Statement) => Promise<number>) => Promise<void>): Promise<void>;
  /** Releases the connection or pool; called once, after the queue has been flushed. */
  protected abstract release(): Promise<void>;
  /** Applies the migrations not yet applied; returns their versions (empty when up to date). */
  abstract migrate(): Promise<number[]>;

  write(record: UsageRecordInput): void {
    let row: EncodedRow;
    try {
      row = recordValues(record, this.dialect);
    } catch (error) {
      // One bad record must neither throw at the request nor take its batch down with it.
      this.refused++;
      this.logger.error('usage record refused', { requestId: record?.requestId, error: error instanceof Error ? error : new Error(String(error)) });
      return;
    }
    this.batcher.push(row);
  }

  flush(): Promise<void> {
    return this.batcher.flush();
  }

  async aggregate(query: UsageQuery): Promise<UsageAggregate[]> {
    return readAggregates(await this.rows(aggregateStatement(this.table, query, this.dialect)), query);
  }

  async list(query: LogQuery): Promise<{ records: UsageRecord[]; nextCursor: string | null }> {
    const { statement, limit } = listStatement(this.table, query, this.dialect);
    const rows = await this.rows(statement);
    const records: UsageRecord[] = [];
    let bodyChars = 0;
    for (const row of rows.slice(0, limit)) {
      // A page ends early once its bodies pass PAGE_BODY_CHARS (with one record at least): the
      // next page goes on from there. 500 records of two 16 KB bodies were 16 MB, serialised in one
      // piece (150-190 ms with nothing else served).
      if (records.length > 0 && bodyChars >= PAGE_BODY_CHARS) break;
      const record = rowToRecord(row);
      bodyChars += (record.requestBody?.length ?? 0) + (record.responseBody?.length ?? 0);
      records.push(record);
    }
    const last = records.at(-1);
    return { records, nextCursor: (rows.length > records.length) && last ? encodeCursor(last) : null };
  }

  /**
   * Deletes the records started before `olderThan`, `rowsAtOnce` a statement, the oldest first.
   * One DELETE of every such record ran past PostgreSQL's 10 s statement timeout once there were
   * a few million (measured: six million rows, six hours at about 280 requests a second, failed
   * at 10 s; in statements of 5,000 they went in 77 s), every time, so the log was never pruned
   * again; on SQLite it held the writer, and the batches waited, for as long.
   */
  async prune(olderThan: Date, rowsAtOnce = PRUNE_ROWS_AT_ONCE): Promise<number> {
    let deleted = 0;
    for (;;) {
      const now = await this.execute(pruneStatement(this.table, olderThan, rowsAtOnce, this.dialect));
      deleted += now;
      if (now < rowsAtOnce || this.closing) return deleted;
    }
  }

  stats(): UsageLogStats {
    const stats = this.batcher.stats();
    return { ...stats, failedWrites: stats.failedWrites + this.refused };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.batcher.close();
      await this.release();
    })();
    return this.closing;
  }

  /**
   * The batcher's sink: one transaction per batch (one commit, one fsync), its rows inserted a
   * slice a statement, up to SLICES_IN_FLIGHT statements queued. The main thread's share of a row
   * (its bodies serialised, capped and redacted; the slice turned into JSON) is up to tens of µs,
   * so a batch of 500 in
   * one statement held every request waiting behind it for tens of milliseconds, once per batch:
   * at c=64 that was a spike in the p99 of every request in flight. Between slices, while SQLite or
   * Postgres runs the statement, requests are served. The inserts are idempotent, so a batch
   * retried after a failure is harmless.
   */
  private insert(rows: EncodedRow[]): Promise<void> {
    return this.inTransaction(async (execute) => {
      // Each slice's statement settles into `failure` rather than rejecting, so none is left
      // unhandled, and the transaction ends (committed or rolled back) only once all have settled.
      const running: Array<Promise<void>> = [];
      let failure: { error: unknown } | undefined;
      for (let start = 0; start < rows.length && failure === undefined; ) {
        let statement: Statement;
        try {
          // Bodies are captured, redacted and serialised here, behind the requests (a retried batch finds them done).
          let end = start;
          let bodyChars = 0;
          do bodyChars += resolveDeferredBodies(rows[end++]!);
          while (end < rows.length && end - start < this.rowsPerSlice && bodyChars < SLICE_BODY_CHARS);
          statement = this.insertStatement(rows.slice(start, end));
          start = end;
        } catch (error) {
          failure = { error };
          break;
        }
        const before = this.oneQueryAtATime ? running[running.length - 1] : undefined;
        const sent = before ? before.then(() => execute(statement)) : execute(statement);
        running.push(sent.then(noop, (error: unknown) => void (failure ??= { error })));
        if (running.length >= SLICES_IN_FLIGHT) await running.shift();
      }
      await Promise.all(running);
      if (failure !== undefined) throw failure.error;
    });
  }
}

function noop(): void {}
