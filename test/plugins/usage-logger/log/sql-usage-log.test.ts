/**
 * How SqlUsageLog hands a batch's slices to its database, against a scripted backend: slices of
 * the backend's rows, fewer where their bodies are large; several statements queued at once (one
 * at a time, a busy event loop capped the writer below the requests it served), never more than
 * the bound, and a transaction that ends only once every statement of it has settled, rolled back
 * when one failed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../core/logger.js';
import type { Statement } from '../../../../plugins/usage-logger/log/queries.js';
import { ROWS_PER_SLICE, SLICE_BODY_CHARS, SqlUsageLog } from '../../../../plugins/usage-logger/log/sql-usage-log.js';
import { SQLITE_DIALECT } from '../../../../plugins/usage-logger/log/sqlite-usage-log.js';
import { usageRecord } from './records.js';

interface Pending {
  statement: Statement;
  settle: (error?: Error) => void;
}

/** A backend whose statements wait until the test settles them; it records what happened in order. */
class ScriptedLog extends SqlUsageLog {
  readonly events: string[] = [];
  readonly pending: Pending[] = [];
  mostInFlight = 0;

  constructor(rowsPerSlice?: number) {
    super('usage_records', SQLITE_DIALECT, silentLogger, { maxBatch: 1000, maxWaitMs: 60_000, retries: 0 }, (rows) => ({ text: 'INSERT', values: [rows.length] }), rowsPerSlice);
  }

  protected rows(): Promise<never[]> {
    return Promise.resolve([]);
  }

  protected execute(statement: Statement): Promise<number> {
    return new Promise((resolve, reject) => {
      this.events.push(`run ${String(statement.values[0])}`);
      this.pending.push({ statement, settle: (error) => (error ? reject(error) : resolve(1)) });
      this.mostInFlight = Math.max(this.mostInFlight, this.pending.length);
    });
  }

  protected async inTransaction(work: (execute: (statement: Statement) => Promise<number>) => Promise<void>): Promise<void> {
    this.events.push('BEGIN');
    try {
      await work((statement) => this.execute(statement));
      this.events.push('COMMIT');
    } catch (error) {
      this.events.push(`ROLLBACK after ${this.pending.length} in flight`);
      throw error;
    }
  }

  protected release(): Promise<void> {
    return Promise.resolve();
  }

  migrate(): Promise<number[]> {
    return Promise.resolve([]);
  }

  /** Settles the oldest statement in flight, then lets the writer react. */
  async settleOldest(error?: Error): Promise<void> {
    const oldest = this.pending.shift();
    if (!oldest) throw new Error('no statement in flight');
    oldest.settle(error);
    await new Promise((resolve) => setImmediate(resolve));
  }

  async settleAll(): Promise<void> {
    while (this.pending.length > 0) await this.settleOldest();
  }
}

const logs: ScriptedLog[] = [];
afterEach(async () => {
  for (const log of logs.splice(0)) {
    const closing = log.close();
    await log.settleAll();
    await closing;
  }
});

function scriptedLog(rowsPerSlice?: number): ScriptedLog {
  const log = new ScriptedLog(rowsPerSlice);
  logs.push(log);
  return log;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

describe('SqlUsageLog: a batch\'s slices', () => {
  it('queues up to four statements before the first is done, and the next as each finishes', async () => {
    const log = scriptedLog();
    const records = 10 * ROWS_PER_SLICE;
    for (let i = 0; i < records; i++) log.write(usageRecord());
    const flushed = log.flush();
    await until(() => log.pending.length === 4);
    expect(log.events).toEqual(['BEGIN', ...Array.from({ length: 4 }, () => `run ${ROWS_PER_SLICE}`)]);

    await log.settleOldest();
    expect(log.pending).toHaveLength(4);
    await log.settleAll();
    await flushed;

    expect(log.mostInFlight).toBe(4);
    expect(log.events.filter((e) => e.startsWith('run'))).toHaveLength(10);
    expect(log.events.at(-1)).toBe('COMMIT');
    expect(log.stats()).toMatchObject({ written: records, failedWrites: 0, queued: 0 });
  });

  it('takes the backend\'s rows a slice, and fewer once their bodies reach SLICE_BODY_CHARS, deferred bodies included', async () => {
    const log = scriptedLog(64);
    const quarter = 'x'.repeat(SLICE_BODY_CHARS / 4);
    for (let i = 0; i < 70; i++) log.write(usageRecord());
    // Two rows of a quarter each (one body a string, one deferred), then a row of half: those three fill a slice.
    log.write(usageRecord({ requestBody: quarter }));
    log.write({ ...usageRecord(), responseBody: () => quarter });
    log.write({ ...usageRecord({ requestBody: quarter }), responseBody: () => quarter });
    for (let i = 0; i < 5; i++) log.write(usageRecord({ requestBody: 'small' }));
    const flushed = log.flush();
    await until(() => log.pending.length === 3);
    await log.settleAll();
    await flushed;
    expect(log.events.filter((e) => e.startsWith('run'))).toEqual(['run 64', 'run 9', 'run 5']);
    expect(log.stats()).toMatchObject({ written: 78, failedWrites: 0 });
  });

  it('rolls back only after every statement in flight has settled when one fails, and counts the batch failed', async () => {
    const log = scriptedLog();
    const records = 6 * ROWS_PER_SLICE;
    for (let i = 0; i < records; i++) log.write(usageRecord());
    const flushed = log.flush();
    await until(() => log.pending.length === 4);

    await log.settleOldest(new Error('disk I/O error'));
    // No new statement after a failure; the three still queued finish first.
    expect(log.pending).toHaveLength(3);
    expect(log.events).not.toContain('ROLLBACK after 3 in flight');
    await log.settleAll();
    await flushed;

    expect(log.events.filter((e) => e.startsWith('run'))).toHaveLength(4);
    expect(log.events.at(-1)).toBe('ROLLBACK after 0 in flight');
    expect(log.stats()).toMatchObject({ written: 0, failedWrites: records });
  });
});
