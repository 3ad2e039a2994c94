/**
 * A batch of many slices on PostgreSQL sends each slice's INSERT once the one before it is
 * answered. Needs DATABASE_URL.
 *
 * Before its fix (a review of the PostgreSQL log at scale): up to four were handed to one pg
 * client at once, which queued them itself, a use pg deprecates ("Calling client.query() when the
 * client is already executing a query is deprecated and will be removed in pg@9.0"): batch writes
 * would break on pg 9.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../core/logger.js';
import { openUsageLog } from '../../../../plugins/usage-logger/log/open-usage-log.js';
import { POSTGRES_ROWS_PER_SLICE } from '../../../../plugins/usage-logger/log/postgres-usage-log.js';
import { usageRecord } from './records.js';

const DATABASE_URL = process.env.DATABASE_URL;
const schema = `usage_one_query_${process.pid}_${Date.now().toString(36)}`;

afterAll(async () => {
  if (!DATABASE_URL) return;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

describe.skipIf(!DATABASE_URL)('a PostgreSQL batch of many slices', () => {
  it('sends one query at a time on its connection, and writes every record', async () => {
    const warnings: string[] = [];
    const heard = (warning: Error) => warnings.push(warning.message);
    process.on('warning', heard);
    const log = await openUsageLog(DATABASE_URL!, { logger: silentLogger, schema, batch: { maxBatch: 500, maxWaitMs: 10 } });
    try {
      await log.migrate();
      const records = Array.from({ length: POSTGRES_ROWS_PER_SLICE * 6 }, () => usageRecord());
      for (const record of records) log.write(record);
      await log.flush();
      expect(log.stats()).toMatchObject({ written: records.length, failedWrites: 0, dropped: 0 });
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((message) => message.includes('already executing a query'))).toEqual([]);
    } finally {
      process.off('warning', heard);
      await log.close();
    }
  }, 30_000);
});
