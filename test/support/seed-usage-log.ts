/**
 * A SQLite usage log of many records made by SQLite itself (one statement: a million rows in
 * seconds rather than minutes through the writer), for tests of what reads a log of months.
 */
import sqlite3 from 'sqlite3';
import { silentLogger } from '../../core/logger.js';
import { openUsageLog } from '../../plugins/usage-logger/log/open-usage-log.js';

function run(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<void> {
  return new Promise((resolve, reject) => db.run(sql, params, (e) => (e ? reject(e) : resolve())));
}

/**
 * `rows` records spread over the `days` days before now (the newest a minute ago), across `teams`
 * teams (team-0, team-1…) and `keys` keys (key-0…), four providers and twelve models; one in
 * fifty an error.
 */
export async function seedUsageLog(file: string, opts: { rows: number; days: number; teams: number; keys: number }): Promise<void> {
  const log = await openUsageLog(`sqlite://${file}`, { logger: silentLogger });
  await log.migrate();
  await log.close();
  const db = new sqlite3.Database(file);
  try {
    await run(db, 'PRAGMA journal_mode = WAL');
    await run(db, 'PRAGMA synchronous = OFF');
    const now = Date.now() - 60_000;
    const step = Math.floor((opts.days * 86_400_000) / opts.rows);
    await run(
      db,
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO usage_records (request_id, started_at, endpoint, key_id, team, requested_model, provider, model, status, outcome, prompt_tokens, completion_tokens, cost_usd, latency_ms, ttft_ms, cache, stream)
       SELECT 'seeded-' || i, ? - i * ?, 'chat', 'key-' || (i % ?), 'team-' || (i % ?), 'm' || (i % 12), 'p' || (i % 4), 'm' || (i % 12),
              CASE WHEN i % 50 = 0 THEN 500 ELSE 200 END, CASE WHEN i % 50 = 0 THEN 'error' ELSE 'ok' END,
              100 + i % 900, 50 + i % 400, 0.0001 * (i % 100), 20 + (i * 7919) % 3000, 10 + (i * 104729) % 800, 'none', i % 2
       FROM n`,
      [opts.rows - 1, now, step, opts.keys, opts.teams],
    );
  } finally {
    await new Promise<void>((resolve, reject) => db.close((e) => (e ? reject(e) : resolve())));
  }
}
