/**
 * A PostgreSQL that stops answering mid-write (behind a proxy that swallows every byte): the batch
 * writer gives the hung INSERT a bounded wait, keeps the records, and writes every one of them once
 * the database answers again; none lost, none twice. Needs DATABASE_URL.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../core/logger.js';
import { openUsageLog } from '../../../../plugins/usage-logger/log/open-usage-log.js';
import { startStallableProxy, type StallableProxy } from '../../../support/stallable-proxy.js';
import { usageRecord } from './records.js';

const DATABASE_URL = process.env.DATABASE_URL;
const schema = `usage_hung_${process.pid}_${Date.now().toString(36)}`;
let proxy: StallableProxy | undefined;

async function query(sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await proxy?.close();
  if (DATABASE_URL) await query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
});

describe.skipIf(!DATABASE_URL)('a hung PostgreSQL', () => {
  it('a hung INSERT is a bounded wait: the records are kept and written once the database is back', async () => {
    const url = new URL(DATABASE_URL!);
    proxy = await startStallableProxy(url.hostname, Number(url.port || 5432));
    url.port = String(proxy.port);
    const log = await openUsageLog(url.toString(), { logger: silentLogger, schema, statementTimeoutMs: 500, batch: { maxBatch: 3, maxWaitMs: 50, writeTimeoutMs: 300, retries: 1, retryDelayMs: 20 } });
    try {
      proxy.stall('black-hole');
      for (const n of [1, 2, 3]) log.write(usageRecord({ requestId: `hung-${n}` }));
      // The batch is sent into the black hole, times out, is retried, and is kept.
      await expect.poll(() => log.stats().queued, { timeout: 5000 }).toBe(3);
      await new Promise((resolve) => setTimeout(resolve, 800));
      proxy.resume();
      await expect.poll(async () => Number((await query(`SELECT count(*) AS n FROM "${schema}".usage_records`)).rows[0].n), { timeout: 15_000, interval: 200 }).toBe(3);
      expect(log.stats()).toMatchObject({ queued: 0, written: 3, dropped: 0, failedWrites: 0 });
    } finally {
      await log.close();
    }
  }, 30_000);
});
