/**
 * The admin API's and the dashboard's reads of a PostgreSQL usage log that cannot answer: a
 * retryable 503 that says why, as on SQLite. Needs DATABASE_URL.
 *
 * Before its fix (a review of the PostgreSQL log at scale): a query PostgreSQL cancelled at its
 * statement timeout (the Overview's 30 days of three million rows) and a database that stopped
 * answering both reached the client as an opaque 500 `internal_error`, not retryable.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../core/logger.js';
import { openUsageLog } from '../../../../plugins/usage-logger/log/open-usage-log.js';
import { aggregateStatement } from '../../../../plugins/usage-logger/log/queries.js';
import { POSTGRES_DIALECT } from '../../../../plugins/usage-logger/log/postgres-usage-log.js';
import { startStallableProxy, type StallableProxy } from '../../../support/stallable-proxy.js';

const DATABASE_URL = process.env.DATABASE_URL;
const schema = `usage_read_failures_${process.pid}_${Date.now().toString(36)}`;
let proxy: StallableProxy | undefined;

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await proxy?.close();
  if (DATABASE_URL) await withClient((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
});

const day = { from: new Date(Date.now() - 86_400_000), to: new Date() };

describe.skipIf(!DATABASE_URL)('reads of a PostgreSQL usage log that cannot answer', () => {
  it('answers a query PostgreSQL cancelled at its statement timeout with a retryable 503', async () => {
    const log = await openUsageLog(DATABASE_URL!, { logger: silentLogger, schema, statementTimeoutMs: 300 });
    try {
      await log.migrate();
      // Another session holds the table: the read waits, and PostgreSQL cancels it (SQLSTATE 57014).
      await withClient(async (locker) => {
        await locker.query('BEGIN');
        await locker.query(`LOCK TABLE "${schema}".usage_records IN ACCESS EXCLUSIVE MODE`);
        try {
          await expect(log.list({ ...day, limit: 10 })).rejects.toMatchObject({ status: 503, code: 'usage_query_timeout', retryable: true, message: expect.stringContaining('shorter range') });
        } finally {
          await locker.query('ROLLBACK');
        }
      });
    } finally {
      await log.close();
    }
  }, 30_000);

  it('answers a read of a database that stopped answering with a retryable 503', async () => {
    const url = new URL(DATABASE_URL!);
    proxy = await startStallableProxy(url.hostname, Number(url.port || 5432));
    url.port = String(proxy.port);
    const log = await openUsageLog(url.toString(), { logger: silentLogger, schema, statementTimeoutMs: 300 });
    try {
      await log.migrate();
      proxy.stall('black-hole');
      await expect(log.aggregate({ ...day, groupBy: ['model'] })).rejects.toMatchObject({ status: 503, code: 'usage_log_unavailable', retryable: true });
    } finally {
      proxy.resume();
      await log.close();
    }
  }, 30_000);

  // Before: window functions sorting the range twice in a CTE (three million rows: past 10 s).
  it('asks PostgreSQL for percentiles as ordered-set aggregates', () => {
    const { text } = aggregateStatement('usage_records', { ...day, groupBy: ['model'], percentiles: true }, POSTGRES_DIALECT);
    expect(text).toContain('percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms)');
    expect(text).not.toContain('ROW_NUMBER');
  });
});
