/**
 * The SQLite usage log's queries (the admin API's, the dashboard's), one at a time and each bounded.
 *
 * `sqlite3` runs each query whole on a thread of libuv's pool, which has four, and which DNS
 * lookups (every new connection to an upstream), file reads and the log's own batches share.
 * Over a month of a busy log a dashboard's figures are seconds of sorting each (measured: three
 * million rows, the Overview's 30 days and the Keys page's teams, 38 s), and queries asked at once
 * took every thread: a DNS lookup waited 11 s behind them, and so did the batches of usage records.
 * One at a time, they hold one thread; a query that runs past `runMs` is interrupted, and one that
 * cannot start within `waitMs` is refused, both with a 503 that says why.
 */
import { GatewayError } from 'llm-gateway/plugin';
import type { Row } from './rows.js';

export interface SqliteReader {
  all(sql: string, params: unknown[]): Promise<Row[]>;
  /** Stops what the connection is running now (sqlite3_interrupt): it fails with SQLITE_INTERRUPT. */
  interrupt(): void;
}

export interface ReadLimits {
  /** Longest a query runs before it is interrupted. */
  runMs: number;
  /** Longest a query waits for the ones before it. */
  waitMs: number;
  /** Queries waiting at most; more are refused at once. */
  queued: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = { runMs: 30_000, waitMs: 30_000, queued: 32 };

export class BoundedReads {
  /** Settles when the query before the next one has. */
  private turn: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(
    private readonly reader: SqliteReader,
    private readonly limits: ReadLimits = DEFAULT_READ_LIMITS,
  ) {}

  all(sql: string, params: unknown[]): Promise<Row[]> {
    if (this.waiting >= this.limits.queued) return Promise.reject(busy(`${this.limits.queued} queries are already waiting`));
    this.waiting++;
    let gaveUp = false;
    let waited: NodeJS.Timeout | undefined;
    const tooLong = new Promise<never>((_, reject) => {
      waited = setTimeout(() => {
        gaveUp = true;
        reject(busy(`this one waited ${this.limits.waitMs / 1000} s for those before it`));
      }, this.limits.waitMs);
    });
    const ran = this.turn.then(() => {
      clearTimeout(waited);
      this.waiting--;
      // Its caller has its answer (busy): the query is not run for no one.
      return gaveUp ? undefined : this.run(sql, params);
    });
    this.turn = ran.catch(() => undefined);
    return Promise.race([ran as Promise<Row[]>, tooLong]);
  }

  private async run(sql: string, params: unknown[]): Promise<Row[]> {
    let interrupted = false;
    const timer = setTimeout(() => {
      interrupted = true;
      this.reader.interrupt();
    }, this.limits.runMs);
    try {
      return await this.reader.all(sql, params);
    } catch (error) {
      if (!interrupted) throw error;
      throw new GatewayError(
        'unavailable',
        `The usage log's query ran past ${this.limits.runMs / 1000} s and was stopped: ask for a shorter range (from, to) or fewer groups. A log this large answers faster in PostgreSQL (usageLogger({ url: 'postgres://…' })).`,
        { code: 'usage_query_timeout', cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

function busy(why: string): GatewayError {
  return new GatewayError('unavailable', `The usage log is busy with other queries (${why}); try again shortly.`, { code: 'usage_log_busy', retryable: true, retryAfterSeconds: 5 });
}
