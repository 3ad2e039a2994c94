/**
 * PostgreSQL restarted (or failed over) under a running gateway, simulated by terminating the usage
 * log's own backends (a distinct application_name) again and again while records flow, and by
 * refusing connections for a while. No record is lost or written twice, each failure is logged, and
 * the pool recovers on its own. Written by the fifty-fourth session's review of what an operator
 * meets when a server restarts; it passed as first written (kept so that it stays so).
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import { openUsageLog } from '../../plugins/usage-logger/log/open-usage-log.js';
import { usageRecord } from '../plugins/usage-logger/log/records.js';

const DATABASE_URL = process.env.DATABASE_URL;
const tag = `review_state_${process.pid}_${Date.now().toString(36)}`;

async function query(sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}
const terminate = () => query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [tag]);

afterAll(async () => {
  if (DATABASE_URL) await query(`DROP SCHEMA IF EXISTS "${tag}" CASCADE`);
});

describe.skipIf(!DATABASE_URL)('PostgreSQL restarted under the usage log', () => {
  it('loses no record when the database drops its connections, at rest and mid-write', async () => {
    const url = new URL(DATABASE_URL!);
    url.searchParams.set('application_name', tag);
    const lines: string[] = [];
    const log = await openUsageLog(url.toString(), { logger: createLogger({ level: 'info', write: (l) => lines.push(l) }), schema: tag, batch: { maxBatch: 20, maxWaitMs: 20 } });
    try {
      let n = 0;
      for (let round = 0; round < 15; round++) {
        for (let i = 0; i < 30; i++) log.write(usageRecord({ requestId: `${tag}-${n++}` }));
        await new Promise((r) => setTimeout(r, (round % 5) * 10));
        await terminate();
        await new Promise((r) => setTimeout(r, 20));
      }
      await expect.poll(() => log.stats().queued, { timeout: 20_000, interval: 100 }).toBe(0);
      const stored = Number((await query(`SELECT count(*) AS n FROM "${tag}".usage_records`)).rows[0].n);
      expect(lines.some((line) => /WARN .*Postgres connection failed/.test(line))).toBe(true); // each drop is said
      expect(log.stats()).toMatchObject({ failedWrites: 0, dropped: 0 });
      expect(stored).toBe(n);
    } finally {
      await log.close();
    }
  }, 30_000);
  it('loses no record while the database refuses connections for seconds (a restart), then recovers on its own', async () => {
    const target = new URL(DATABASE_URL!);
    let down = false;
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      if (down) return void client.destroy();
      const server = connect(Number(target.port || 5432), target.hostname);
      sockets.add(client).add(server);
      const drop = () => { client.destroy(); server.destroy(); sockets.delete(client); sockets.delete(server); };
      client.on('error', drop).on('close', drop).pipe(server);
      server.on('error', drop).on('close', drop).pipe(client);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const url = new URL(DATABASE_URL!);
    url.hostname = '127.0.0.1';
    url.port = String((proxy.address() as AddressInfo).port);
    const schema = `${tag}_b`;
    const log = await openUsageLog(url.toString(), { logger: createLogger({ level: 'silent' }), schema, batch: { maxBatch: 20, maxWaitMs: 20 } });
    try {
      for (let i = 0; i < 10; i++) log.write(usageRecord({ requestId: `${schema}-a${i}` }));
      await expect.poll(() => log.stats().written, { timeout: 5000 }).toBe(10);
      down = true;
      for (const s of sockets) s.destroy();
      for (let i = 0; i < 50; i++) log.write(usageRecord({ requestId: `${schema}-b${i}` }));
      await new Promise((r) => setTimeout(r, 4000));
      down = false;
      for (let i = 0; i < 10; i++) log.write(usageRecord({ requestId: `${schema}-c${i}` }));
      await expect.poll(() => log.stats().queued, { timeout: 15_000, interval: 100 }).toBe(0);
      expect(log.stats()).toMatchObject({ written: 70, failedWrites: 0, dropped: 0 });
      expect(Number((await query(`SELECT count(*) AS n FROM "${schema}".usage_records`)).rows[0].n)).toBe(70);
    } finally {
      await log.close();
      proxy.close();
      await query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  }, 30_000);
});
