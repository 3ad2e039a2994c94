/**
 * Closing the PostgreSQL usage log (what SIGTERM does last) while PostgreSQL hangs: bounded, and
 * without an uncaught error from a connection given up. Needs DATABASE_URL.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../core/logger.js';
import { openUsageLog } from '../../../../plugins/usage-logger/log/open-usage-log.js';
import { startStallableProxy, type StallableProxy } from '../../../support/stallable-proxy.js';
import { usageRecord } from './records.js';

const DATABASE_URL = process.env.DATABASE_URL;
const schema = `review_state_close_${process.pid}_${Date.now().toString(36)}`;
let proxy: StallableProxy | undefined;

afterAll(async () => {
  await proxy?.close();
  if (!DATABASE_URL) return;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

describe.skipIf(!DATABASE_URL)('closing the usage log while PostgreSQL hangs', () => {
  /*
   * Promised (docs/reliability.md, "PostgreSQL (usage log) hangs mid-INSERT": each statement is
   * bounded by query_timeout "which also drops the hung connection"; "PostgreSQL down: ... flush()
   * is bounded; at shutdown what could not be written is counted as dropped and logged"; batcher.ts
   * close(): flush (5 s), then waits "briefly" (1 s) for a write in flight). docs/deployment.md's
   * systemd unit gives SIGTERM 20 s (TimeoutStopSec=20) of which requests may take 10 s.
   * What happens: close() takes about 21 s. After the bounded flush, release() calls pg's
   * pool.end(), which waits for the client still checked out by the hung batch: its BEGIN runs
   * into query_timeout (11 s), which does NOT drop the connection, then inTransaction's ROLLBACK is
   * sent on the same hung connection and waits another 11 s. A SIGTERM with PostgreSQL hung thus
   * outlives the unit's stop timeout and the gateway is SIGKILLed; the 5 unwritten records are
   * also reported as failed writes, not as dropped.
   */
  it('close() is bounded by the flush timeout', async () => {
    const url = new URL(DATABASE_URL!);
    proxy = await startStallableProxy(url.hostname, Number(url.port || 5432));
    url.port = String(proxy.port);
    // The shipped defaults: 10 s statement timeout, 5 s flush, 15 s write, 1 s batch wait.
    const log = await openUsageLog(url.toString(), { logger: silentLogger, schema });
    log.write(usageRecord({ requestId: 'close-0' }));
    await log.flush();
    proxy.stall('hold');
    for (let n = 1; n <= 5; n++) log.write(usageRecord({ requestId: `close-${n}` }));
    // Let the batch timer send the batch into the stalled connection.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const started = performance.now();
    await log.close();
    const tookMs = performance.now() - started;
    // flush (5 s), a write in flight (1 s), the pool's end (1 s): well inside a service manager's stop timeout (it took 21 s).
    expect(tookMs).toBeLessThan(10_000);
  }, 60_000);
});
