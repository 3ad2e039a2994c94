/**
 * A child process for sqlite-temp-store.test.ts: writes a few batches into a new SQLite usage log
 * and prints "written N". SQLite reads SQLITE_TMPDIR once, when it starts, hence a process of its
 * own. `without-pragma` leaves out the writer's `PRAGMA temp_store = MEMORY`: the test's control,
 * showing where SQLite would put its files.
 * Usage: `node --import tsx write-batches.ts <file> [without-pragma]`.
 */
import sqlite3 from 'sqlite3';
import { silentLogger } from '../../../../core/logger.js';
import { openUsageLog } from '../../../../plugins/usage-logger/log/open-usage-log.js';
import { usageRecord } from './records.js';

const [file, mode] = process.argv.slice(2);
if (mode === 'without-pragma') {
  const exec = sqlite3.Database.prototype.exec;
  sqlite3.Database.prototype.exec = function (this: sqlite3.Database, sql: string, callback?: (error: Error | null) => void) {
    return exec.call(this, sql.includes('temp_store') ? 'SELECT 1' : sql, callback);
  };
}

const log = await openUsageLog(`sqlite://${file}`, { logger: silentLogger, batch: { maxBatch: 500 } });
for (let i = 0; i < 1200; i++) log.write(usageRecord({ requestBody: '{"model":"mock/mock-small","messages":[{"role":"user","content":"Hello"}]}', responseBody: 'Hello back' }));
await log.flush();
const { written } = log.stats();
await log.close();
process.stdout.write(`written ${written}\n`);
