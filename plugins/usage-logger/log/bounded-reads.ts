/**
 * The usage log's queries (the admin API's, the dashboard's), a few at a time and each bounded, so
 * that the log's own writes always have room beside them.
 *
 * On SQLite, `sqlite3` runs each query whole on a thread of libuv's pool, which has four, and which
 * DNS lookups (every new connection to an upstream), file reads and the log's batches share. Over
 * a month of a busy log a dashboard's figures are seconds of sorting each (measured: three million
 * rows, the Overview's 30 days and the Keys page's teams, 38 s), and queries asked at once took
 * every thread: a DNS lookup waited 11 s behind them, and so did the batches of usage records.
 * There, one runs at a time, and one that runs past `runMs` is interrupted. On PostgreSQL the
 * queries shared the pool's four connections with the batches, and four of them (the Overview's
 * three and the Keys page's) left a batch none for their 10 s: half the pool's connections (two)
 * at most run queries there. Either
 * way a query that cannot start within `waitMs` is refused; both refusals are a 503 saying why.
 */
import { GatewayError } from 'llm-gateway/plugin';
import type { Row } from './rows.js';

export interface Reader {
  all(sql: string, params: unknown[]): Promise<Row[]>;
  /** Stops what the connection runs now (sqlite3_interrupt: it fails with SQLITE_INTERRUPT); with `runMs`. */
  interrupt?(): void;
  /** What a failure of the database's own tells the caller (a 503 to retry), where it can say; else the error stands. */
  explain?(error: unknown): Error | undefined;
}

export interface ReadLimits {
  /** Queries running at once. */
  concurrency: number;
  /** Longest a query runs before it is interrupted (where the reader can be; PostgreSQL's own statement timeout bounds it there). */
  runMs?: number;
  /** Longest a query waits for a turn. */
  waitMs: number;
  /** Queries waiting at most; more are refused at once. */
  queued: number;
}

export const SQLITE_READ_LIMITS: ReadLimits = { concurrency: 1, runMs: 30_000, waitMs: 30_000, queued: 32 };
export const POSTGRES_READ_LIMITS: ReadLimits = { concurrency: 2, waitMs: 30_000, queued: 32 };

export class BoundedReads {
  private running = 0;
  /** Queries waiting for a turn, each started by calling it. */
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly reader: Reader,
    private readonly limits: ReadLimits,
  ) {
    // sqlite3_interrupt stops every statement the connection runs: one query at a time there.
    if (limits.runMs !== undefined && limits.concurrency !== 1) throw new Error('an interrupted reader runs one query at a time');
  }

  all(sql: string, params: unknown[]): Promise<Row[]> {
    if (this.running < this.limits.concurrency) return this.run(sql, params);
    if (this.waiting.length >= this.limits.queued) return Promise.reject(busy(`${this.limits.queued} queries are already waiting`));
    return new Promise((resolve, reject) => {
      const start = () => {
        clearTimeout(gaveUp);
        this.run(sql, params).then(resolve, reject);
      };
      const gaveUp = setTimeout(() => {
        // Its caller has its answer: the query is not run for no one.
        this.waiting.splice(this.waiting.indexOf(start), 1);
        reject(busy(`this one waited ${this.limits.waitMs / 1000} s for a turn`));
      }, this.limits.waitMs).unref();
      this.waiting.push(start);
    });
  }

  private async run(sql: string, params: unknown[]): Promise<Row[]> {
    this.running++;
    let interrupted = false;
    const { runMs } = this.limits;
    const timer =
      runMs === undefined
        ? undefined
        : setTimeout(() => {
            interrupted = true;
            this.reader.interrupt?.();
          }, runMs).unref();
    try {
      return await this.reader.all(sql, params);
    } catch (error) {
      if (!interrupted) throw this.reader.explain?.(error) ?? error;
      throw new GatewayError(
        'unavailable',
        `The usage log's query ran past ${runMs! / 1000} s and was stopped: ask for a shorter range (from, to) or fewer groups. A log this large answers faster in PostgreSQL (usageLogger({ url: 'postgres://…' })).`,
        { code: 'usage_query_timeout', cause: error },
      );
    } finally {
      clearTimeout(timer);
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

function busy(why: string): GatewayError {
  return new GatewayError('unavailable', `The usage log is busy with other queries (${why}); try again shortly.`, { code: 'usage_log_busy', retryable: true, retryAfterSeconds: 5 });
}
