/**
 * A child process for sqlite-temp-store.test.ts: writes a few batches into a new SQLite usage log
 * (the built one, as users run it) and prints "written". SQLite reads SQLITE_TMPDIR once, when it
 * starts, hence a process of its own. `without-pragma` leaves out the writer's
 * `PRAGMA temp_store = MEMORY`: the test's control, showing where SQLite would put its files.
 * Usage: `node write-batches.mjs <file> [without-pragma]`.
 */
import sqlite3 from 'sqlite3';
import { silentLogger } from '../../../../dist/core/logger.js';
import { openUsageLog } from '../../../../dist/plugins/usage-logger/log/open-usage-log.js';

const [file, mode] = process.argv.slice(2);
if (mode === 'without-pragma') {
  const exec = sqlite3.Database.prototype.exec;
  sqlite3.Database.prototype.exec = function (sql, callback) {
    return exec.call(this, sql.includes('temp_store') ? 'SELECT 1' : sql, callback);
  };
}

const log = await openUsageLog(`sqlite://${file}`, { logger: silentLogger, batch: { maxBatch: 500 } });
const started = new Date();
for (let i = 0; i < 1200; i++) {
  log.write({
    requestId: `req-${i}`, startedAt: started, endpoint: 'chat.completions', keyId: 'key-a', team: null, requestedModel: 'mock/mock-small',
    provider: 'mock', model: 'mock-small', status: 200, outcome: 'ok', attempts: [{ provider: 'mock', model: 'mock-small', status: 200, latencyMs: 3 }],
    promptTokens: 9, completionTokens: 9, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, tokensEstimated: false, costUsd: 0.000007,
    latencyMs: 4, ttftMs: null, cache: 'none', stream: false, errorCode: null,
    requestBody: '{"model":"mock/mock-small","messages":[{"role":"user","content":"Hello"}]}', responseBody: 'Hello back', metadata: null,
  });
}
await log.flush();
const stats = log.stats();
await log.close();
process.stdout.write(`written ${stats.written}\n`);
